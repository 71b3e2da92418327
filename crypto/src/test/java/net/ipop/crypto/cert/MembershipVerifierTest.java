package net.ipop.crypto.cert;

import static net.ipop.crypto.cert.TestCerts.T0;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Set;

import net.ipop.crypto.cert.MembershipResult.Reason;
import org.junit.jupiter.api.Test;

class MembershipVerifierTest {
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final Instant NOW = T0.plusSeconds(10 * 86400);

    private final OverlayCa ca = TestCerts.ca("lab overlay");
    private final byte[] nodeKey = X25519Keys.publicKey(X25519Keys.generatePrivateKey(RANDOM));
    private final NodeCertificate node = issue("node-1", List.of("hpc", "lab"), T0, T0.plusSeconds(30 * 86400));
    private final MembershipVerifier verifier = MembershipVerifier.forCa(ca.certificate());

    private NodeCertificate issue(String name, List<String> groups, Instant from, Instant to) {
        return ca.issue(name, nodeKey, List.of(IpPrefix.parse("192.0.2.5/24"), IpPrefix.parse("2001:db8:1::5/64")),
                groups, from, to, RANDOM);
    }

    private Reason verify(MembershipVerifier v, byte[] der, Instant at) {
        MembershipResult r = v.verify(der, nodeKey, at);
        assertEquals(r.reason() == Reason.OK, r.ok());
        assertTrue(!r.detail().isEmpty());
        return r.reason();
    }

    @Test
    void validMemberIsAcceptedWithItsCertificate() {
        MembershipResult r = verifier.verify(node.der(), nodeKey, NOW);
        assertEquals(Reason.OK, r.reason(), r.detail());
        assertEquals("node-1", r.peer().name());
        assertEquals(List.of(IpPrefix.parse("192.0.2.5/24"), IpPrefix.parse("2001:db8:1::5/64")), r.peer().addresses());
    }

    @Test
    void validityBoundsAreInclusiveAndChecked() {
        assertEquals(Reason.OK, verify(verifier, node.der(), node.notBefore()));
        assertEquals(Reason.OK, verify(verifier, node.der(), node.notAfter()));
        assertEquals(Reason.NOT_YET_VALID, verify(verifier, node.der(), node.notBefore().minusSeconds(1)));
        assertEquals(Reason.EXPIRED, verify(verifier, node.der(), node.notAfter().plusSeconds(1)));
    }

    @Test
    void expiredCaExpiresItsMembers() {
        NodeCertificate longLived = issue("node-2", List.of(), T0, ca.certificate().notAfter());
        assertEquals(Reason.OK, verify(verifier, longLived.der(), ca.certificate().notAfter()));
        assertEquals(Reason.EXPIRED, verify(verifier, longLived.der(), ca.certificate().notAfter().plusSeconds(1)));
    }

    @Test
    void revokedSerialIsRefusedAndOthersStillPass() {
        NodeCertificate other = issue("node-2", List.of(), T0, T0.plusSeconds(30 * 86400));
        RevocationList crl = ca.revoke(null, List.of(node.serial()), NOW);
        MembershipVerifier v = verifier.withRevocations(crl);
        assertEquals(Reason.REVOKED, verify(v, node.der(), NOW));
        assertEquals(Reason.OK, verify(v, other.der(), NOW));
    }

    @Test
    void certificateOfAnotherCaIsRefused() throws Exception {
        OverlayCa sameName = TestCerts.ca("lab overlay");
        NodeCertificate foreign = sameName.issue("node-1", nodeKey, List.of(IpPrefix.parse("192.0.2.5/24")),
                List.of(), T0, T0.plusSeconds(86400 * 30), RANDOM);
        assertEquals(Reason.OTHER_CA, verify(verifier, foreign.der(), NOW));
        OverlayCa otherName = TestCerts.ca("other overlay");
        NodeCertificate foreign2 = otherName.issue("node-1", nodeKey, List.of(IpPrefix.parse("192.0.2.5/24")),
                List.of(), T0, T0.plusSeconds(86400 * 30), RANDOM);
        assertEquals(Reason.OTHER_CA, verify(verifier, foreign2.der(), NOW));
    }

    @Test
    void ourNameAndKeyIdWithAForeignSignatureIsBadSignature() throws Exception {
        byte[] forged = TestCerts.forge(ca.certificate(), TestCerts.keyOf(TestCerts.ca("x")), "node-1", nodeKey,
                List.of(IpPrefix.parse("192.0.2.5/24")), T0, T0.plusSeconds(86400 * 30));
        assertEquals(Reason.BAD_SIGNATURE, verify(verifier, forged, NOW));
    }

