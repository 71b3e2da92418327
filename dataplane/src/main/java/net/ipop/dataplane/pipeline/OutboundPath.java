package net.ipop.dataplane.pipeline;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import net.ipop.crypto.Suite;
import net.ipop.crypto.aead.PacketResult;
import net.ipop.crypto.aead.PacketSealer;
import net.ipop.crypto.aead.TransportHeader;
import net.ipop.dataplane.packet.ChannelData;
import net.ipop.dataplane.packet.IcmpTooBig;
import net.ipop.dataplane.packet.Ipv4;
import net.ipop.dataplane.packet.Ipv6;
import net.ipop.dataplane.packet.PartialChecksum;
import net.ipop.dataplane.packet.Segmenter;
import net.ipop.dataplane.route.RouteTable;
import net.ipop.dataplane.route.RouteTraffic;
import net.ipop.dataplane.session.Peer;
import net.ipop.dataplane.session.PeerTable;
import net.ipop.dataplane.session.Session;
import net.ipop.ffm.tun.VirtioNetHeader;
import net.ipop.ffm.udp.MessageBatch;
import net.ipop.ffm.udp.UdpSocket;

/**
 * TUN -> network. For each packet read from the TUN (a super-packet when the device has TSO/USO):
 *
 * <ol>
 *   <li>parse the virtio-net header (if the device has one) and the IP version;</li>
 *   <li>route lookup on the inner destination gives the peer (NO_ROUTE, also while the peer is
 *       declared down, NO_SESSION, NO_ENDPOINT drop and count; a later step queues the packet and
 *       asks for a handshake); the packet's bytes are added to the route's {@link RouteTraffic}
 *       (this queue's counter), which the conductor turns into traffic reports for on-demand links;</li>
 *   <li>a packet (or a super-packet's segment) larger than the tunnel MTU is answered with an ICMP
 *       "fragmentation needed" / "packet too big" written back to the TUN (TOO_BIG); IPv4 packets
 *       without DF are dropped too (no fragmentation inside the tunnel yet);</li>
 *   <li>{@link Segmenter} cuts the packet into the sealing area at a stride of header + segment +
 *       tag, so every segment has its headroom and tail room; on an aes256gcm session TCP/UDP
 *       packets leave with partial checksums ({@link PartialChecksum}), on chacha20poly1305 with full
 *       ones (a lone packet with a full checksum the kernel did not vouch for is checked before it
 *       goes out partial: MALFORMED if wrong);</li>
 *   <li>each segment is padded with zeros to a multiple of 16 bytes ({@link TransportPadding}) and sealed in
 *       place with the peer's current session, with this queue's sealer and counters reserved for the whole
 *       read in one atomic update (see {@link Session}); the session's
 *       {@link net.ipop.dataplane.session.SessionSignals} then note the send counter (the conductor reports the
 *       rekey and reject limits);</li>
 *   <li>sealed datagrams go to the {@link GsoBatcher}, which groups them per peer into UDP GSO
 *       slots and hands full batches to the {@link DatagramSink}; for a peer reached through a TURN
 *       server the stride has 4 more bytes of headroom, where the batcher writes each datagram's
 *       ChannelData header (RFC 8656 section 12.4).</li>
 * </ol>
 *
 * <p>No copy after segmentation: the sealing area is the send memory. Each TUN read is cut at
 * the area's cursor, so a peer's sealed datagrams lie back to back and the {@link GsoBatcher}
 * points its GSO slots straight at them. The cursor goes back to the start only after a
 * {@link GsoBatcher#flush}, i.e. once nothing in the area waits to be sent.
 *
 * <p>Usage per batch: {@link #begin}, {@link #process} per TUN read, {@link #flush}. Threading:
 * the owning pipeline thread only. Nothing here allocates per packet (the JDK cipher does, inside
 * the sealer; see docs/performance.md).
 */
