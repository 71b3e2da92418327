package net.ipop.crypto.cert;

/**
 * What {@link MembershipVerifier} decided about a peer.
 *
 * @param reason {@link Reason#OK} or the first rule the peer broke
 * @param peer   the parsed certificate, or null when the reason is {@link Reason#MALFORMED}
 * @param detail a sentence for logs and {@code ipop peers}; never null
 */
public record MembershipResult(Reason reason, NodeCertificate peer, String detail) {

    /** Why a peer may or may not have a session. The checks run in the order listed. */
    public enum Reason {
        /** A member in good standing: the session may proceed. */
        OK,
        /** Not a node certificate IPOP accepts (bad DER, missing extension, wrong key type, ...). */
        MALFORMED,
        /** Issued by a different CA (issuer name or authority key id differ from ours). */
        OTHER_CA,
        /** Names our CA as issuer but the signature does not verify under its key. */
        BAD_SIGNATURE,
        /** The serial number is on the CA's revocation list. */
        REVOKED,
        /** The certificate (or the CA certificate) is not valid yet at the given time. */
        NOT_YET_VALID,
        /** The certificate (or the CA certificate) has expired at the given time. */
        EXPIRED,
        /** The key the peer proved in the handshake is not the one the certificate binds. */
        KEY_MISMATCH,
        /** An address the certificate claims lies outside the overlay's prefixes. */
        ADDRESS_OUTSIDE_OVERLAY,
        /** An allow list is configured and neither the peer's name nor any of its groups is on it. */
        GROUP_NOT_ALLOWED,
    }

    public boolean ok() {
        return reason == Reason.OK;
    }
}
