package net.ipop.dataplane.pipeline;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

import net.ipop.crypto.MessageTypes;
import net.ipop.crypto.Suite;
import net.ipop.crypto.aead.PacketResult;
import net.ipop.crypto.aead.TransportHeader;
import net.ipop.dataplane.packet.ChannelData;
import net.ipop.dataplane.packet.Ipv4;
import net.ipop.dataplane.packet.Ipv6;
import net.ipop.dataplane.route.RouteTable;
import net.ipop.dataplane.session.Peer;
import net.ipop.dataplane.session.PeerTable;
import net.ipop.dataplane.session.Session;
import net.ipop.dataplane.session.SessionIndex;
import net.ipop.ffm.udp.MessageBatch;
import net.ipop.ffm.udp.SockAddr;

/**
 * Network -> TUN. For each datagram of a received batch (a GRO slot holds several of
 * {@code segmentSize} bytes each, the last may be shorter):
 *
 * <ol>
 *   <li>length and type: a transport data message goes on; handshake, cookie and STUN messages
 *       go to the {@link Punt}; TURN ChannelData is unwrapped (below); anything else is MALFORMED;</li>
 *   <li>the receiver index picks the session in the snapshot's {@link SessionIndex}
 *       (NO_SESSION if none), whose opener checks the replay window and tag and decrypts in place
 *       (AUTH_FAILED, REPLAYED, ...);</li>
 *   <li>the session's {@link net.ipop.dataplane.session.SessionSignals} note that it received (the conductor
 *       reports a responder session confirmed);</li>
 *   <li>roaming: the datagram authenticated, so if it came from a new source that becomes the
 *       peer's endpoint, unless the peer is reached through a TURN server: then the path is the control
 *       plane's choice (ICE), and neither the TURN server's address nor a direct source replaces it;</li>
 *   <li>liveness: the peer's last-receive time is stamped (see {@link net.ipop.dataplane.session.PeerLiveness});</li>
 *   <li>a zero-length payload is a keepalive: counted, consumed;</li>
 *   <li>the inner packet must parse and its source must be inside the peer's allowed prefixes
 *       (SOURCE_NOT_ALLOWED otherwise);</li>
 *   <li>with a {@link Forwarder}: if the inner destination is routed to a peer, the packet is not for
 *       this node and the forwarder relays it (or counts why not); otherwise it goes to the
 *       {@link TunSink}: this node's addresses are never routed to a peer; a packet from an aes256gcm
 *       session through {@link TunSink#writePartial}, as its TCP/UDP checksum is partial
 *       ({@link net.ipop.dataplane.packet.PartialChecksum}).</li>
 * </ol>
 *
 * <p>TURN ChannelData (RFC 8656 section 12.4; the first byte's top two bits are 01, which no transport
 * or handshake type and no STUN message has): the header must name a bindable channel and a length that fits
 * the datagram (MALFORMED otherwise). Transport data inside must arrive on the channel of a relayed peer from
 * its TURN server ({@link PeerTable#relayedPeer}; UNKNOWN_CHANNEL otherwise) and from that peer's session;
 * it then goes through the steps above with the header stripped (nothing moves: the data starts 4 bytes in).
 * STUN and handshake messages inside are punted <em>whole</em>, header included and the TURN server as the
 * source, so that the control plane, which bound the channel, unwraps them: that is how ICE checks and consent reach a
 * relayed candidate. They are punted from any source, not only the TURN servers of relayed peers, because
 * ICE checks over a relay come before the pair is selected and the data plane told about the server.
 *
 * <p>The {@link TunSink} may hold packets back to coalesce them ({@link TunCoalescer}); it is
 * flushed at the end of every batch.
 *
 * <p>Threading: the owning pipeline thread only. Buffers: the batch is borrowed for
 * {@link #process}; plaintext replaces ciphertext in its slots. Nothing here allocates per packet,
 * except that a failed tag costs the JDK an exception (see PacketOpener).
 */
public final class InboundPath {
    private static final ValueLayout.OfInt INT_LE = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt INT_BE = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    /** RFC 5389: a STUN message has the magic cookie at offset 4 and its two top bits clear. */
    private static final int STUN_MAGIC_COOKIE = 0x2112A442;
    private static final int STUN_HEADER = 20;