public final class OutboundPath implements AutoCloseable {
    /** Segments one super-packet may be cut into (64 KiB at 256-byte MSS). */
    static final int MAX_SEGMENTS = 256;
    /** Sealing area: several super-packets, so one send covers a cycle's worth of TUN reads. */
    private static final int AREA_SIZE = 512 * 1024;
    /** Largest span one TUN read may take in the area (a super-packet's sealed segments). */
    private static final int MAX_SPAN = 256 * 1024;
    private static final int ICMP_BUFFER = TransportHeader.LENGTH + Ipv6.MIN_MTU;
    private static final int TCP = 6;
    private static final int UDP = 17;

    private final int queue;
    private final PathStats stats;
    private final int mtu;
    private final boolean vnetHeader;
    private final TunSink tun;
    private final GsoBatcher batcher;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment area;
    private final MemorySegment icmp;
    private final int[] lengths = new int[MAX_SEGMENTS];
    /** Where the next TUN read is cut into the area; back to 0 after each flush. */
    private long cursor;
    private final VirtioNetHeader vnet = new VirtioNetHeader();

    private PeerTable table = PeerTable.empty();
    private long now;

    /**
     * @param mtu tunnel MTU: the largest inner packet we send without an ICMP error
     * @param vnetHeader whether TUN reads start with a {@link VirtioNetHeader}
     * @param batch the send batch this path fills (owned by the pipeline, borrowed by this path)
     */
    public OutboundPath(PathStats stats, int mtu, boolean vnetHeader, TunSink tun, DatagramSink sender, MessageBatch batch) {
        this(0, stats, mtu, vnetHeader, tun, sender, batch);
    }

    /**
     * @param queue the pipeline's queue index: it seals with each session's sealer for that queue
     */
    public OutboundPath(int queue, PathStats stats, int mtu, boolean vnetHeader, TunSink tun, DatagramSink sender,
                        MessageBatch batch) {
        this(queue, stats, mtu, vnetHeader, tun, sender, batch, true);
    }

    /**
     * @param gso whether datagrams to one peer are grouped into UDP GSO slots (false: one datagram per slot)
     */
    public OutboundPath(int queue, PathStats stats, int mtu, boolean vnetHeader, TunSink tun, DatagramSink sender,
                        MessageBatch batch, boolean gso) {
        this.queue = queue;
        if (mtu < 576 || mtu > 65535 - TransportHeader.OVERHEAD) {
            throw new IllegalArgumentException("mtu " + mtu + " outside 576.." + (65535 - TransportHeader.OVERHEAD));
        }
        this.stats = stats;
        this.mtu = mtu;
        this.vnetHeader = vnetHeader;
        this.tun = tun;
        this.batcher = new GsoBatcher(stats, sender, batch, gso ? UdpSocket.MAX_SEGMENTS : 1);
        this.area = arena.allocate(AREA_SIZE, 64);
        this.icmp = arena.allocate(ICMP_BUFFER, 64);
    }

    /** As {@link #begin(PeerTable, long)} at the current {@link System#nanoTime()}. */
    public void begin(PeerTable snapshot) {
        begin(snapshot, System.nanoTime());
    }

    /**
     * Starts a batch on the snapshot the pipeline loaded for it; {@code nowNanos}
     * ({@link System#nanoTime()} of this cycle) stamps the peers' liveness.
     */
    public void begin(PeerTable snapshot, long nowNanos) {
        table = snapshot;
        now = nowNanos;
    }

    /** The send batcher, shared with the pipeline's forwarder and keepalives between batches. */
    GsoBatcher batcher() {
        return batcher;
    }

