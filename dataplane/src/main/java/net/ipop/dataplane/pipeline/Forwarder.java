package net.ipop.dataplane.pipeline;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import net.ipop.crypto.Suite;
import net.ipop.crypto.aead.PacketResult;
import net.ipop.crypto.aead.TransportHeader;
import net.ipop.dataplane.packet.HopLimit;
import net.ipop.dataplane.packet.IcmpTimeExceeded;
import net.ipop.dataplane.packet.Ipv6;
import net.ipop.dataplane.packet.PartialChecksum;
import net.ipop.dataplane.session.LocalAddresses;
import net.ipop.dataplane.session.Peer;
import net.ipop.dataplane.session.PeerTable;
import net.ipop.dataplane.session.Session;

/**
 * The router step of the inbound path: an inner packet that came from one peer, authenticated and
 * from a source that peer may use, whose destination is routed to another peer, is sealed for that
 * peer and sent, without passing through the TUN or the kernel. This is how a node relays between
 * two peers that have no direct link.
 *
 * <p>Per packet: split horizon (the route points back at the peer it came from: LOOP), the next
 * hop must be up (NO_ROUTE while the conductor has declared it down), have a session (NO_SESSION)
 * and an endpoint (NO_ENDPOINT); the TTL / hop limit is decremented ({@link HopLimit}; HOP_LIMIT
 * when it would reach 0, answered with an ICMP time-exceeded sealed back to the sender from this
 * node's own address, at most {@link #ICMP_PER_SECOND} a second); then the packet is sealed <em>in place</em>: the transport header goes
 * where the received one was and the tag right after the inner packet, which never exceeds the
 * received datagram (the inner packet is at most its plaintext), so a GRO slot's next datagram is
 * not touched. Before sealing, the checksum is made what the next hop's suite carries
 * ({@link PartialChecksum}): completed when a packet from an aes256gcm session goes on to a
 * chacha20poly1305 one, made partial (after checking it: MALFORMED if wrong) the other way. The
 * sealed datagram joins the pipeline's {@link GsoBatcher}; for a next hop reached
 * through a TURN relay the batcher copies it behind its ChannelData header, since the received
 * datagram has no headroom to lend.
 *
 * <p>Sessions: like {@link OutboundPath}, this seals with the next hop's current session on the
 * pipeline thread that received the packet, which must therefore own it (true with one queue; see
 * {@link net.ipop.dataplane.session.Session}).
 *
 * <p>Threading: the owning pipeline thread only. Buffers: the received slot is borrowed for
 * {@link #forward}; the ICMP buffer is owned (freed by {@link #close}). No allocation.
 */
final class Forwarder implements AutoCloseable {
    /** RFC 1812 4.3.2.8: a router limits the ICMP errors it sends; a TTL flood must not become an ICMP one. */
    static final int ICMP_PER_SECOND = 100;
    private static final long SECOND = 1_000_000_000L;

    private final PathStats stats;
    private final GsoBatcher batcher;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment icmp = arena.allocate(TransportHeader.OVERHEAD + Ipv6.MIN_MTU, 64);
    private long icmpWindowStart;
    private int icmpInWindow;

    /** @param batcher the pipeline's send batcher, shared with its outbound path (not in use while inbound runs) */
    Forwarder(PathStats stats, GsoBatcher batcher) {
        this.stats = stats;
        this.batcher = batcher;
    }

    /**
     * Forwards the inner packet at {@code buffer[ip, ip + innerLength)}, whose datagram starts at
     * {@code datagram} ({@code ip - TransportHeader.LENGTH}), to the peer in {@code nextHop}, or
     * counts why not.
     *
     * @param from    the peer it came from
     * @param version the inner IP version (4 or 6), already validated
     * @param partial  whether it came on an aes256gcm session, so its TCP/UDP checksum is partial
     */
    void forward(PeerTable table, Peer from, int nextHop, MemorySegment buffer, long datagram, int innerLength,
                 int version, boolean partial, long nowNanos) {
        if (nextHop == from.slot()) {
            stats.drop(DropReason.LOOP);
            return;
        }
        Peer to = table.peer(nextHop);
        if (to == null || to.liveness().down()) {
            stats.drop(DropReason.NO_ROUTE);
            return;
        }
        Session session = to.sender(nowNanos);
        if (session == null) {
            stats.drop(DropReason.NO_SESSION);
            return;
        }
        if (!to.endpoint().known()) {
            stats.drop(DropReason.NO_ENDPOINT);
            return;
        }
        if (!HopLimit.decrement(buffer, datagram + TransportHeader.LENGTH, version)) {
            stats.drop(DropReason.HOP_LIMIT);
            timeExceeded(table.local(), from, buffer, datagram + TransportHeader.LENGTH, innerLength, version,
                    partial, nowNanos);
            return;
        }
        // Each hop's suite decides the checksum it carries: full toward chacha20poly1305 (wireguard-go
        // checks nothing, its host does), partial toward aes256gcm.
        boolean partialOut = session.suite() == Suite.AES256GCM;
        long ip = datagram + TransportHeader.LENGTH;
        if (partial && !partialOut) {
            PartialChecksum.complete(buffer, ip, innerLength);
        } else if (!partial && partialOut && !PartialChecksum.fromFull(buffer, ip, innerLength, true)) {
            stats.drop(DropReason.MALFORMED);
            return;
        }
        int r = session.sealer().seal(buffer, datagram, innerLength);
        if (r < 0) {
            stats.drop(r == PacketResult.TOO_LARGE ? DropReason.TOO_BIG : DropReason.KEY_EXHAUSTED);
            return;
        }
        session.signals().onSendCounter(session.sealer().nextCounter());
        stats.forwarded++;
        stats.peerSent(to.slot(), innerLength);
        to.liveness().sentData(nowNanos);
        batcher.add(to, buffer, datagram, r);
    }

    /** Sends what the batcher holds; at the end of every inbound batch. */
    void flush() {
        batcher.flush();
    }

    /** Tells the sender, through the peer it came from, that its packet's TTL ran out here. */
    private void timeExceeded(LocalAddresses local, Peer from, MemorySegment buffer, long ip, int length, int version,
                              boolean partial, long nowNanos) {
        Session session = from.sender(nowNanos);
        if (session == null || !from.endpoint().known() || (version == 4 ? !local.hasV4() : !local.hasV6())) {
            return;
        }
        if (nowNanos - icmpWindowStart >= SECOND) {
            icmpWindowStart = nowNanos;
            icmpInWindow = 0;
        }
        if (icmpInWindow >= ICMP_PER_SECOND) {
            return;
        }
        long at = TransportHeader.LENGTH;
        if (partial) {
            PartialChecksum.complete(buffer, ip, length); // quote the packet as its sender's host made it
        }
        int n = version == 4
                ? IcmpTimeExceeded.writeV4(buffer, ip, length, local.v4(), icmp, at)
                : IcmpTimeExceeded.writeV6(buffer, ip, length, local.v6Hi(), local.v6Lo(), icmp, at);
        if (n <= 0) {
            return;
        }
        int r = session.sealer().seal(icmp, 0, n);
        if (r < 0) {
            return;
        }
        session.signals().onSendCounter(session.sealer().nextCounter());
        icmpInWindow++;
        stats.icmpSent++;
        stats.peerSent(from.slot(), n);
        batcher.addCopy(from, icmp, 0, r); // the next time-exceeded of this batch is built in the same buffer
    }

    @Override
    public void close() {
        arena.close();
    }
}
