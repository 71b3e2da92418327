package net.ipop.dataplane.packet;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Builds the ICMP error a router sends when it drops a packet whose TTL / hop limit ran out: ICMPv4
 * "time exceeded in transit" (type 11 code 0, RFC 792) and ICMPv6 "hop limit exceeded in transit"
 * (type 3 code 0, RFC 4443). This is what makes {@code traceroute} show a relaying node and what tells
 * a sender with a too-small TTL why its packet vanished.
 *
 * <p>Written into caller memory (borrowed for the call) from {@code local}, this node's own overlay
 * address, back to the packet's source; it quotes as much of the packet as fits in 576 (IPv4, RFC 1812
 * 4.3.2.3) or 1280 (IPv6) bytes. No error answers an ICMP error or a later IPv4 fragment (RFC 1122).
 * Allocation-free.
 */
public final class IcmpTimeExceeded {
    private static final int TYPE_V4 = 11;
    private static final int TYPE_V6 = 3;

    private IcmpTimeExceeded() {
    }

    /**
     * Writes the error for the IPv4 packet at {@code in[inOff, inOff+inLen)}; returns its length, or 0
     * when none may be sent. {@code out} needs 576 bytes from {@code outOff}.
     */
    public static int writeV4(MemorySegment in, long inOff, int inLen, int local, MemorySegment out, long outOff) {
        if (!Ipv4.valid(in, inOff, inLen) || Ipv4.laterFragment(in, inOff)
                || IcmpTooBig.isIcmpError(in, inOff, Ipv4.protocol(in, inOff) == Ipv4.PROTO_ICMP,
                        inOff + Ipv4.headerLength(in, inOff), inLen - Ipv4.headerLength(in, inOff), false)) {
            return 0;
        }
        int quote = Math.min(Ipv4.totalLength(in, inOff),
                IcmpTooBig.V4_MAX - Ipv4.MIN_HEADER - IcmpTooBig.ICMP_HEADER);
        int total = Ipv4.MIN_HEADER + IcmpTooBig.ICMP_HEADER + quote;
        long icmp = outOff + Ipv4.MIN_HEADER;
        MemorySegment.copy(in, inOff, out, icmp + IcmpTooBig.ICMP_HEADER, quote);

        out.set(ValueLayout.JAVA_BYTE, outOff, (byte) 0x45);
        out.set(ValueLayout.JAVA_BYTE, outOff + 1, (byte) 0);
        Net.u16(out, outOff + Ipv4.TOTAL_LENGTH_OFFSET, total);
        out.set(Net.U32, outOff + 4, 0); // identification, flags, fragment offset
        out.set(ValueLayout.JAVA_BYTE, outOff + Ipv4.TTL_OFFSET, (byte) IcmpTooBig.TTL);
        out.set(ValueLayout.JAVA_BYTE, outOff + Ipv4.PROTOCOL_OFFSET, (byte) Ipv4.PROTO_ICMP);
        out.set(Net.U32, outOff + Ipv4.SRC_OFFSET, local);
        out.set(Net.U32, outOff + Ipv4.DST_OFFSET, Ipv4.src(in, inOff));
        Ipv4.fixHeaderChecksum(out, outOff);

        out.set(ValueLayout.JAVA_BYTE, icmp, (byte) TYPE_V4);
        out.set(ValueLayout.JAVA_BYTE, icmp + 1, (byte) 0);
        Net.u16(out, icmp + 2, 0);
        out.set(Net.U32, icmp + 4, 0); // unused
        Net.u16(out, icmp + 2, InternetChecksum.of(out, icmp, IcmpTooBig.ICMP_HEADER + quote));
        return total;
    }

    /**
     * Writes the error for the IPv6 packet at {@code in[inOff, inOff+inLen)} from
     * {@code localHi:localLo}; returns its length, or 0 when none may be sent. {@code out} needs 1280
     * bytes from {@code outOff}.
     */
    public static int writeV6(MemorySegment in, long inOff, int inLen, long localHi, long localLo,
                              MemorySegment out, long outOff) {
        if (!Ipv6.valid(in, inOff, inLen)
                || IcmpTooBig.isIcmpError(in, inOff, Ipv6.nextHeader(in, inOff) == Ipv6.PROTO_ICMPV6,
                        inOff + Ipv6.HEADER, inLen - Ipv6.HEADER, true)) {
            return 0;
        }
        int quote = Math.min(Ipv6.HEADER + Ipv6.payloadLength(in, inOff),
                Ipv6.MIN_MTU - Ipv6.HEADER - IcmpTooBig.ICMP_HEADER);
        int upper = IcmpTooBig.ICMP_HEADER + quote;
        long icmp = outOff + Ipv6.HEADER;
        MemorySegment.copy(in, inOff, out, icmp + IcmpTooBig.ICMP_HEADER, quote);

        out.set(Net.U32, outOff, 0x6000_0000);
        Net.u16(out, outOff + Ipv6.PAYLOAD_LENGTH_OFFSET, upper);
        out.set(ValueLayout.JAVA_BYTE, outOff + Ipv6.NEXT_HEADER_OFFSET, (byte) Ipv6.PROTO_ICMPV6);
        out.set(ValueLayout.JAVA_BYTE, outOff + Ipv6.HOP_LIMIT_OFFSET, (byte) IcmpTooBig.TTL);
        out.set(Net.U64, outOff + Ipv6.SRC_OFFSET, localHi);
        out.set(Net.U64, outOff + Ipv6.SRC_OFFSET + 8, localLo);
        MemorySegment.copy(in, inOff + Ipv6.SRC_OFFSET, out, outOff + Ipv6.DST_OFFSET, 16);

        out.set(ValueLayout.JAVA_BYTE, icmp, (byte) TYPE_V6);
        out.set(ValueLayout.JAVA_BYTE, icmp + 1, (byte) 0);
        Net.u16(out, icmp + 2, 0);
        out.set(Net.U32, icmp + 4, 0); // unused
        long sum = InternetChecksum.pseudoHeader(out, outOff, Ipv6.PROTO_ICMPV6, upper);
        Net.u16(out, icmp + 2, InternetChecksum.finish(InternetChecksum.add(sum, out, icmp, upper)));
        return Ipv6.HEADER + upper;
    }
}