    /**
     * Handles one TUN read: {@code buffer[0, length)}, virtio-net header first if the device has
     * one. The buffer is borrowed for the call.
     */
    public void process(MemorySegment buffer, int length) {
        stats.tunReads++;
        int gsoType = Segmenter.GSO_NONE;
        int gsoSize = 0;
        boolean needsCsum = false;
        boolean dataValid = false;
        int csumStart = 0;
        int csumOffset = 0;
        long ip = 0;
        int ipLength = length;
        if (vnetHeader) {
            if (length < VirtioNetHeader.SIZE) {
                stats.drop(DropReason.MALFORMED);
                return;
            }
            vnet.wrap(buffer, 0);
            gsoType = vnet.gsoType() & ~Segmenter.GSO_ECN;
            gsoSize = vnet.gsoSize();
            needsCsum = (vnet.flags() & VirtioNetHeader.F_NEEDS_CSUM) != 0;
            dataValid = (vnet.flags() & VirtioNetHeader.F_DATA_VALID) != 0;
            csumStart = vnet.csumStart();
            csumOffset = vnet.csumOffset();
            ip = VirtioNetHeader.SIZE;
            ipLength = length - VirtioNetHeader.SIZE;
        }
        if (ipLength < 1) {
            stats.drop(DropReason.MALFORMED);
            return;
        }
        int version = (buffer.get(ValueLayout.JAVA_BYTE, ip) & 0xFF) >>> 4;
        RouteTable routes = table.routes();
        int entry;
        if (version == 4 && Ipv4.valid(buffer, ip, ipLength)) {
            entry = routes.entry4(Ipv4.dst(buffer, ip));
        } else if (version == 6 && ipLength >= Ipv6.HEADER
                && (gsoType != Segmenter.GSO_NONE || Ipv6.valid(buffer, ip, ipLength))) {
            entry = routes.entry6(Ipv6.dstHi(buffer, ip), Ipv6.dstLo(buffer, ip));
        } else {
            stats.drop(DropReason.MALFORMED);
            return;
        }
        if (entry == RouteTable.NO_ROUTE) {
            stats.drop(DropReason.NO_ROUTE);
            return;
        }
        // What the host sends on the route, delivered or not: traffic that keeps failing still wants a link.
        RouteTraffic traffic = routes.traffic(entry);
        if (traffic != null) {
            traffic.add(queue, ipLength);
        }
        Peer peer = table.peer(routes.nextHop(entry));
        if (peer != null && peer.liveness().down()) {
            stats.drop(DropReason.NO_ROUTE);
            return;
        }
        Session session = peer == null ? null : peer.sender(now);
        if (session == null) {
            if (peer == null) {
                stats.drop(DropReason.NO_SESSION);
            } else {
                stats.peerDrop(peer.slot(), DropReason.NO_SESSION);
            }
            return;
        }
        if (!peer.endpoint().known()) {
            stats.peerDrop(peer.slot(), DropReason.NO_ENDPOINT);
            return;
        }
        // A relayed peer's datagrams each get a ChannelData header in front: headroom within the stride, so
        // the framed datagrams still lie back to back for one in-place GSO slot.
        int framing = peer.endpoint().relayed() ? ChannelData.HEADER_LENGTH : 0;
        int stride;
        if (gsoType == Segmenter.GSO_NONE) {
            if (ipLength > mtu) {
                tooBig(peer, buffer, ip, ipLength, version);
                return;
            }
            stride = TransportPadding.paddedLength(ipLength, mtu) + TransportHeader.OVERHEAD + framing;
        } else {
            int headers = headerLength(buffer, ip, ipLength, version);
            if (headers < 0 || gsoSize <= 0) {
                stats.drop(DropReason.MALFORMED);
                return;
            }
            if (headers + gsoSize > mtu) {
                tooBig(peer, buffer, ip, ipLength, version);
                return;
            }
            stride = TransportPadding.paddedLength(headers + gsoSize, mtu) + TransportHeader.OVERHEAD + framing;
        }
        // An upper bound (the headers counted as payload): the space check need not be exact.
        long segments = gsoType == Segmenter.GSO_NONE ? 1 : (ipLength - 1L + gsoSize) / gsoSize;
        long span = segments * stride;
        if (span > MAX_SPAN) {
            stats.drop(DropReason.MALFORMED);
            return;
        }
        if (cursor + span > AREA_SIZE) {
            batcher.flush(); // sends everything the area holds, so it can be reused from the start
            cursor = 0;
        }
        long base = cursor;
        // aes256gcm is IPOP to IPOP: segments leave with partial checksums (docs/wire-protocol.md).
        boolean partial = session.suite() == Suite.AES256GCM;
        // A lone packet whose partial checksum is already the contract's travels as the kernel left it.
        boolean asIs = partial && gsoType == Segmenter.GSO_NONE && needsCsum
                && PartialChecksum.matches(buffer, ip, ipLength, csumStart, csumOffset);
        long first0 = base + framing + TransportHeader.LENGTH;
        int n = Segmenter.segment(buffer, ip, ipLength, gsoType, gsoSize, needsCsum && !asIs, csumStart, csumOffset,
                area, first0, stride, lengths, partial);
        if (n == Segmenter.MALFORMED) {
            stats.drop(DropReason.MALFORMED);
            return;
        }
        // Any other lone packet now has a full checksum: vouched for by the kernel (completed above, or
        // DATA_VALID), or else checked here before it becomes partial and trusted.
        if (partial && gsoType == Segmenter.GSO_NONE && !asIs
                && !PartialChecksum.fromFull(area, first0, lengths[0], !(needsCsum || dataValid))) {
            stats.peerDrop(peer.slot(), DropReason.MALFORMED);
            return;
        }
        cursor = base + (long) n * stride;
        // One atomic reservation per TUN read: the session's counter is shared with the other queues' sealers.
        PacketSealer sealer = session.sealer(queue);
        long first = sealer.reserve(n);
        if (first == -1) {
            stats.drop(DropReason.KEY_EXHAUSTED, n);
            return;
        }
        for (int i = 0; i < n; i++) {
            long at = base + (long) i * stride + framing;
            int padded = TransportPadding.paddedLength(lengths[i], mtu);
            for (long z = at + TransportHeader.LENGTH + lengths[i], end = z + padded - lengths[i]; z < end; z++) {
                area.set(ValueLayout.JAVA_BYTE, z, (byte) 0);
            }
            int r = sealer.sealWith(first + i, area, at, padded);
            if (r < 0) {
                stats.peerDrop(peer.slot(), r == PacketResult.TOO_LARGE ? DropReason.TOO_BIG : DropReason.KEY_EXHAUSTED);
                continue;
            }
            stats.peerSent(peer.slot(), lengths[i]);
            batcher.addWithHeadroom(peer, area, at, r);
        }
        session.signals().onSendCounter(sealer.nextCounter());
        peer.liveness().sentData(now);
    }

