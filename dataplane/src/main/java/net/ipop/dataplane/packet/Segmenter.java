package net.ipop.dataplane.packet;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Cuts a TCP or UDP super-packet read from a TUN device with a virtio-net header (TSO/USO) into
 * ordinary packets of at most {@code gsoSize} payload bytes each, and completes checksums the
 * kernel left partial.
 *
 * <p>Why here: the kernel hands us one 64 KiB super-packet per read instead of ~45 packets, which
 * is most of the syscall saving; the peer needs real packets, so we cut them ourselves, directly
 * into the slots they will be encrypted and sent from.
 *
 * <p>Layout: segment {@code i} is written at {@code out + outOff + i * stride}; its length goes to
 * {@code lengths[i]}. With {@code stride} = transport header + max segment + tag and {@code outOff}
 * past the transport header, the segments sit where one UDP GSO send covers them all.
 *
 * <p>Memory: {@code in} and {@code out} are borrowed for the call and must not overlap.
 * Allocation-free; stateless, so any thread may call it.
 */
public final class Segmenter {
    /** virtio-net header {@code gso_type} values (linux/virtio_net.h), ECN bit masked off. */
    public static final int GSO_NONE = 0;
    public static final int GSO_TCPV4 = 1;
    public static final int GSO_UDP = 3;
    public static final int GSO_TCPV6 = 4;
    public static final int GSO_UDP_L4 = 5;
    public static final int GSO_ECN = 0x80;

    /** Returned when the packet cannot be segmented (malformed or unsupported headers). */
    public static final int MALFORMED = -1;

    static final int TCP_SEQ_OFFSET = 4;
    static final int TCP_DATA_OFFSET = 12;
    static final int TCP_FLAGS_OFFSET = 13;
    static final int TCP_CHECKSUM_OFFSET = 16;
    static final int TCP_FIN = 0x01;
    static final int TCP_PSH = 0x08;
    static final int TCP_CWR = 0x80;
    static final int UDP_HEADER = 8;
    static final int UDP_LENGTH_OFFSET = 4;
    static final int UDP_CHECKSUM_OFFSET = 6;

    private Segmenter() {
    }

    /**
     * Segments the packet at {@code in[inOff, inOff+inLen)} described by the virtio-net header
     * fields {@code gsoType} and {@code gsoSize}. A packet with {@code GSO_NONE} is copied as one
     * segment. When {@code needsCsum} is set (the kernel left the checksum partial at
     * {@code csumStart + csumOffset}), every segment's checksum is computed in full either way.
     *
     * @return the number of segments written, or {@link #MALFORMED}; never more than
     *         {@code lengths.length}, which bounds the work (a packet needing more is malformed)
     */
    public static int segment(MemorySegment in, long inOff, int inLen, int gsoType, int gsoSize,
                              boolean needsCsum, int csumStart, int csumOffset,
                              MemorySegment out, long outOff, int stride, int[] lengths) {
        return segment(in, inOff, inLen, gsoType, gsoSize, needsCsum, csumStart, csumOffset, out, outOff, stride,
                lengths, false);
    }

