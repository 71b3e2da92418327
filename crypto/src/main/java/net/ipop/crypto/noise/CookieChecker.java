package net.ipop.crypto.noise;

import java.security.SecureRandom;

import net.ipop.crypto.primitives.Blake2s;
import net.ipop.crypto.primitives.XChaCha20Poly1305;

/**
 * The receiving side of WireGuard's DoS defence for one local static key: verifies mac1 (proof the
 * sender knows our public key) and, under load, mac2 (proof the sender can receive at its source
 * address), and writes cookie replies.
 *
 * <p>The cookie for a source is {@code MAC(Rm, source)} with a random secret {@code Rm} replaced
 * every two minutes, so cookies expire without per-source state. Owned by one {@link Handshaker};
 * not thread-safe.
 */
final class CookieChecker {
    private static final long SECRET_LIFETIME_NANOS = PeerHandshake.COOKIE_LIFETIME_NANOS;

    private final Blake2s.Mac mac1;
    private final byte[] cookieKey;
    private final SecureRandom random;
    private final XChaCha20Poly1305 xaead = new XChaCha20Poly1305();
    private final byte[] secret = new byte[Blake2s.HASH_LENGTH];
    private final byte[] cookie = new byte[Blake2s.MAC_LENGTH];
    private final byte[] scratch = new byte[Blake2s.MAC_LENGTH];
    private Blake2s.Mac secretMac;
    private long secretBornNanos;

    CookieChecker(Blake2s b, byte[] localStatic, SecureRandom random) {
        byte[] mac1Key = Construction.labelKey(b, Construction.LABEL_MAC1, localStatic);
        this.mac1 = new Blake2s.Mac(mac1Key, 0, mac1Key.length);
        this.cookieKey = Construction.labelKey(b, Construction.LABEL_COOKIE, localStatic);
        this.random = random;
    }

    /** Whether {@code msg[off+mac1Off..+16]} is the mac1 of {@code msg[off..off+mac1Off]} under our key. */
    boolean mac1Valid(byte[] msg, int off, int mac1Off) {
        return mac1.verify(msg, off, mac1Off, msg, off + mac1Off, scratch);
    }

    /** Whether the mac2 after mac1 is valid for the current cookie of {@code source}. */
    boolean mac2Valid(byte[] msg, int off, int mac1Off, byte[] source, int sourceOff, int sourceLen, long now) {
        makeCookie(source, sourceOff, sourceLen, now);
        int mac2Off = mac1Off + HandshakeMessages.MAC_LENGTH;
        return new Blake2s.Mac(cookie, 0, cookie.length).verify(msg, off, mac2Off, msg, off + mac2Off, scratch);
    }

    /**
     * Writes a cookie reply to the message {@code msg[off..]} (whose sender index is at
     * {@code senderOff} and mac1 at {@code mac1Off}) into {@code out[outOff..+64]}.
     */
    void writeReply(byte type, byte[] msg, int off, int senderOff, int mac1Off,
                    byte[] source, int sourceOff, int sourceLen, long now, byte[] out, int outOff) {
        makeCookie(source, sourceOff, sourceLen, now);
        HandshakeMessages.writeHeader(out, outOff, type);
        System.arraycopy(msg, off + senderOff, out, outOff + HandshakeMessages.COOKIE_RECEIVER_OFFSET, 4);
        int nonceOff = outOff + HandshakeMessages.COOKIE_NONCE_OFFSET;
        byte[] nonce = new byte[XChaCha20Poly1305.NONCE_LENGTH];
        random.nextBytes(nonce);
        System.arraycopy(nonce, 0, out, nonceOff, nonce.length);
        xaead.seal(cookieKey, out, nonceOff, cookie, 0, cookie.length, msg, off + mac1Off,
                HandshakeMessages.MAC_LENGTH, out, outOff + HandshakeMessages.COOKIE_ENCRYPTED_OFFSET);
    }

    private void makeCookie(byte[] source, int sourceOff, int sourceLen, long now) {
        if (secretMac == null || now - secretBornNanos >= SECRET_LIFETIME_NANOS) {
            random.nextBytes(secret);
            secretMac = new Blake2s.Mac(secret, 0, secret.length);
            secretBornNanos = now;
        }
        secretMac.compute(source, sourceOff, sourceLen, cookie, 0);
    }
}
