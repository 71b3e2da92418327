package net.ipop.dataplane.packet;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Builds the ICMP errors that tell a sender its packet does not fit the overlay path: ICMPv4
 * "fragmentation needed" (type 3 code 4, RFC 1191) and ICMPv6 "packet too big" (type 2, RFC 4443).
 * Without them TCP over the overlay stalls on a black hole instead of lowering its segment size.
 *
 * <p>The error is written into caller memory (borrowed for the call) and addressed back to the
 * original sender from {@code local}, this node's own overlay address. Allocation-free.
 */
public final class IcmpTooBig {
    /** RFC 1812 4.3.2.3: an ICMPv4 error should not exceed 576 bytes. */
    static final int V4_MAX = 576;
    static final int ICMP_HEADER = 8;
    static final int TTL = 64;

    private IcmpTooBig() {
    }

    /**
     * Writes a "fragmentation needed" for the IPv4 packet at {@code in[inOff, inOff+inLen)}.
     * Returns the error's length, or 0 when RFC 1122 says not to send one: the packet is not
     * valid, has DF clear (it may be fragmented instead), is a later fragment, or is itself an
     * ICMP error. {@code out} needs 576 bytes from {@code outOff}.
     */
    public static int writeV4(MemorySegment in, long inOff, int inLen, int mtu, int local,
                              MemorySegment out, long outOff) {
        if (!Ipv4.valid(in, inOff, inLen) || !Ipv4.dontFragment(in, inOff) || Ipv4.laterFragment(in, inOff)
                || isIcmpError(in, inOff, Ipv4.protocol(in, inOff) == Ipv4.PROTO_ICMP,
                        inOff + Ipv4.headerLength(in, inOff), inLen - Ipv4.headerLength(in, inOff), false)) {
            return 0;
        }
        int quote = Math.min(Ipv4.totalLength(in, inOff), V4_MAX - Ipv4.MIN_HEADER - ICMP_HEADER);
        int total = Ipv4.MIN_HEADER + ICMP_HEADER + quote;
        long icmp = outOff + Ipv4.MIN_HEADER;
        MemorySegment.copy(in, inOff, out, icmp + ICMP_HEADER, quote);

        out.set(ValueLayout.JAVA_BYTE, outOff, (byte) 0x45);
        out.set(ValueLayout.JAVA_BYTE, outOff + 1, (byte) 0);
        Net.u16(out, outOff + Ipv4.TOTAL_LENGTH_OFFSET, total);
        out.set(Net.U32, outOff + 4, 0); // identification, flags, fragment offset
        out.set(ValueLayout.JAVA_BYTE, outOff + Ipv4.TTL_OFFSET, (byte) TTL);
        out.set(ValueLayout.JAVA_BYTE, outOff + Ipv4.PROTOCOL_OFFSET, (byte) Ipv4.PROTO_ICMP);
        out.set(Net.U32, outOff + Ipv4.SRC_OFFSET, local);
        out.set(Net.U32, outOff + Ipv4.DST_OFFSET, Ipv4.src(in, inOff));
        Ipv4.fixHeaderChecksum(out, outOff);

        out.set(ValueLayout.JAVA_BYTE, icmp, (byte) 3);
        out.set(ValueLayout.JAVA_BYTE, icmp + 1, (byte) 4);
        Net.u16(out, icmp + 2, 0);
        Net.u16(out, icmp + 4, 0);
        Net.u16(out, icmp + 6, mtu);
        Net.u16(out, icmp + 2, InternetChecksum.of(out, icmp, ICMP_HEADER + quote));
        return total;
    }

    /**
     * Writes a "packet too big" for the IPv6 packet at {@code in[inOff, inOff+inLen)}, sent from
     * {@code localHi:localLo}. Returns its length, or 0 for an invalid packet or an ICMPv6 error.
     * {@code out} needs 1280 bytes from {@code outOff}.
     */
    public static int writeV6(MemorySegment in, long inOff, int inLen, int mtu, long localHi, long localLo,
                              MemorySegment out, long outOff) {
        if (!Ipv6.valid(in, inOff, inLen)
                || isIcmpError(in, inOff, Ipv6.nextHeader(in, inOff) == Ipv6.PROTO_ICMPV6,
                        inOff + Ipv6.HEADER, inLen - Ipv6.HEADER, true)) {
            return 0;
        }
        int quote = Math.min(Ipv6.HEADER + Ipv6.payloadLength(in, inOff), Ipv6.MIN_MTU - Ipv6.HEADER - ICMP_HEADER);
        int upper = ICMP_HEADER + quote;
        long icmp = outOff + Ipv6.HEADER;
        MemorySegment.copy(in, inOff, out, icmp + ICMP_HEADER, quote);

        out.set(Net.U32, outOff, 0x6000_0000);
        Net.u16(out, outOff + Ipv6.PAYLOAD_LENGTH_OFFSET, upper);
        out.set(ValueLayout.JAVA_BYTE, outOff + Ipv6.NEXT_HEADER_OFFSET, (byte) Ipv6.PROTO_ICMPV6);
        out.set(ValueLayout.JAVA_BYTE, outOff + Ipv6.HOP_LIMIT_OFFSET, (byte) TTL);
        out.set(Net.U64, outOff + Ipv6.SRC_OFFSET, localHi);
        out.set(Net.U64, outOff + Ipv6.SRC_OFFSET + 8, localLo);
        MemorySegment.copy(in, inOff + Ipv6.SRC_OFFSET, out, outOff + Ipv6.DST_OFFSET, 16);

        out.set(ValueLayout.JAVA_BYTE, icmp, (byte) 2);
        out.set(ValueLayout.JAVA_BYTE, icmp + 1, (byte) 0);
        Net.u16(out, icmp + 2, 0);
        out.set(Net.U32, icmp + 4, mtu);
        long sum = InternetChecksum.pseudoHeader(out, outOff, Ipv6.PROTO_ICMPV6, upper);
        Net.u16(out, icmp + 2, InternetChecksum.finish(InternetChecksum.add(sum, out, icmp, upper)));
        return Ipv6.HEADER + upper;
    }

    /** ICMPv4 errors are types 3, 4, 5, 11, 12; ICMPv6 errors are types below 128. */
    static boolean isIcmpError(MemorySegment s, long ip, boolean icmp, long upper, int upperLen, boolean v6) {
        if (!icmp) {
            return false;
        }
        if (upperLen < 1) {
            return true; // truncated ICMP: treat as an error, never answer it
        }
        int type = Net.u8(s, upper);
        return v6 ? type < 128 : type == 3 || type == 4 || type == 5 || type == 11 || type == 12;
    }
}