    /**
     * As {@link #segment(MemorySegment, long, int, int, int, boolean, int, int, MemorySegment, long, int, int[])};
     * with {@code partial} the segments of a super-packet leave with partial checksums (the folded
     * pseudo-header sum, {@link PartialChecksum}) instead of full ones: the aes256gcm wire contract.
     * A {@code GSO_NONE} packet is treated as without it; the caller decides for it.
     */
    public static int segment(MemorySegment in, long inOff, int inLen, int gsoType, int gsoSize,
                              boolean needsCsum, int csumStart, int csumOffset,
                              MemorySegment out, long outOff, int stride, int[] lengths, boolean partial) {
        int type = gsoType & ~GSO_ECN;
        if (type == GSO_NONE) {
            if (inLen > stride || lengths.length < 1) {
                return MALFORMED;
            }
            MemorySegment.copy(in, inOff, out, outOff, inLen);
            if (needsCsum && !completePartial(out, outOff, inLen, csumStart, csumOffset)) {
                return MALFORMED;
            }
            lengths[0] = inLen;
            return 1;
        }
        if (inLen < 1) {
            return MALFORMED;
        }
        int version = Net.u8(in, inOff) >>> 4;
        int ipHeader;
        int proto;
        int ipTotal;
        if (version == 4 && Ipv4.valid(in, inOff, inLen)) {
            ipHeader = Ipv4.headerLength(in, inOff);
            proto = Ipv4.protocol(in, inOff);
            ipTotal = Ipv4.totalLength(in, inOff);
        } else if (version == 6 && inLen >= Ipv6.HEADER) {
            ipHeader = Ipv6.HEADER;
            proto = Ipv6.nextHeader(in, inOff);
            // A TSO super-packet may exceed 65535 only with jumbograms, which we do not accept.
            ipTotal = Math.min(inLen, Ipv6.HEADER + Ipv6.payloadLength(in, inOff));
        } else {
            return MALFORMED;
        }
        boolean tcp = type == GSO_TCPV4 || type == GSO_TCPV6;
        if (tcp != (proto == Ipv4.PROTO_TCP) || (!tcp && proto != Ipv4.PROTO_UDP)
                || (type == GSO_TCPV4 && version != 4) || (type == GSO_TCPV6 && version != 6)
                || (type != GSO_TCPV4 && type != GSO_TCPV6 && type != GSO_UDP_L4)) {
            return MALFORMED; // GSO_UDP (UFO, fragmentation) is deprecated and never negotiated
        }
        int l4Header;
        if (tcp) {
            if (ipTotal < ipHeader + 20) {
                return MALFORMED;
            }
            l4Header = (Net.u8(in, inOff + ipHeader + TCP_DATA_OFFSET) >>> 4) * 4;
            if (l4Header < 20) {
                return MALFORMED;
            }
        } else {
            l4Header = UDP_HEADER;
        }
        int headers = ipHeader + l4Header;
        int payload = ipTotal - headers;
        if (payload < 0 || ipTotal > inLen || gsoSize <= 0 || headers + gsoSize > stride) {
            return MALFORMED;
        }
        int count = Math.max(1, (payload + gsoSize - 1) / gsoSize);
        if (count > lengths.length) {
            return MALFORMED;
        }
        long l4In = inOff + ipHeader;
        int seq = tcp ? in.get(Net.U32, l4In + TCP_SEQ_OFFSET) : 0;
        int flags = tcp ? Net.u8(in, l4In + TCP_FLAGS_OFFSET) : 0;
        int ipId = version == 4 ? Net.u16(in, inOff + 4) : 0;

        for (int i = 0; i < count; i++) {
            int chunk = Math.min(gsoSize, payload - i * gsoSize);
            int len = headers + chunk;
            long o = outOff + (long) i * stride;
            MemorySegment.copy(in, inOff, out, o, headers);
            MemorySegment.copy(in, inOff + headers + (long) i * gsoSize, out, o + headers, chunk);
            if (version == 4) {
                Net.u16(out, o + Ipv4.TOTAL_LENGTH_OFFSET, len);
                Net.u16(out, o + 4, (ipId + i) & 0xFFFF);
                Ipv4.fixHeaderChecksum(out, o);
            } else {
                Net.u16(out, o + Ipv6.PAYLOAD_LENGTH_OFFSET, len - Ipv6.HEADER);
            }
            long l4 = o + ipHeader;
            int checksumAt;
            if (tcp) {
                out.set(Net.U32, l4 + TCP_SEQ_OFFSET, seq + i * gsoSize);
                int f = flags;
                if (i != count - 1) {
                    f &= ~(TCP_FIN | TCP_PSH);
                }
                if (i != 0) {
                    f &= ~TCP_CWR;
                }
                out.set(ValueLayout.JAVA_BYTE, l4 + TCP_FLAGS_OFFSET, (byte) f);
                checksumAt = TCP_CHECKSUM_OFFSET;
            } else {
                Net.u16(out, l4 + UDP_LENGTH_OFFSET, l4Header + chunk);
                checksumAt = UDP_CHECKSUM_OFFSET;
            }
            long sum = InternetChecksum.pseudoHeader(out, o, proto, l4Header + chunk);
            if (partial) {
                Net.u16(out, l4 + checksumAt, InternetChecksum.folded(sum));
            } else {
                Net.u16(out, l4 + checksumAt, 0);
                int c = InternetChecksum.finish(InternetChecksum.add(sum, out, l4, l4Header + chunk));
                // RFC 768: a computed UDP checksum of zero is sent as all ones (zero means "none").
                Net.u16(out, l4 + checksumAt, !tcp && c == 0 ? 0xFFFF : c);
            }
            lengths[i] = len;
        }
        return count;
    }

    /**
     * Completes a partial checksum in place: the field at {@code start + offset} holds the
     * pseudo-header sum, and the checksum covers {@code [start, len)}. Returns false when the
     * offsets do not fit the packet.
     */
    public static boolean completePartial(MemorySegment s, long off, int len, int start, int offset) {
        if (start < 0 || offset < 0 || start + offset + 2 > len) {
            return false;
        }
        int c = InternetChecksum.finish(InternetChecksum.add(0, s, off + start, len - start));
        Net.u16(s, off + start + offset, c);
        return true;
    }
}
