package net.ipop.ffm.tun;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/** Test-side helpers to parse and craft IPv4/ICMP/UDP/TCP headers in network byte order. */
final class Packets {
    static final ValueLayout.OfShort BE16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    static final ValueLayout.OfInt BE32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);

    static final int PROTO_ICMP = 1;
    static final int PROTO_TCP = 6;
    static final int PROTO_UDP = 17;

    private Packets() {
    }

    static int u8(MemorySegment s, long off) {
        return Byte.toUnsignedInt(s.get(ValueLayout.JAVA_BYTE, off));
    }

    static int u16(MemorySegment s, long off) {
        return Short.toUnsignedInt(s.get(BE16, off));
    }

    static int i32(MemorySegment s, long off) {
        return s.get(BE32, off);
    }

    static void put8(MemorySegment s, long off, int v) {
        s.set(ValueLayout.JAVA_BYTE, off, (byte) v);
    }

    static void put16(MemorySegment s, long off, int v) {
        s.set(BE16, off, (short) v);
    }

    static void put32(MemorySegment s, long off, int v) {
        s.set(BE32, off, v);
    }

    /** Dotted quad as a big-endian int. */
    static int ip(int a, int b, int c, int d) {
        return (a << 24) | (b << 16) | (c << 8) | d;
    }

    static boolean isIpv4(MemorySegment s, long ip, int len) {
        return len >= 20 && (u8(s, ip) >> 4) == 4;
    }

    static int ihl(MemorySegment s, long ip) {
        return (u8(s, ip) & 0xf) * 4;
    }

    static int protocol(MemorySegment s, long ip) {
        return u8(s, ip + 9);
    }

    static int src(MemorySegment s, long ip) {
        return i32(s, ip + 12);
    }

    static int dst(MemorySegment s, long ip) {
        return i32(s, ip + 16);
    }

    /** The ones'-complement sum of {@code len} bytes, added to {@code initial}, not yet folded. */
    static long sum(MemorySegment s, long off, int len, long initial) {
        long acc = initial;
        int i = 0;
        for (; i + 1 < len; i += 2) {
            acc += u16(s, off + i);
        }
        if (i < len) {
            acc += u8(s, off + i) << 8;
        }
        return acc;
    }

    static int fold(long acc) {
        while ((acc >>> 16) != 0) {
            acc = (acc & 0xffff) + (acc >>> 16);
        }
        return (int) (~acc & 0xffff);
    }

    /** Recomputes the IPv4 header checksum in place. */
    static void fixIpChecksum(MemorySegment s, long ip) {
        put16(s, ip + 10, 0);
        put16(s, ip + 10, fold(sum(s, ip, ihl(s, ip), 0)));
    }

    /** Recomputes the ICMP checksum (over the whole ICMP message) in place. */
    static void fixIcmpChecksum(MemorySegment s, long ip, int ipTotalLen) {
        long icmp = ip + ihl(s, ip);
        int len = ipTotalLen - ihl(s, ip);
        put16(s, icmp + 2, 0);
        put16(s, icmp + 2, fold(sum(s, icmp, len, 0)));
    }

    /** Recomputes a TCP or UDP checksum, pseudo-header included, in place. */
    static void fixTransportChecksum(MemorySegment s, long ip, int ipTotalLen) {
        int proto = protocol(s, ip);
        long l4 = ip + ihl(s, ip);
        int len = ipTotalLen - ihl(s, ip);
        long checksumAt = l4 + (proto == PROTO_TCP ? 16 : 6);
        put16(s, checksumAt, 0);
        long pseudo = sum(s, ip + 12, 8, 0) + proto + len;
        put16(s, checksumAt, fold(sum(s, l4, len, pseudo)));
    }

    /** Writes a minimal IPv4 header (no options, DF set, TTL 64) and its checksum. */
    static void writeIpv4(MemorySegment s, long ip, int totalLen, int proto, int src, int dst) {
        put8(s, ip, 0x45);
        put8(s, ip + 1, 0);
        put16(s, ip + 2, totalLen);
        put16(s, ip + 4, 0);
        put16(s, ip + 6, 0x4000);
        put8(s, ip + 8, 64);
        put8(s, ip + 9, proto);
        put32(s, ip + 12, src);
        put32(s, ip + 16, dst);
        fixIpChecksum(s, ip);
    }
}
