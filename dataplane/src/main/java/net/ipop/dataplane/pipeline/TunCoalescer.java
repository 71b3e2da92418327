package net.ipop.dataplane.pipeline;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

import net.ipop.dataplane.packet.InternetChecksum;
import net.ipop.dataplane.packet.Ipv4;
import net.ipop.dataplane.packet.Ipv6;
import net.ipop.dataplane.packet.PartialChecksum;
import net.ipop.ffm.tun.VirtioNetHeader;

/**
 * Inbound TUN write coalescing: consecutive TCP segments of one flow, and (when the kernel takes
 * UDP super-packets) consecutive UDP datagrams of one flow, are merged into one super-packet and
 * written with one {@code write(2)} behind a virtio-net header that tells the kernel what it is
 * (the receive side of TSO and USO). Everything else is written alone behind a zeroed header, in
 * arrival order.
 *
 * <p>A TCP segment joins the pending super-packet when it continues it exactly, the way the kernel's
 * own TCP GRO decides: same IP version, addresses, TOS/traffic class, TTL/hop limit, DF; same
 * ports, ack, window, header length and option bytes (so timestamps must be equal); its sequence
 * number is the next expected one; flags are ACK with or without PSH; its payload is no longer
 * than the first segment's ({@code gso_size}) and the previous one was neither short nor PSH. A UDP
 * datagram joins on the same IP fields and the same ports, when every datagram before it had the
 * first one's payload size and it is no longer (the kernel cuts a UDP super-packet back into
 * datagrams of {@code gso_size} bytes, the last one shorter). IPv4 with options or fragments and IPv6
 * with extension headers are never merged. The total stays within 65535 bytes and
 * {@link #MAX_SEGMENTS} segments.
 *
 * <p>What the kernel expects of a GSO frame written to a TUN with {@code IFF_VNET_HDR}
 * ({@code virtio_net_hdr_to_skb}): {@code F_NEEDS_CSUM} with {@code csum_start} at the TCP/UDP header
 * and {@code csum_offset} at its checksum field (16 / 6), that field holding the folded (not
 * complemented) pseudo-header sum over the whole transport length, {@code gso_type}
 * TCPV4/TCPV6/UDP_L4, {@code gso_size} the segment payload size and {@code hdr_len} the IP +
 * transport header bytes; the IPv4 total length and header checksum (verified by {@code ip_rcv}) or
 * the IPv6 payload length, and the UDP length, cover the super-packet. UDP super-packets
 * ({@code VIRTIO_NET_HDR_GSO_UDP_L4}) are understood from Linux 6.2, the kernel that brought USO
 * to the TUN driver: the data plane turns them on only when the device granted USO. A local socket
 * without {@code UDP_GRO} gets the datagrams one by one, as they were sent.
 * The segments' own checksums are not checked here: the payload was authenticated by the AEAD
 * and the kernel trusts a partial-checksum packet, as it does for TSO from a local socket. So
 * segments with full and with partial checksums ({@link #writePartial}) merge alike; a packet
 * written alone keeps its own: a partial one goes with {@code F_NEEDS_CSUM} and the
 * {@code csum_start}/{@code csum_offset} of {@link PartialChecksum}, a full one behind a zeroed header.
 *
 * <p>Threading: the pipeline thread only. Buffers: each packet is copied into this coalescer's own
 * frame buffer (the same single copy the plain write path makes), so the caller's buffer is
 * borrowed only for {@link #write}. {@link #flush} must be called at the end of each receive batch.
 * No allocation per packet. Owns its buffer, freed by {@link #close()}.
 */
final class TunCoalescer implements TunSink, AutoCloseable {
    static final int MAX_SEGMENTS = 64;
    static final int MAX_PACKET = 65535;

