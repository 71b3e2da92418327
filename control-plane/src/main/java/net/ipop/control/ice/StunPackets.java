package net.ipop.control.ice;

/**
 * Just enough of the STUN header (RFC 8489 section 5) and TURN ChannelData (RFC 8656 section 12) to route
 * datagrams between ICE sessions and to learn channel bindings, without decoding whole messages.
 * Offsets are into the datagram; network byte order.
 */
public final class StunPackets {
    static final int HEADER = 20;
    static final int TYPE_OFFSET = 0;
    static final int LENGTH_OFFSET = 2;
    static final int COOKIE_OFFSET = 4;
    static final int TRANSACTION_OFFSET = 8;
    static final int TRANSACTION_LENGTH = 12;
    static final int MAGIC_COOKIE = 0x2112A442;

    /** STUN message classes, in the two class bits of the type (RFC 8489 section 5). */
    static final int CLASS_MASK = 0x0110;
    static final int CLASS_REQUEST = 0x0000;
    static final int CLASS_INDICATION = 0x0010;
    static final int CLASS_SUCCESS = 0x0100;
    static final int CLASS_ERROR = 0x0110;

    static final int CHANNEL_BIND_REQUEST = 0x0009;
    static final int CHANNEL_BIND_SUCCESS = 0x0109;
    static final int ATTR_USERNAME = 0x0006;
    static final int ATTR_CHANNEL_NUMBER = 0x000C;
    static final int ATTR_XOR_PEER_ADDRESS = 0x0012;

    private StunPackets() {
    }

    /** The ChannelData header: channel number and data length, two bytes each (RFC 8656 section 12.4). */
    public static final int CHANNEL_DATA_HEADER = 4;

    /** A STUN message: top two bits clear, the magic cookie, and a body length that is a multiple of 4 and fits. */
    public static boolean isStun(byte[] b, int off, int len) {
        if (len < HEADER || (b[off] & 0xC0) != 0 || int32(b, off + COOKIE_OFFSET) != MAGIC_COOKIE) {
            return false;
        }
        int bodyLength = uint16(b, off + LENGTH_OFFSET);
        return (bodyLength & 3) == 0 && HEADER + bodyLength <= len;
    }

    /** TURN ChannelData: a channel number 0x4000..0x4FFF, then a data length that fits (padding may follow). */
    public static boolean isChannelData(byte[] b, int off, int len) {
        return len >= CHANNEL_DATA_HEADER && (b[off] & 0xF0) == 0x40
                && CHANNEL_DATA_HEADER + uint16(b, off + 2) <= len;
    }

    static int type(byte[] b, int off) {
        return uint16(b, off + TYPE_OFFSET);
    }

    static int messageClass(byte[] b, int off) {
        return type(b, off) & CLASS_MASK;
    }

    /**
     * The offset of the value of the first attribute of {@code attrType}, or -1. Its length is at
     * {@code result - 2}.
     */
    static int findAttribute(byte[] b, int off, int len, int attrType) {
        int end = off + Math.min(len, HEADER + uint16(b, off + LENGTH_OFFSET));
        int p = off + HEADER;
        while (p + 4 <= end) {
            int t = uint16(b, p);
            int l = uint16(b, p + 2);
            if (p + 4 + l > end) {
                return -1;
            }
            if (t == attrType) {
                return p + 4;
            }
            p += 4 + ((l + 3) & ~3);
        }
        return -1;
    }

    /** The local ufrag of a connectivity check: USERNAME is "receiver:sender". Null if absent. */
    static String checkedUfrag(byte[] b, int off, int len) {
        int v = findAttribute(b, off, len, ATTR_USERNAME);
        if (v < 0) {
            return null;
        }
        int l = uint16(b, v - 2);
        int colon = -1;
        for (int i = 0; i < l; i++) {
            if (b[v + i] == ':') {
                colon = i;
                break;
            }
        }
        return new String(b, v, colon < 0 ? l : colon, java.nio.charset.StandardCharsets.UTF_8);
    }

    /** The transaction id as a key (the 12 bytes after the cookie). */
    static TransactionKey transaction(byte[] b, int off) {
        return TransactionKey.of(b, off + TRANSACTION_OFFSET);
    }

    static int uint16(byte[] b, int i) {
        return ((b[i] & 0xFF) << 8) | (b[i + 1] & 0xFF);
    }

    static int int32(byte[] b, int i) {
        return ((b[i] & 0xFF) << 24) | ((b[i + 1] & 0xFF) << 16) | ((b[i + 2] & 0xFF) << 8) | (b[i + 3] & 0xFF);
    }

    /** A STUN transaction id, comparable by value. */
    record TransactionKey(long high, int low) {
        static TransactionKey of(byte[] b, int i) {
            long high = ((long) int32(b, i) << 32) | (int32(b, i + 4) & 0xFFFF_FFFFL);
            return new TransactionKey(high, int32(b, i + 8));
        }
    }
}
