package net.ipop.control.ice;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The few TURN messages {@link TurnRelease} speaks: a Refresh request (RFC 8656 section 7.2) with LIFETIME,
 * optionally authenticated with a long-term credential (RFC 8489 section 9.2: USERNAME, REALM, NONCE,
 * MESSAGE-INTEGRITY), and what it needs from the answer (class, ERROR-CODE, REALM, NONCE). Offsets are into
 * the datagram, network byte order; the header layout is {@link StunPackets}'.
 *
 * <p>Not on a per-packet path: one exchange per TURN server when a node starts, so it allocates freely.
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

    private static final SecureRandom RANDOM = new SecureRandom();

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
        int body = 8;
        if (credential != null) {
            body += attributeSize(credential.username.length) + attributeSize(credential.realm.length)
                    + attributeSize(credential.nonce.length) + 4 + MESSAGE_INTEGRITY_LENGTH;
        }
        byte[] m = new byte[StunPackets.HEADER + body];
        put16(m, StunPackets.TYPE_OFFSET, REFRESH_REQUEST);
        put16(m, StunPackets.LENGTH_OFFSET, body);
        put32(m, StunPackets.COOKIE_OFFSET, StunPackets.MAGIC_COOKIE);
        byte[] id = new byte[StunPackets.TRANSACTION_LENGTH];
        RANDOM.nextBytes(id);
        System.arraycopy(id, 0, m, StunPackets.TRANSACTION_OFFSET, id.length);
        int p = StunPackets.HEADER;
        put16(m, p, ATTR_LIFETIME);
        put16(m, p + 2, 4);
        put32(m, p + 4, lifetimeSeconds);
        p += 8;
        if (credential != null) {
            p = attribute(m, p, StunPackets.ATTR_USERNAME, credential.username);
            p = attribute(m, p, ATTR_REALM, credential.realm);
            p = attribute(m, p, ATTR_NONCE, credential.nonce);
            put16(m, p, ATTR_MESSAGE_INTEGRITY);
            put16(m, p + 2, MESSAGE_INTEGRITY_LENGTH);
            // The header's length already counts MESSAGE-INTEGRITY, as RFC 8489 section 14.5 wants for the HMAC.
            byte[] hmac = hmac(credential.key, m, p);
            System.arraycopy(hmac, 0, m, p + 4, MESSAGE_INTEGRITY_LENGTH);
        }
        return m;
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

    private static int attributeSize(int valueLength) {
        return 4 + ((valueLength + 3) & ~3);
    }

    private static int attribute(byte[] m, int p, int type, byte[] value) {
        put16(m, p, type);
        put16(m, p + 2, value.length);
        System.arraycopy(value, 0, m, p + 4, value.length);
        return p + attributeSize(value.length);
    }

    private static void put16(byte[] b, int i, int v) {
        b[i] = (byte) (v >>> 8);
        b[i + 1] = (byte) v;
    }

    private static void put32(byte[] b, int i, int v) {
        put16(b, i, v >>> 16);
        put16(b, i + 2, v);
    }
}