    private static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    private static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    private static final ValueLayout.OfLong U64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);

    /** RFC 9293 TCP header offsets. */
    static final int TCP_MIN_HEADER = 20;
    static final int TCP_SRC_PORT_OFFSET = 0;
    static final int TCP_SEQ_OFFSET = 4;
    static final int TCP_ACK_OFFSET = 8;
    static final int TCP_DATA_OFFSET_OFFSET = 12;
    static final int TCP_FLAGS_OFFSET = 13;
    static final int TCP_WINDOW_OFFSET = 14;
    static final int TCP_CHECKSUM_OFFSET = 16;
    static final int TCP_PSH = 0x08;
    static final int TCP_ACK = 0x10;
    static final int UDP_HEADER = 8;
    static final int UDP_LENGTH_OFFSET = 4;
    static final int UDP_CHECKSUM_OFFSET = 6;

    private static final int IPV4_TOS_OFFSET = 1;
    private static final int IPV4_MF = 0x2000;
    private static final int IPV4_FRAGMENT_MASK = 0x1FFF;
    private static final int IPV6_PAYLOAD_LENGTH_OFFSET = 4;
    private static final int IPV6_HOP_LIMIT_OFFSET = 7;

    /** The packet starts right after the virtio-net header. */
    private static final long IP = VirtioNetHeader.SIZE;

    private final TunFrameSink device;
    private final PathStats stats;
    /** Whether UDP datagrams are merged (the kernel takes {@code GSO_UDP_L4} frames). */
    private final boolean udp;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment frame;
    private final VirtioNetHeader header = new VirtioNetHeader();

    /** Segments in the frame buffer; 0 when nothing is pending. */
    private int segments;
    private int version;
    /** {@link Ipv4#PROTO_TCP} or {@link Ipv4#PROTO_UDP}: what the pending segments carry. */
    private int protocol;
    private int ipHeader;
    /** The TCP header length, or {@link #UDP_HEADER}. */
    private int transportHeader;
    /** Packet bytes in the frame (after the virtio-net header). */
    private int total;
    private int gsoSize;
    private int nextSeq;
    /** The last segment added was short or had PSH: nothing may follow it. */
    private boolean ended;
    /** The first pending segment's checksum is partial: matters only if it is written alone. */
    private boolean firstPartial;

    private long superPackets;
    private long mergedSegments;

    /**
     * @param device where frames go (borrowed)
     * @param stats counters; a failed write of a super-packet is counted here for all its segments
     * @param udp whether UDP datagrams are merged too: only if the TUN device granted USO (Linux 6.2+),
     *     as older kernels refuse {@code GSO_UDP_L4} frames
     */
    TunCoalescer(TunFrameSink device, PathStats stats, boolean udp) {
        this.device = device;
        this.stats = stats;
        this.udp = udp;
        this.frame = arena.allocate(VirtioNetHeader.SIZE + MAX_PACKET, 64);
    }

    /**
     * Takes the IP packet {@code buffer[offset, offset + length)} (validated by the caller: a
     * well-formed IPv4 or IPv6 header whose length is {@code length}). It may be held until the
     * next {@link #write} or {@link #flush}.
     *
     * @return false if a write that happened now failed (the current packet's drop; drops of
     *         earlier held segments are counted in {@link PathStats} directly)
     */
    @Override
    public boolean write(MemorySegment buffer, long offset, int length) {
        return write(buffer, offset, length, false);
    }

    /** As {@link #write}, for a packet whose TCP/UDP checksum may be partial ({@link TunSink#writePartial}). */
    @Override
    public boolean writePartial(MemorySegment buffer, long offset, int length) {
        return write(buffer, offset, length, true);
    }

    private boolean write(MemorySegment buffer, long offset, int length, boolean partial) {
        int v = (buffer.get(ValueLayout.JAVA_BYTE, offset) & 0xFF) >>> 4;
        int ipLen = plainIpHeader(buffer, offset, v, length);
        int proto = ipLen == 0 ? 0 : v == 4 ? Ipv4.protocol(buffer, offset) : Ipv6.nextHeader(buffer, offset);
        int l4Len = 0;
        if (proto == Ipv4.PROTO_TCP) {
            l4Len = mergeableTcpHeader(buffer, offset + ipLen, length - ipLen);
        } else if (proto == Ipv4.PROTO_UDP && udp) {
            l4Len = mergeableUdpHeader(buffer, offset + ipLen, length - ipLen);
        }
        if (l4Len == 0) {
            flush();
            return writeAlone(buffer, offset, length, partial);
        }
        int payload = length - ipLen - l4Len;
        boolean tcp = proto == Ipv4.PROTO_TCP;
        if (segments > 0 && continues(buffer, offset, v, proto, ipLen, l4Len, payload)) {
            MemorySegment.copy(buffer, offset + ipLen + l4Len, frame, IP + total, payload);
            total += payload;
            segments++;
            ended = payload < gsoSize;
            if (tcp) {
                nextSeq += payload;
                int flags = buffer.get(ValueLayout.JAVA_BYTE, offset + ipLen + TCP_FLAGS_OFFSET);
                if ((flags & TCP_PSH) != 0) {
                    long firstFlags = IP + ipHeader + TCP_FLAGS_OFFSET;
                    frame.set(ValueLayout.JAVA_BYTE, firstFlags,
                            (byte) (frame.get(ValueLayout.JAVA_BYTE, firstFlags) | TCP_PSH));
                    ended = true;
                }
            }
            return true;
        }
        flush();
        MemorySegment.copy(buffer, offset, frame, IP, length);
        segments = 1;
        version = v;
        protocol = proto;
        ipHeader = ipLen;
        transportHeader = l4Len;
        total = length;
        gsoSize = payload;
        firstPartial = partial;
        ended = false;
        if (tcp) {
            nextSeq = buffer.get(U32, offset + ipLen + TCP_SEQ_OFFSET) + payload;
            ended = (buffer.get(ValueLayout.JAVA_BYTE, offset + ipLen + TCP_FLAGS_OFFSET) & TCP_PSH) != 0;
        }
        return true;
    }

    /** Writes what is pending: a lone segment as it came, several as one GSO super-packet. */
    @Override
    public void flush() {
        if (segments == 0) {
            return;
        }
        header.wrap(frame, 0).clear();
        boolean tcp = protocol == Ipv4.PROTO_TCP;
        int checksumField = tcp ? TCP_CHECKSUM_OFFSET : UDP_CHECKSUM_OFFSET;
        if (segments > 1) {
            if (version == 4) {
                frame.set(U16, IP + Ipv4.TOTAL_LENGTH_OFFSET, (short) total);
                Ipv4.fixHeaderChecksum(frame, IP);
            } else {
                frame.set(U16, IP + IPV6_PAYLOAD_LENGTH_OFFSET, (short) (total - Ipv6.HEADER));
            }
            int transportLength = total - ipHeader;
            if (!tcp) {
                frame.set(U16, IP + ipHeader + UDP_LENGTH_OFFSET, (short) transportLength);
            }
            long pseudo = InternetChecksum.pseudoHeader(frame, IP, protocol, transportLength);
            // The kernel completes the sum from csum_start: the field holds the folded pseudo-header sum.
            frame.set(U16, IP + ipHeader + checksumField, (short) ~InternetChecksum.finish(pseudo));
            int gsoType = !tcp ? VirtioNetHeader.GSO_UDP_L4
                    : version == 4 ? VirtioNetHeader.GSO_TCPV4 : VirtioNetHeader.GSO_TCPV6;
            header.flags(VirtioNetHeader.F_NEEDS_CSUM)
                    .gsoType(gsoType)
                    .hdrLen(ipHeader + transportHeader)
                    .gsoSize(gsoSize)
                    .csumStart(ipHeader)
                    .csumOffset(checksumField);
            superPackets++;
            mergedSegments += segments;
        } else if (firstPartial) {
            header.flags(VirtioNetHeader.F_NEEDS_CSUM).csumStart(ipHeader).csumOffset(checksumField);
        }
        int count = segments;
        segments = 0;
        stats.tunWrites++;
        if (!device.writeFrame(frame, VirtioNetHeader.SIZE + total)) {
            stats.packetsDelivered -= count;
            stats.drop(DropReason.TUN_WRITE_FAILED, count);
        }
    }

    private boolean writeAlone(MemorySegment buffer, long offset, int length, boolean partial) {
        header.wrap(frame, 0).clear();
        int start = partial ? PartialChecksum.start(buffer, offset, length) : PartialChecksum.NOT_COVERED;
        if (start != PartialChecksum.NOT_COVERED) {
            header.flags(VirtioNetHeader.F_NEEDS_CSUM).csumStart(start)
                    .csumOffset(PartialChecksum.field(buffer, offset));
        }
        MemorySegment.copy(buffer, offset, frame, IP, length);
        stats.tunWrites++;
        return device.writeFrame(frame, VirtioNetHeader.SIZE + length);
    }

    /**
     * The IP header length if nothing in the IP layer stops a merge (IPv4 without options or fragments,
     * IPv6 without extension headers: the transport header follows), else 0.
     */
    private static int plainIpHeader(MemorySegment b, long ip, int version, int length) {
        if (version == 4) {
            if (Ipv4.headerLength(b, ip) != Ipv4.MIN_HEADER
                    || (b.get(U16, ip + Ipv4.FLAGS_FRAGMENT_OFFSET) & (IPV4_MF | IPV4_FRAGMENT_MASK)) != 0) {
                return 0;
            }
            return Ipv4.MIN_HEADER;
        }
        return version == 6 && length >= Ipv6.HEADER ? Ipv6.HEADER : 0;
    }

    /** The TCP header length if it is a plain data segment (ACK, maybe PSH, payload), else 0. */
    private static int mergeableTcpHeader(MemorySegment b, long tcp, int length) {
        if (length < TCP_MIN_HEADER) {
            return 0;
        }
        int headerLength = ((b.get(ValueLayout.JAVA_BYTE, tcp + TCP_DATA_OFFSET_OFFSET) & 0xF0) >>> 4) * 4;
        int flags = b.get(ValueLayout.JAVA_BYTE, tcp + TCP_FLAGS_OFFSET) & 0xFF;
        if (headerLength < TCP_MIN_HEADER || headerLength >= length || (flags & ~TCP_PSH) != TCP_ACK) {
            return 0;
        }
        return headerLength;
    }

    /** The UDP header length if the datagram has a payload and its UDP length is the packet's, else 0. */
    private static int mergeableUdpHeader(MemorySegment b, long udp, int length) {
        if (length <= UDP_HEADER || (b.get(U16, udp + UDP_LENGTH_OFFSET) & 0xFFFF) != length) {
            return 0;
        }
        return UDP_HEADER;
    }

    /** Whether the segment continues the pending super-packet exactly (see the class comment). */
    private boolean continues(MemorySegment b, long ip, int v, int proto, int ipLen, int l4Len, int payload) {
        if (ended || v != version || proto != protocol || ipLen != ipHeader || l4Len != transportHeader
                || payload > gsoSize || segments >= MAX_SEGMENTS || total + payload > MAX_PACKET) {
            return false;
        }
        long l4 = ip + ipLen;
        long pending = IP + ipHeader;
        if (proto == Ipv4.PROTO_UDP) {
            // Both ports in one compare.
            return b.get(U32, l4) == frame.get(U32, pending) && sameIp(b, ip, v);
        }
        if (b.get(U32, l4 + TCP_SEQ_OFFSET) != nextSeq
                || b.get(U32, l4 + TCP_SRC_PORT_OFFSET) != frame.get(U32, pending + TCP_SRC_PORT_OFFSET)
                || b.get(U32, l4 + TCP_ACK_OFFSET) != frame.get(U32, pending + TCP_ACK_OFFSET)
                || b.get(U16, l4 + TCP_WINDOW_OFFSET) != frame.get(U16, pending + TCP_WINDOW_OFFSET)
                || MemorySegment.mismatch(b, l4 + TCP_MIN_HEADER, l4 + l4Len,
                        frame, pending + TCP_MIN_HEADER, pending + l4Len) != -1) {
            return false;
        }
        return sameIp(b, ip, v);
    }

    /** Whether the IP header fields a merge keeps (see the class comment) equal the pending super-packet's. */
    private boolean sameIp(MemorySegment b, long ip, int v) {
        if (v == 4) {
            // TOS, TTL, DF and the addresses; the ID may differ, the total length and checksum do.
            return sameByte(b, ip, IPV4_TOS_OFFSET) && sameByte(b, ip, Ipv4.TTL_OFFSET)
                    && b.get(U16, ip + Ipv4.FLAGS_FRAGMENT_OFFSET) == frame.get(U16, IP + Ipv4.FLAGS_FRAGMENT_OFFSET)
                    && b.get(U64, ip + Ipv4.SRC_OFFSET) == frame.get(U64, IP + Ipv4.SRC_OFFSET);
        }
        // Version, traffic class, flow label; hop limit; both addresses.
        return b.get(U32, ip) == frame.get(U32, IP)
                && sameByte(b, ip, IPV6_HOP_LIMIT_OFFSET)
                && MemorySegment.mismatch(b, ip + Ipv6.SRC_OFFSET, ip + Ipv6.HEADER,
                        frame, IP + Ipv6.SRC_OFFSET, IP + Ipv6.HEADER) == -1;
    }

    /** Whether the IP header byte at {@code field} equals the pending super-packet's. */
    private boolean sameByte(MemorySegment b, long ip, int field) {
        return b.get(ValueLayout.JAVA_BYTE, ip + field) == frame.get(ValueLayout.JAVA_BYTE, IP + field);
    }

    /** Super-packets written (two or more segments each); pipeline thread or after it stopped. */
    long superPackets() {
        return superPackets;
    }

    /** Segments that went out inside super-packets. */
    long mergedSegments() {
        return mergedSegments;
    }

    @Override
    public void close() {
        arena.close();
    }
}