    @Test
    void addressOutsideTheOverlayIsRefusedEvenIfSigned() throws Exception {
        for (String addr : new String[] {"198.51.100.5/24", "192.0.2.5/16", "2001:db8:2::5/64"}) {
            byte[] der = TestCerts.forge(ca.certificate(), TestCerts.keyOf(ca), "node-1", nodeKey,
                    List.of(IpPrefix.parse("192.0.2.9/24"), IpPrefix.parse(addr)), T0, T0.plusSeconds(86400 * 30));
            MembershipResult r = verifier.verify(der, nodeKey, NOW);
            assertEquals(Reason.ADDRESS_OUTSIDE_OVERLAY, r.reason(), addr);
            assertTrue(r.detail().contains(addr), r.detail());
        }
    }

    @Test
    void handshakeKeyMustBeTheCertifiedKey() {
        byte[] otherKey = X25519Keys.publicKey(X25519Keys.generatePrivateKey(RANDOM));
        assertEquals(Reason.KEY_MISMATCH, verifier.verify(node.der(), otherKey, NOW).reason());
        assertEquals(Reason.KEY_MISMATCH, verifier.verify(node.der(), new byte[31], NOW).reason());
        assertEquals(Reason.KEY_MISMATCH, verifier.verify(node.der(), null, NOW).reason());
    }

    @Test
    void malformedInputIsReportedNotThrown() {
        byte[] der = node.der();
        byte[][] inputs = {
            new byte[0],
            Arrays.copyOf(der, der.length - 1),
            Arrays.copyOf(der, der.length + 1),
            node.toPem().getBytes(StandardCharsets.US_ASCII),
            ca.certificate().der(),
            new byte[] {0x30, (byte) 0x84, 0x7f, (byte) 0xff, (byte) 0xff, (byte) 0xff},
        };
        for (byte[] in : inputs) {
            MembershipResult r = verifier.verify(in, nodeKey, NOW);
            assertEquals(Reason.MALFORMED, r.reason(), r.detail());
            assertNull(r.peer());
        }
        byte[] noise = new byte[600];
        for (int i = 0; i < 200; i++) {
            RANDOM.nextBytes(noise);
            assertEquals(Reason.MALFORMED, verifier.verify(noise, nodeKey, NOW).reason());
        }
    }

    @Test
    void noSingleBitFlipAnywhereIsAccepted() {
        byte[] der = node.der();
        for (int i = 0; i < der.length; i++) {
            for (int bit = 0; bit < 8; bit++) {
                byte[] m = der.clone();
                m[i] ^= (byte) (1 << bit);
                MembershipResult r = verifier.verify(m, nodeKey, NOW);
                assertNotEquals(Reason.OK, r.reason(), "flip of bit " + bit + " in byte " + i + " was accepted");
            }
        }
    }

    @Test
    void allowListAdmitsListedNamesOrGroupsOnly() {
        NodeCertificate ungrouped = issue("node-3", List.of(), T0, T0.plusSeconds(30 * 86400));
        MembershipVerifier byGroup = verifier.withAllowList(Set.of(), Set.of("lab"));
        assertEquals(Reason.OK, verify(byGroup, node.der(), NOW));
        assertEquals(Reason.GROUP_NOT_ALLOWED, verify(byGroup, ungrouped.der(), NOW));
        MembershipVerifier other = verifier.withAllowList(Set.of(), Set.of("finance"));
        assertEquals(Reason.GROUP_NOT_ALLOWED, verify(other, node.der(), NOW));
        MembershipVerifier byName = verifier.withAllowList(Set.of("node-3"), Set.of("finance"));
        assertEquals(Reason.OK, verify(byName, ungrouped.der(), NOW));
        assertEquals(Reason.GROUP_NOT_ALLOWED, verify(byName, node.der(), NOW));
    }

    @Test
    void revocationListOfAnotherCaIsAConfigurationError() {
        OverlayCa other = TestCerts.ca("other");
        RevocationList foreign = other.revoke(null, List.of(node.serial()), NOW);
        assertThrows(IllegalArgumentException.class, () -> verifier.withRevocations(foreign));
        assertThrows(CertificateFormatException.class, () -> RevocationList.parse(foreign.der(), ca.certificate()));
    }
}