    /** Sends whatever the batch holds; call at the end of every pipeline cycle. */
    public void flush() {
        batcher.flush();
        cursor = 0;
    }

    /**
     * Answers with an ICMP error from the packet's destination: the error stands for the far end of
     * the tunnel. Not from our own overlay address: Linux drops an IPv4 packet arriving on an
     * interface with a local source address (a martian), so our own applications would never learn
     * the path MTU (seen in TunnelTest).
     */
    private void tooBig(Peer peer, MemorySegment buffer, long ip, int length, int version) {
        stats.peerDrop(peer.slot(), DropReason.TOO_BIG);
        int n = version == 4
                ? IcmpTooBig.writeV4(buffer, ip, length, mtu, Ipv4.dst(buffer, ip), icmp, TransportHeader.LENGTH)
                : IcmpTooBig.writeV6(buffer, ip, length, Math.max(mtu, Ipv6.MIN_MTU), Ipv6.dstHi(buffer, ip),
                        Ipv6.dstLo(buffer, ip), icmp, TransportHeader.LENGTH);
        if (n > 0 && tun.write(icmp, TransportHeader.LENGTH, n)) {
            stats.icmpSent++;
        }
    }

    /** IP + TCP/UDP header bytes of a super-packet, or -1 if they do not parse. */
    private static int headerLength(MemorySegment s, long ip, int length, int version) {
        int ipHeader;
        int proto;
        if (version == 4) {
            ipHeader = Ipv4.headerLength(s, ip);
            proto = Ipv4.protocol(s, ip);
        } else {
            ipHeader = Ipv6.HEADER;
            proto = Ipv6.nextHeader(s, ip);
        }
        if (proto == UDP) {
            return ipHeader + 8;
        }
        if (proto != TCP || length < ipHeader + 20) {
            return -1;
        }
        return ipHeader + ((s.get(ValueLayout.JAVA_BYTE, ip + ipHeader + 12) & 0xF0) >>> 2);
    }

    @Override
    public void close() {
        arena.close();
    }
}
