package net.ipop.crypto.cert;

import java.security.MessageDigest;
import java.time.Instant;
import java.util.Arrays;
import java.util.Set;

import net.ipop.crypto.cert.MembershipResult.Reason;

/**
 * Decides whether a peer may have a session: its certificate must be issued and signed by our CA,
 * not revoked, valid now, bind the static key the peer proved in the handshake, claim only
 * addresses inside the overlay, and (if an allow list is set) name an allowed node or group.
 *
 * <p>Runs once per handshake, not per packet, so it may allocate. It never throws for anything the
 * peer sent: every defect becomes a {@link MembershipResult} reason. Immutable and safe to share
 * between threads; when a new revocation list arrives, build a new verifier with
 * {@link #withRevocations} and publish it.
 */
public final class MembershipVerifier {
    private final CaCertificate ca;
    private final RevocationList revocations;
    private final Set<String> allowedNames;
    private final Set<String> allowedGroups;

    /**
     * @param ca            the overlay's CA certificate (the trust anchor)
     * @param revocations   the CA's revocation list, or null if none was published
     * @param allowedNames  peers allowed by name; with {@code allowedGroups} both empty, every member is allowed
     * @param allowedGroups peers allowed by membership of any of these groups
     * @throws IllegalArgumentException if the revocation list is another CA's (a configuration error)
     */
    public MembershipVerifier(CaCertificate ca, RevocationList revocations, Set<String> allowedNames,
            Set<String> allowedGroups) {
        if (revocations != null && !revocations.issuedBy(ca)) {
            throw new IllegalArgumentException("the revocation list was not issued by the CA '" + ca.name() + "'");
        }
        this.ca = ca;
        this.revocations = revocations;
        this.allowedNames = Set.copyOf(allowedNames);
        this.allowedGroups = Set.copyOf(allowedGroups);
    }

    /** Every member of the overlay is allowed; no revocation list. */
    public static MembershipVerifier forCa(CaCertificate ca) {
        return new MembershipVerifier(ca, null, Set.of(), Set.of());
    }

    /** The same verifier with a newer revocation list. */
    public MembershipVerifier withRevocations(RevocationList list) {
        return new MembershipVerifier(ca, list, allowedNames, allowedGroups);
    }

    /** The same verifier allowing only these names and groups (both empty: every member). */
    public MembershipVerifier withAllowList(Set<String> names, Set<String> groups) {
        return new MembershipVerifier(ca, revocations, names, groups);
    }

    /**
     * Verifies a certificate the peer sent, as DER bytes.
     *
     * @param certificateDer the peer's certificate; borrowed for the duration of the call
     * @param staticKey      the 32-byte X25519 static key the peer proved in the handshake
     * @param now            the time to judge validity at
     */
    public MembershipResult verify(byte[] certificateDer, byte[] staticKey, Instant now) {
        NodeCertificate cert;
        try {
            cert = NodeCertificate.parse(certificateDer);
        } catch (CertificateFormatException e) {
            return new MembershipResult(Reason.MALFORMED, null, e.getMessage());
        } catch (RuntimeException e) {
            // The parser is meant to turn every defect into CertificateFormatException; stay safe anyway.
            return new MembershipResult(Reason.MALFORMED, null, "unparseable certificate (" + e + ")");
        }
        try {
            return verify(cert, staticKey, now);
        } catch (RuntimeException e) {
            // Same safety net for lazily decoded parts of a hostile certificate.
            return new MembershipResult(Reason.MALFORMED, null, "unparseable certificate (" + e + ")");
        }
    }

    /** Verifies an already parsed certificate; see {@link #verify(byte[], byte[], Instant)}. */
    public MembershipResult verify(NodeCertificate cert, byte[] staticKey, Instant now) {
        String who = "'" + cert.name() + "' (serial " + cert.serialHex() + ")";
        byte[] aki = cert.authorityKeyIdentifier();
        if (!cert.holder().getIssuer().equals(ca.subject()) || (aki != null && !Arrays.equals(aki, ca.keyIdentifier()))) {
            return new MembershipResult(Reason.OTHER_CA, cert, who + " is issued by " + cert.issuer()
                    + ", not by our CA '" + ca.name() + "'");
        }
        if (!ca.signed(cert.holder())) {
            return new MembershipResult(Reason.BAD_SIGNATURE, cert, who + " does not carry a valid signature of our CA");
        }
        if (revocations != null && revocations.isRevoked(cert.serial())) {
            return new MembershipResult(Reason.REVOKED, cert, who + " is revoked");
        }
        if (now.isBefore(cert.notBefore()) || now.isBefore(ca.notBefore())) {
            return new MembershipResult(Reason.NOT_YET_VALID, cert, who + " is not valid before "
                    + max(cert.notBefore(), ca.notBefore()));
        }
        if (now.isAfter(cert.notAfter()) || now.isAfter(ca.notAfter())) {
            return new MembershipResult(Reason.EXPIRED, cert, who + " expired at "
                    + min(cert.notAfter(), ca.notAfter()));
        }
        if (staticKey == null || !MessageDigest.isEqual(cert.publicKey(), staticKey)) {
            return new MembershipResult(Reason.KEY_MISMATCH, cert, who + " binds another static key than the"
                    + " one the peer used in the handshake");
        }
        for (IpPrefix a : cert.addresses()) {
            if (!ca.inOverlay(a)) {
                return new MembershipResult(Reason.ADDRESS_OUTSIDE_OVERLAY, cert, who + " claims " + a
                        + ", outside the overlay " + ca.overlayPrefixes());
            }
        }
        if (!allowed(cert)) {
            return new MembershipResult(Reason.GROUP_NOT_ALLOWED, cert, who + " (groups " + cert.groups()
                    + ") is not on the allow list");
        }
        return new MembershipResult(Reason.OK, cert, who + " is a member");
    }

    private boolean allowed(NodeCertificate cert) {
        if (allowedNames.isEmpty() && allowedGroups.isEmpty()) {
            return true;
        }
        if (allowedNames.contains(cert.name())) {
            return true;
        }
        for (String g : cert.groups()) {
            if (allowedGroups.contains(g)) {
                return true;
            }
        }
        return false;
    }

    private static Instant max(Instant a, Instant b) {
        return a.isAfter(b) ? a : b;
    }

    private static Instant min(Instant a, Instant b) {
        return a.isBefore(b) ? a : b;
    }
}
