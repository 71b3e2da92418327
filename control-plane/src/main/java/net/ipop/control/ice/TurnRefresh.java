package net.ipop.control.ice;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * TURN constants and answers' fields shared by {@link TurnRelease} and {@link SharedAllocation}: the Refresh
 * request (RFC 8656 section 7.2, built by {@link TurnMessage}), the long-term credential (RFC 8489 section 9.2:
 * USERNAME, REALM, NONCE, MESSAGE-INTEGRITY) and what is read from an answer (ERROR-CODE, REALM, NONCE). Offsets
 * are into the datagram, network byte order; the header layout is {@link StunPackets}'.
 *
 * <p>Not on a per-packet path: a few exchanges per TURN server, so it allocates freely.
 * The username is not SASLprep'ed (RFC 8489 section 9.2.2): the configured credentials are taken as ASCII.
 */
final class TurnRefresh {
    static final int REFRESH_REQUEST = 0x0004;
    static final int REFRESH_SUCCESS = 0x0104;
    static final int REFRESH_ERROR = 0x0114;
    static final int ALLOCATE_ERROR = 0x0113;

    static final int ATTR_MESSAGE_INTEGRITY = 0x0008;
    static final int ATTR_ERROR_CODE = 0x0009;
    static final int ATTR_LIFETIME = 0x000D;
    static final int ATTR_REALM = 0x0014;
    static final int ATTR_NONCE = 0x0015;

    static final int MESSAGE_INTEGRITY_LENGTH = 20;

    static final int UNAUTHENTICATED = 401;
    static final int ALLOCATION_MISMATCH = 437;
    static final int STALE_NONCE = 438;

    private TurnRefresh() {
    }

    /** The long-term credential of one request: the key is MD5(username ":" realm ":" password). */
    record Credential(byte[] username, byte[] realm, byte[] nonce, byte[] key) {
        static Credential of(String username, String password, byte[] realm, byte[] nonce) {
            try {
                MessageDigest md5 = MessageDigest.getInstance("MD5");
                md5.update(username.getBytes(StandardCharsets.UTF_8));
                md5.update((byte) ':');
                md5.update(realm);
                md5.update((byte) ':');
                md5.update(password.getBytes(StandardCharsets.UTF_8));
                return new Credential(username.getBytes(StandardCharsets.UTF_8), realm, nonce, md5.digest());
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException("MD5 is missing from the JDK", e);
            }
        }
    }

    /**
     * A Refresh request with a fresh transaction id, LIFETIME {@code lifetimeSeconds} and, when {@code
     * credential} is given, USERNAME, REALM, NONCE and MESSAGE-INTEGRITY (last).
     */
    static byte[] request(int lifetimeSeconds, Credential credential) {
        return TurnMessage.refresh(lifetimeSeconds).build(credential);
    }

    /** HMAC-SHA1 with {@code key} over {@code m[0, end)}. */
    static byte[] hmac(byte[] key, byte[] m, int end) {
        try {
            Mac mac = Mac.getInstance("HmacSHA1");
            mac.init(new SecretKeySpec(key, "HmacSHA1"));
            mac.update(m, 0, end);
            return mac.doFinal();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA1 is missing from the JDK", e);
        }
    }

    /** The code of the ERROR-CODE attribute (class * 100 + number), or -1 if there is none. */
    static int errorCode(byte[] b, int off, int len) {
        int v = StunPackets.findAttribute(b, off, len, ATTR_ERROR_CODE);
        if (v < 0 || StunPackets.uint16(b, v - 2) < 4) {
            return -1;
        }
        return (b[v + 2] & 0x07) * 100 + (b[v + 3] & 0xFF);
    }

    /** The value of the first attribute of {@code type}, copied, or null. */
    static byte[] attributeValue(byte[] b, int off, int len, int type) {
        int v = StunPackets.findAttribute(b, off, len, type);
        if (v < 0) {
            return null;
        }
        byte[] out = new byte[StunPackets.uint16(b, v - 2)];
        System.arraycopy(b, v, out, 0, out.length);
        return out;
    }
}
