package net.ipop.dataplane.packet;

import java.lang.foreign.MemorySegment;

/**
 * IPv4 header fields (RFC 791) at an offset in packet memory. Static accessors rather than an
 * object: the packet path reads a field or two per packet and keeps no flyweight state.
 */
public final class Ipv4 {
    public static final int MIN_HEADER = 20;
    public static final int TOTAL_LENGTH_OFFSET = 2;
    public static final int FLAGS_FRAGMENT_OFFSET = 6;
    public static final int TTL_OFFSET = 8;
    public static final int PROTOCOL_OFFSET = 9;
    public static final int CHECKSUM_OFFSET = 10;
    public static final int SRC_OFFSET = 12;
    public static final int DST_OFFSET = 16;

    public static final int PROTO_ICMP = 1;
    public static final int PROTO_TCP = 6;
    public static final int PROTO_UDP = 17;

    static final int FLAG_DF = 0x4000;
    static final int FRAGMENT_MASK = 0x1FFF;

    private Ipv4() {
    }

    public static int headerLength(MemorySegment s, long ip) {
        return (Net.u8(s, ip) & 0x0F) * 4;
    }

    public static int totalLength(MemorySegment s, long ip) {
        return Net.u16(s, ip + TOTAL_LENGTH_OFFSET);
    }

    public static int protocol(MemorySegment s, long ip) {
        return Net.u8(s, ip + PROTOCOL_OFFSET);
    }

    public static int src(MemorySegment s, long ip) {
        return s.get(Net.U32, ip + SRC_OFFSET);
    }

    public static int dst(MemorySegment s, long ip) {
        return s.get(Net.U32, ip + DST_OFFSET);
    }

    public static boolean dontFragment(MemorySegment s, long ip) {
        return (Net.u16(s, ip + FLAGS_FRAGMENT_OFFSET) & FLAG_DF) != 0;
    }

    /** Whether this is a fragment other than the first (no upper-layer header in it). */
    public static boolean laterFragment(MemorySegment s, long ip) {
        return (Net.u16(s, ip + FLAGS_FRAGMENT_OFFSET) & FRAGMENT_MASK) != 0;
    }

    /**
     * Whether {@code len} bytes at {@code ip} hold a plausible IPv4 packet: version 4, header length
     * at least 20 and inside the buffer, total length between the header and {@code len}.
     */
    public static boolean valid(MemorySegment s, long ip, int len) {
        if (len < MIN_HEADER || (Net.u8(s, ip) >>> 4) != 4) {
            return false;
        }
        int ihl = headerLength(s, ip);
        int total = totalLength(s, ip);
        return ihl >= MIN_HEADER && total >= ihl && total <= len;
    }

    /** Recomputes the header checksum in place. */
    public static void fixHeaderChecksum(MemorySegment s, long ip) {
        Net.u16(s, ip + CHECKSUM_OFFSET, 0);
        Net.u16(s, ip + CHECKSUM_OFFSET, InternetChecksum.of(s, ip, headerLength(s, ip)));
    }
}
