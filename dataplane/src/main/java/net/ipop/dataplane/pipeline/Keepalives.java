package net.ipop.dataplane.pipeline;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import net.ipop.crypto.aead.AeadScratch;
import net.ipop.crypto.aead.TransportHeader;
import net.ipop.dataplane.packet.ChannelData;
import net.ipop.dataplane.session.Peer;
import net.ipop.dataplane.session.PeerLiveness;
import net.ipop.dataplane.session.PeerTable;
import net.ipop.dataplane.session.Session;

/**
 * Sends keepalives (empty transport data messages) to the peers this pipeline serves when their
 * {@link PeerLiveness} says one is due: persistent (nothing sent for the peer's interval) or passive
 * (data received and nothing sent back), and under a session we just initiated when no data went under it
 * first ({@link Session#announcementDue()}: it confirms the session at the responder). A peer gets one only if it
 * has a current session owned by
 * this pipeline and a known endpoint; a peer declared down still gets them, since they are what
 * finds out whether it came back.
 *
 * <p>{@link #run} scans the snapshot's peers at most every {@link #SCAN_INTERVAL_NANOS}, so a busy
 * pipeline pays a clock comparison per cycle and the scan 100 times a second. The keepalives join
 * the pipeline's {@link GsoBatcher}; the caller flushes it.
 *
 * <p>Threading: the owning pipeline thread only. Owns a small native buffer (freed by
 * {@link #close}). No allocation per scan.
 */
final class Keepalives implements AutoCloseable {
    /** Keepalive intervals are whole seconds in practice: 10 ms of lateness is noise. */
    static final long SCAN_INTERVAL_NANOS = 10_000_000L;

    private final PathStats stats;
    private final GsoBatcher batcher;
    private final AeadScratch owner;
    private final Arena arena = Arena.ofShared();
    /**
     * An empty message sealed behind room for a ChannelData header (relayed peers); sealed again for each peer
     * due, which {@link GsoBatcher#addKeepalive} allows by copying it.
     */
    private final MemorySegment message = arena.allocate(ChannelData.HEADER_LENGTH + TransportHeader.OVERHEAD, 16);
    private long lastScanNanos;
    private boolean scanned;

    /** @param owner the pipeline's crypto scratch: only sessions built with it are this pipeline's to seal */
    Keepalives(PathStats stats, GsoBatcher batcher, AeadScratch owner) {
        this.stats = stats;
        this.batcher = batcher;
        this.owner = owner;
    }

    /** Queues the keepalives due at {@code nowNanos}; returns how many. */
    int run(PeerTable table, long nowNanos) {
        if (scanned && nowNanos - lastScanNanos < SCAN_INTERVAL_NANOS) {
            return 0;
        }
        scanned = true;
        lastScanNanos = nowNanos;
        int sent = 0;
        for (int slot = 0, n = table.slots(); slot < n; slot++) {
            Peer peer = table.peer(slot);
            if (peer == null || !(peer.liveness().keepaliveDue(nowNanos)
                    || peer.current() != null && peer.current().announcementDue())) {
                continue;
            }
            Session session = peer.sender(nowNanos);
            if (session == null || !session.ownedBy(owner) || !peer.endpoint().known()) {
                continue;
            }
            int r = session.sealer().seal(message, ChannelData.HEADER_LENGTH, 0);
            if (r < 0) {
                continue; // retired or exhausted: a rekey is the control plane's business, not a drop
            }
            session.signals().onSendCounter(session.sealer().nextCounter());
            peer.liveness().sentKeepalive(nowNanos);
            batcher.addKeepalive(peer, message, ChannelData.HEADER_LENGTH, r);
            stats.keepalivesSent++;
            sent++;
        }
        return sent;
    }

    @Override
    public void close() {
        arena.close();
    }
}
