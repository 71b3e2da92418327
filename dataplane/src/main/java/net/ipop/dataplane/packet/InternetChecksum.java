package net.ipop.dataplane.packet;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * The Internet checksum (RFC 1071) over packet memory: a ones'-complement sum, accumulated into
 * longs and folded at the end. Allocation-free; safe from any thread.
 *
 * <p>Why the bulk loop reads little-endian 64-bit words: the ones'-complement sum does not depend
 * on byte order (RFC 1071, section 2(B)) except for a final byte swap, so the bulk of a packet is
 * summed with native loads (the 32-bit halves of each load summed apart, so no carry is lost) and
 * the folded result swapped once. This is the hottest loop of the outbound
 * path (every segment of a TSO super-packet gets a full checksum); it is about three times the
 * speed of big-endian 32-bit loads.
 */
public final class InternetChecksum {
    private static final ValueLayout.OfLong U64_LE =
            ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    /** Below this many bytes the plain loop is as fast and the swap is not worth it. */
    private static final int BULK_MIN = 32;

    private InternetChecksum() {
    }

    /** Adds {@code len} bytes at {@code off} to a running (unfolded) sum. Odd lengths pad with zero. */
    public static long add(long sum, MemorySegment s, long off, int len) {
        long i = off;
        long end = off + len;
        if (len >= BULK_MIN) {
            // The sum of the low halves is never formed: it is the wrapping sum of the whole words
            // minus the high halves shifted up, exact because the true sum of the low halves stays
            // below 2^64 (at most 2^28 words of under 2^32 each). One operation fewer per word.
            long all = 0;
            long hi = 0;
            long bulkEnd = off + (len & ~15L);
            while (i < bulkEnd) {
                long a = s.get(U64_LE, i);
                long b = s.get(U64_LE, i + 8);
                all += a + b;
                hi += (a >>> 32) + (b >>> 32);
                i += 16;
            }
            long lo = all - (hi << 32);
            // Fold the little-endian sum to 16 bits (keeps its ones'-complement value), then swap.
            long le = fold(fold(lo) + fold(hi));
            sum += ((le & 0xFF) << 8) | (le >>> 8);
        }
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

    /** Folds a sum to at most 16 bits without complementing it. */
    private static long fold(long sum) {
        while ((sum >>> 16) != 0) {
            sum = (sum & 0xFFFF) + (sum >>> 16);
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

    /**
     * Folds a running sum to 16 bits without complementing it: the value a partial checksum field
     * holds (the kernel's {@code CHECKSUM_PARTIAL}, see {@link PartialChecksum}).
     */
    public static int folded(long sum) {
        return (int) fold(sum);
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
