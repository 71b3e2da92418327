package net.ipop.dataplane.packet;

import java.lang.foreign.MemorySegment;

/** IPv6 fixed-header fields (RFC 8200) at an offset in packet memory; see {@link Ipv4} for the style. */
public final class Ipv6 {
    public static final int HEADER = 40;
    public static final int PAYLOAD_LENGTH_OFFSET = 4;
    public static final int NEXT_HEADER_OFFSET = 6;
    public static final int HOP_LIMIT_OFFSET = 7;
    public static final int SRC_OFFSET = 8;
    public static final int DST_OFFSET = 24;

    public static final int PROTO_ICMPV6 = 58;
    /** The minimum link MTU every IPv6 path supports (RFC 8200 section 5). */
    public static final int MIN_MTU = 1280;

    private Ipv6() {
    }

    public static int payloadLength(MemorySegment s, long ip) {
        return Net.u16(s, ip + PAYLOAD_LENGTH_OFFSET);
    }

    public static int nextHeader(MemorySegment s, long ip) {
        return Net.u8(s, ip + NEXT_HEADER_OFFSET);
    }

    public static long srcHi(MemorySegment s, long ip) {
        return s.get(Net.U64, ip + SRC_OFFSET);
    }

    public static long srcLo(MemorySegment s, long ip) {
        return s.get(Net.U64, ip + SRC_OFFSET + 8);
    }

    public static long dstHi(MemorySegment s, long ip) {
        return s.get(Net.U64, ip + DST_OFFSET);
    }

    public static long dstLo(MemorySegment s, long ip) {
        return s.get(Net.U64, ip + DST_OFFSET + 8);
    }

    /** Version 6, and the payload length fits in {@code len}. */
    public static boolean valid(MemorySegment s, long ip, int len) {
        return len >= HEADER && (Net.u8(s, ip) >>> 4) == 6 && HEADER + payloadLength(s, ip) <= len;
    }
}