    private final PathStats stats;
    private final TunSink tun;
    private final Punt punt;
    /** Relays packets routed to another peer; null: everything authenticated goes to the TUN. */
    private final Forwarder forwarder;
    private long now;

    /** An inbound path that delivers every allowed packet to the TUN (no forwarding). */
    public InboundPath(PathStats stats, TunSink tun, Punt punt) {
        this(stats, tun, punt, null);
    }

    InboundPath(PathStats stats, TunSink tun, Punt punt, Forwarder forwarder) {
        this.stats = stats;
        this.tun = tun;
        this.punt = punt;
        this.forwarder = forwarder;
    }

    /** As {@link #process(PeerTable, MessageBatch, int, long)} at the current {@link System#nanoTime()}. */
    public void process(PeerTable table, MessageBatch batch, int count) {
        process(table, batch, count, System.nanoTime());
    }

    /**
     * Handles slots {@code [0, count)} of a batch filled by {@code UdpSocket.receive}; {@code nowNanos}
     * ({@link System#nanoTime()} of this cycle) stamps the peers' liveness.
     */
    public void process(PeerTable table, MessageBatch batch, int count, long nowNanos) {
        now = nowNanos;
        for (int slot = 0; slot < count; slot++) {
            MemorySegment buffer = batch.buffer(slot);
            int length = batch.length(slot);
            int segment = batch.segmentSize(slot);
            if (segment <= 0 || segment > length) {
                segment = length;
            }
            SockAddr source = batch.remote(slot);
            stats.slotsReceived++;
            if (length == 0) {
                stats.datagramsReceived++;
                stats.drop(DropReason.MALFORMED);
                continue;
            }
            for (int off = 0; off < length; off += segment) {
                datagram(table, buffer, off, Math.min(segment, length - off), source);
            }
        }
        tun.flush();
        if (forwarder != null) {
            forwarder.flush();
        }
    }

    private void datagram(PeerTable table, MemorySegment buffer, long off, int length, SockAddr source) {
        stats.datagramsReceived++;
        if (length < 4) {
            stats.drop(DropReason.MALFORMED);
            return;
        }
        if (ChannelData.looksLike(buffer.get(ValueLayout.JAVA_BYTE, off))) {
            channelData(table, buffer, off, length, source);
            return;
        }
        int type = buffer.get(INT_LE, off);
        if (type == MessageTypes.WG_DATA || type == MessageTypes.AES_DATA) {
            data(table, buffer, off, length, source, null);
        } else if (isHandshake(type) || isStun(buffer, off, length)) {
            stats.punted++;
            punt.punt(buffer, off, length, source);
        } else {
            stats.drop(DropReason.MALFORMED);
        }
    }

    /** A datagram whose first bits say ChannelData: unwrap it, or punt it whole, or count why not. */
    private void channelData(PeerTable table, MemorySegment buffer, long off, int length, SockAddr source) {
        if (!ChannelData.valid(buffer, off, length)) {
            stats.drop(DropReason.MALFORMED);
            return;
        }
        long inner = off + ChannelData.HEADER_LENGTH;
        int innerLength = ChannelData.length(buffer, off);
        int type = innerLength >= 4 ? buffer.get(INT_LE, inner) : -1;
        if (type == MessageTypes.WG_DATA || type == MessageTypes.AES_DATA) {
            Peer via = table.relayedPeer(source, ChannelData.channel(buffer, off));
            if (via == null) {
                stats.drop(DropReason.UNKNOWN_CHANNEL);
                return;
            }
            data(table, buffer, inner, innerLength, source, via);
        } else if (isHandshake(type) || isStun(buffer, inner, innerLength)) {
            stats.punted++;
            punt.punt(buffer, off, length, source);
        } else {
            stats.drop(DropReason.MALFORMED);
        }
    }

