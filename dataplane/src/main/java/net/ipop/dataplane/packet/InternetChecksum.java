package net.ipop.dataplane.packet;

import java.lang.foreign.MemorySegment;

/**
 * The Internet checksum (RFC 1071) over packet memory: a ones'-complement sum, accumulated 32 bits
 * at a time into a long and folded at the end. Summing 32-bit words gives the same folded result as
 * 16-bit words and halves the loads. Allocation-free; safe from any thread.
 */
public final class InternetChecksum {
    private InternetChecksum() {
    }

    /** Adds {@code len} bytes at {@code off} to a running (unfolded) sum. Odd lengths pad with zero. */
    public static long add(long sum, MemorySegment s, long off, int len) {
        long i = off;
        long end = off + len;
        while (end - i >= 4) {
            sum += s.get(Net.U32, i) & 0xFFFF_FFFFL;
            i += 4;
        }
        if (end - i >= 2) {
            sum += Net.u16(s, i);
            i += 2;
        }
        if (i < end) {
            sum += Net.u8(s, i) << 8;
        }
        return sum;
    }

    /** Folds a running sum to 16 bits and complements it: the value to store in a header. */
    public static int finish(long sum) {
        while ((sum >>> 16) != 0) {
            sum = (sum & 0xFFFF) + (sum >>> 16);
        }
        return (int) (~sum & 0xFFFF);
    }

    /** The checksum of {@code len} bytes at {@code off}. */
    public static int of(MemorySegment s, long off, int len) {
        return finish(add(0, s, off, len));
    }

    /**
     * The TCP/UDP/ICMPv6 pseudo-header sum for the IP packet at {@code ip} (version from its first
     * nibble), for an upper-layer segment of {@code upperLength} bytes and protocol {@code proto}.
     */
    public static long pseudoHeader(MemorySegment s, long ip, int proto, int upperLength) {
        long sum;
        if ((Net.u8(s, ip) >>> 4) == 4) {
            sum = add(0, s, ip + Ipv4.SRC_OFFSET, 8);
        } else {
            sum = add(0, s, ip + Ipv6.SRC_OFFSET, 32);
        }
        return sum + proto + upperLength;
    }
}
