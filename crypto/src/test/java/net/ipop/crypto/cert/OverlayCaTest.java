package net.ipop.crypto.cert;

import static net.ipop.crypto.cert.TestCerts.T0;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigInteger;
import java.security.SecureRandom;
import java.util.List;
import java.util.Set;

import org.junit.jupiter.api.Test;

class OverlayCaTest {
    private static final SecureRandom RANDOM = new SecureRandom();
    private final OverlayCa ca = TestCerts.ca("lab overlay");
    private final byte[] nodeKey = X25519Keys.publicKey(X25519Keys.generatePrivateKey(RANDOM));

    private NodeCertificate issue(String address) {
        return ca.issue("node-1", nodeKey, List.of(IpPrefix.parse(address)), List.of("lab"), T0,
                T0.plusSeconds(86400), RANDOM);
    }

    @Test
    void caCertificateStatesNameOverlayAndKeyAndSurvivesPem() throws Exception {
        CaCertificate c = ca.certificate();
        assertEquals("lab overlay", c.name());
        assertEquals(TestCerts.OVERLAY, c.overlayPrefixes());
        CaCertificate back = CaCertificate.fromPem(c.toPem());
        assertArrayEquals(c.der(), back.der());
        assertEquals(c.fingerprint(), back.fingerprint());
        assertEquals(T0, back.notBefore());
        assertTrue(c.toPem().startsWith("-----BEGIN CERTIFICATE-----"));
    }

    @Test
    void privateKeyRoundTripsThroughPemAndMustMatchTheCertificate() throws Exception {
        String pem = Pem.encode(Pem.PRIVATE_KEY, ca.privateKeyPkcs8());
        OverlayCa loaded = OverlayCa.load(ca.certificate(), Pem.decode(Pem.PRIVATE_KEY, pem));
        NodeCertificate n = loaded.issue("node-9", nodeKey, List.of(IpPrefix.parse("192.0.2.9/24")), List.of(), T0,
                T0.plusSeconds(60), RANDOM);
        assertEquals(MembershipResult.Reason.OK,
                MembershipVerifier.forCa(ca.certificate()).verify(n.der(), nodeKey, T0).reason());
        OverlayCa other = TestCerts.ca("lab overlay");
        CertificateFormatException e = assertThrows(CertificateFormatException.class,
                () -> OverlayCa.load(ca.certificate(), other.privateKeyPkcs8()));
        assertTrue(e.getMessage().contains("does not belong"), e.getMessage());
    }

    @Test
    void nodeCertificateCarriesEverythingAndSurvivesPem() throws Exception {
        NodeCertificate n = ca.issue("node-1", nodeKey,
                List.of(IpPrefix.parse("192.0.2.5/24"), IpPrefix.parse("2001:db8:1::5/64")), List.of("lab", "hpc"),
                T0, T0.plusSeconds(86400), RANDOM);
        NodeCertificate back = NodeCertificate.fromPem(n.toPem());
        assertArrayEquals(n.der(), back.der());
        assertEquals("node-1", back.name());
        assertArrayEquals(nodeKey, back.publicKey());
        assertEquals(X25519Keys.toBase64(nodeKey), back.publicKeyBase64());
        assertEquals(List.of("lab", "hpc"), back.groups());
        assertEquals(List.of(IpPrefix.parse("192.0.2.5/24"), IpPrefix.parse("2001:db8:1::5/64")), back.addresses());
        assertEquals("CN=lab overlay", back.issuer());
        assertEquals(T0.plusSeconds(86400), back.notAfter());
        assertEquals(64, back.fingerprint().length());
        assertEquals(n.serial(), new BigInteger(back.serialHex(), 16));
        assertThrows(CertificateFormatException.class, () -> CaCertificate.parse(n.der()), "a node cert is no CA");
        assertThrows(CertificateFormatException.class, () -> NodeCertificate.fromPem("garbage"));
        assertThrows(CertificateFormatException.class,
                () -> NodeCertificate.fromPem(Pem.encode(Pem.X509_CRL, n.der())));
    }

    @Test
    void refusesToIssueWhatBreaksTheRules() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> issue("198.51.100.5/24"));
        assertTrue(e.getMessage().contains("not inside the overlay"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> issue("192.0.2.5/16"));
        assertThrows(IllegalArgumentException.class, () -> ca.issue("bad name!", nodeKey,
                List.of(IpPrefix.parse("192.0.2.5/24")), List.of(), T0, T0.plusSeconds(60), RANDOM));
        assertThrows(IllegalArgumentException.class, () -> ca.issue("n", nodeKey,
                List.of(IpPrefix.parse("192.0.2.5/24")), List.of("-x"), T0, T0.plusSeconds(60), RANDOM));
        e = assertThrows(IllegalArgumentException.class, () -> ca.issue("n", nodeKey,
                List.of(IpPrefix.parse("192.0.2.5/24")), List.of(), T0, ca.certificate().notAfter().plusSeconds(1),
                RANDOM));
        assertTrue(e.getMessage().contains("outside the CA's"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> OverlayCa.create("x",
                List.of(IpPrefix.parse("192.0.2.1/24")), T0, T0.plusSeconds(60), RANDOM));
    }

    @Test
    void revocationListGrowsAndSurvivesPem() throws Exception {
        NodeCertificate a = issue("192.0.2.5/24");
        NodeCertificate b = issue("192.0.2.6/24");
        RevocationList first = ca.revoke(null, List.of(a.serial()), T0);
        assertEquals(BigInteger.ONE, first.number());
        RevocationList second = ca.revoke(first, List.of(b.serial(), a.serial()), T0.plusSeconds(5));
        assertEquals(BigInteger.TWO, second.number());
        assertEquals(Set.of(a.serial(), b.serial()), second.serials());
        RevocationList back = RevocationList.fromPem(second.toPem(), ca.certificate());
        assertArrayEquals(second.der(), back.der());
        assertTrue(back.isRevoked(a.serial()) && back.isRevoked(b.serial()));
        assertEquals(T0.plusSeconds(5), back.thisUpdate());
        byte[] tampered = second.der();
        tampered[tampered.length - 3] ^= 1;
        assertThrows(CertificateFormatException.class, () -> RevocationList.parse(tampered, ca.certificate()));
    }
}