    /**
     * A transport data message at {@code buffer[off, off + length)}; {@code via} is the relayed peer whose
     * channel it came on, or {@code null} when it came directly.
     */
    private void data(PeerTable table, MemorySegment buffer, long off, int length, SockAddr source, Peer via) {
        if (length < TransportHeader.OVERHEAD) {
            stats.drop(DropReason.MALFORMED);
            return;
        }
        SessionIndex index = table.sessions();
        int position = index.find(buffer.get(INT_LE, off + TransportHeader.RECEIVER_INDEX_OFFSET));
        if (position < 0) {
            stats.drop(DropReason.NO_SESSION);
            return;
        }
        Peer peer = index.peer(position);
        if (via != null && via.slot() != peer.slot()) {
            // Another peer's session on this peer's channel: not opened, so its replay window is not touched.
            stats.peerDrop(via.slot(), DropReason.UNKNOWN_CHANNEL);
            return;
        }
        Session session = index.session(position);
        int r = session.opener().open(buffer, off, length);
        if (r < 0) {
            stats.peerDrop(peer.slot(), reason(r));
            return;
        }
        stats.messagesOpened++;
        session.signals().onAuthenticated();
        SockAddr endpoint = peer.endpoint().address();
        if (!peer.endpoint().relayed() && !endpoint.sameEndpoint(source)) {
            endpoint.copyFrom(source);
            stats.roams++;
        }
        // Under the previous session while we send on the current one, it does not show the peer holds our keys.
        peer.liveness().received(now, r != 0, session != peer.previous() || peer.sender(now) == session);
        if (r == 0) {
            stats.keepalives++;
            return;
        }
        long ip = off + TransportHeader.LENGTH;
        int version = (buffer.get(ValueLayout.JAVA_BYTE, ip) & 0xFF) >>> 4;
        int innerLength;
        boolean allowed;
        int nextHop = RouteTable.NO_ROUTE;
        if (version == 4 && Ipv4.valid(buffer, ip, r)) {
            innerLength = Ipv4.totalLength(buffer, ip);
            allowed = peer.allowsSource4(Ipv4.src(buffer, ip));
            if (forwarder != null) {
                nextHop = table.routes().lookup4(Ipv4.dst(buffer, ip));
            }
        } else if (version == 6 && Ipv6.valid(buffer, ip, r)) {
            innerLength = Ipv6.HEADER + Ipv6.payloadLength(buffer, ip);
            allowed = peer.allowsSource6(Ipv6.srcHi(buffer, ip), Ipv6.srcLo(buffer, ip));
            if (forwarder != null) {
                nextHop = table.routes().lookup6(Ipv6.dstHi(buffer, ip), Ipv6.dstLo(buffer, ip));
            }
        } else {
            stats.peerDrop(peer.slot(), DropReason.MALFORMED);
            return;
        }
        if (!allowed) {
            stats.peerDrop(peer.slot(), DropReason.SOURCE_NOT_ALLOWED);
            return;
        }
        // aes256gcm is IPOP to IPOP: its TCP/UDP packets come with partial checksums (docs/wire-protocol.md).
        boolean partial = session.suite() == Suite.AES256GCM;
        if (nextHop != RouteTable.NO_ROUTE) {
            stats.peerReceived(peer.slot(), innerLength);
            forwarder.forward(table, peer, nextHop, buffer, off, innerLength, version, partial, now);
            return;
        }
        if (partial ? tun.writePartial(buffer, ip, innerLength) : tun.write(buffer, ip, innerLength)) {
            stats.packetsDelivered++;
            stats.peerReceived(peer.slot(), innerLength);
        } else {
            stats.peerDrop(peer.slot(), DropReason.TUN_WRITE_FAILED);
        }
    }

    private static DropReason reason(int result) {
        return switch (result) {
            case PacketResult.AUTH_FAILED -> DropReason.AUTH_FAILED;
            case PacketResult.REPLAYED -> DropReason.REPLAYED;
            case PacketResult.KEY_EXHAUSTED, PacketResult.RETIRED -> DropReason.KEY_EXHAUSTED;
            default -> DropReason.MALFORMED;
        };
    }

    private static boolean isHandshake(int type) {
        return type == MessageTypes.WG_INITIATION || type == MessageTypes.WG_RESPONSE
                || type == MessageTypes.WG_COOKIE_REPLY || type == MessageTypes.AES_INITIATION
                || type == MessageTypes.AES_RESPONSE || type == MessageTypes.AES_COOKIE_REPLY;
    }

    private static boolean isStun(MemorySegment buffer, long off, int length) {
        return length >= STUN_HEADER && (buffer.get(ValueLayout.JAVA_BYTE, off) & 0xC0) == 0
                && buffer.get(INT_BE, off + 4) == STUN_MAGIC_COOKIE;
    }
}
