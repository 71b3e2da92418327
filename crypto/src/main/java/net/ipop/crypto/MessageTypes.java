package net.ipop.crypto;

/**
 * The first byte of every IPOP/WireGuard datagram, per suite. On the wire the type is a
 * little-endian 32-bit field whose upper three bytes are zero, so only this byte varies.
 *
 * <p>The chacha20poly1305 suite uses WireGuard's numbers so stock WireGuard peers interoperate;
 * aes256gcm uses its own range so a message of one suite is never parsed as the other. The data
 * (transport) type constants live here too, for the transport AEAD: {@link #data(Suite)}.
 */
public final class MessageTypes {
    /** WireGuard handshake initiation (148 bytes). */
    public static final byte WG_INITIATION = 1;
    /** WireGuard handshake response (92 bytes). */
    public static final byte WG_RESPONSE = 2;
    /** WireGuard cookie reply (64 bytes). */
    public static final byte WG_COOKIE_REPLY = 3;
    /** WireGuard transport data. */
    public static final byte WG_DATA = 4;

    /** aes256gcm handshake initiation (same layout as WireGuard's). */
    public static final byte AES_INITIATION = 0x11;
    /** aes256gcm handshake response. */
    public static final byte AES_RESPONSE = 0x12;
    /** aes256gcm cookie reply. */
    public static final byte AES_COOKIE_REPLY = 0x13;
    /** aes256gcm transport data. */
    public static final byte AES_DATA = 0x14;

    private MessageTypes() {
    }

    public static byte initiation(Suite suite) {
        return suite == Suite.AES256GCM ? AES_INITIATION : WG_INITIATION;
    }

    public static byte response(Suite suite) {
        return suite == Suite.AES256GCM ? AES_RESPONSE : WG_RESPONSE;
    }

    public static byte cookieReply(Suite suite) {
        return suite == Suite.AES256GCM ? AES_COOKIE_REPLY : WG_COOKIE_REPLY;
    }

    public static byte data(Suite suite) {
        return suite == Suite.AES256GCM ? AES_DATA : WG_DATA;
    }

    /** The suite a message type belongs to, or {@code null} for a type neither suite uses. */
    public static Suite suiteOf(byte type) {
        return switch (type) {
            case WG_INITIATION, WG_RESPONSE, WG_COOKIE_REPLY, WG_DATA -> Suite.CHACHA20POLY1305;
            case AES_INITIATION, AES_RESPONSE, AES_COOKIE_REPLY, AES_DATA -> Suite.AES256GCM;
            default -> null;
        };
    }
}
