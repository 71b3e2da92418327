package net.ipop.crypto.noise;

/**
 * Layouts of the three handshake messages (WireGuard's, identical for both suites; only the type
 * byte differs). Integers are little-endian; every message starts with the 1-byte type and three
 * zero bytes. Offsets are from the start of the message.
 */
public final class HandshakeMessages {
    public static final int TYPE_OFFSET = 0;
    public static final int RESERVED_OFFSET = 1;
    public static final int RESERVED_LENGTH = 3;

    /** Initiation: sender index, ephemeral, AEAD(static), AEAD(timestamp), mac1, mac2. */
    public static final int INITIATION_SENDER_OFFSET = 4;
    public static final int INITIATION_EPHEMERAL_OFFSET = 8;
    public static final int INITIATION_STATIC_OFFSET = 40;
    public static final int INITIATION_STATIC_LENGTH = 32 + 16;
    public static final int INITIATION_TIMESTAMP_OFFSET = 88;
    public static final int INITIATION_TIMESTAMP_LENGTH = 12 + 16;
    public static final int INITIATION_MAC1_OFFSET = 116;
    public static final int INITIATION_MAC2_OFFSET = 132;
    public static final int INITIATION_LENGTH = 148;

    /** Response: sender index, receiver index, ephemeral, AEAD(empty), mac1, mac2. */
    public static final int RESPONSE_SENDER_OFFSET = 4;
    public static final int RESPONSE_RECEIVER_OFFSET = 8;
    public static final int RESPONSE_EPHEMERAL_OFFSET = 12;
    public static final int RESPONSE_EMPTY_OFFSET = 44;
    public static final int RESPONSE_EMPTY_LENGTH = 16;
    public static final int RESPONSE_MAC1_OFFSET = 60;
    public static final int RESPONSE_MAC2_OFFSET = 76;
    public static final int RESPONSE_LENGTH = 92;

    /** Cookie reply: receiver index, 24-byte nonce, XAEAD(cookie). */
    public static final int COOKIE_RECEIVER_OFFSET = 4;
    public static final int COOKIE_NONCE_OFFSET = 8;
    public static final int COOKIE_ENCRYPTED_OFFSET = 32;
    public static final int COOKIE_ENCRYPTED_LENGTH = 16 + 16;
    public static final int COOKIE_LENGTH = 64;

    /** Both MACs are 16 bytes; mac2 directly follows mac1. */
    public static final int MAC_LENGTH = 16;

    /** The largest handshake message: size of a reply buffer that fits any answer. */
    public static final int MAX_LENGTH = INITIATION_LENGTH;

    private HandshakeMessages() {
    }

    static int readIndex(byte[] b, int off) {
        return (b[off] & 0xff) | (b[off + 1] & 0xff) << 8 | (b[off + 2] & 0xff) << 16 | (b[off + 3] & 0xff) << 24;
    }

    static void writeIndex(byte[] b, int off, int value) {
        b[off] = (byte) value;
        b[off + 1] = (byte) (value >>> 8);
        b[off + 2] = (byte) (value >>> 16);
        b[off + 3] = (byte) (value >>> 24);
    }

    static void writeHeader(byte[] b, int off, byte type) {
        b[off + TYPE_OFFSET] = type;
        b[off + RESERVED_OFFSET] = 0;
        b[off + RESERVED_OFFSET + 1] = 0;
        b[off + RESERVED_OFFSET + 2] = 0;
    }
}
