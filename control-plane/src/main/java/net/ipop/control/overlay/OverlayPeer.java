package net.ipop.control.overlay;

import net.ipop.control.ice.IceSession;
import net.ipop.control.ice.SelectedPath;
import net.ipop.control.signal.Offer;
import net.ipop.crypto.cert.NodeCertificate;

/**
 * One admitted member of an overlay, as the {@link OverlayNode} tracks it. Touched only on the node's thread;
 * the ICE work done elsewhere reports back through the node's inbox.
 */
final class OverlayPeer {
    final String overlay;
    final String name;
    final NodeCertificate certificate;
    /** The peer id in the {@link net.ipop.control.node.StaticNode} and the data plane. */
    final int peerId;
    /**
     * Whether this end offers ICE sessions in the steady state and wins crossed offers: the one with the lower node
     * name. Either end restarts a broken link ({@link LinkHealth}).
     */
    final boolean offerer;
    /** The ICE session, once gathered; replaced generations live inside it. */
    IceSession ice;
    /** ICE work (gather, restart, start) is under way on the ICE thread. */
    boolean busy;
    /** An offer that arrived while busy; handled when the work is done (the latest wins). */
    Offer pendingOffer;
    /** The session id of our offer awaiting an answer, or null. */
    String offerSessionId;
    long offerSentNanos;
    /** When the offerer tries again after a failure or an unanswered offer; 0 for never. */
    long retryAtNanos;
    long retryDelayNanos = OverlayNode.FIRST_RETRY_NANOS;
    /** The path the data flows on now, or null. */
    SelectedPath path;
    boolean gone;
    /** Whether the topology plans a link to this peer, as the node last acted on it ({@link OverlayTopology#follow}). */
    boolean linked;
    /** When it left the room (clock nanos, never 0), or 0 while it is there; dropped after a grace period. */
    long leftAtNanos;
    /** A relayed path selected before ice4j had bound its TURN channel, or null. */
    SelectedPath awaitingChannel;
    long channelSinceNanos;
    long channelPollNanos;
    long channelProbeNanos;
    /** When the link in use was lost (see {@link LinkHealth}); 0 while it is fine. */
    long lostAtNanos;
    /** A restart under way must have selected a path by then, or it counts as failed; 0 when none is. */
    long restartDeadlineNanos;
    /** The link policy was told the member is unreachable, and not yet that it is back. */
    boolean reportedDown;
    /** A probe for a direct path (this end's or the member's) is under way; see {@link DirectProbes}. */
    boolean probing;
    /** A probe under way must have selected a pair by then, or it is abandoned. */
    long probeDeadlineNanos;
    /** When the next probe is due (clock nanos, never 0), or 0 for none (the path is direct, lost, or probed now). */
    long probeAtNanos;
    /** The wait before the next probe after a failed one; doubles up to {@code ice.directProbeMaxMs}. */
    long probeDelayNanos;
    /** Probes since the path became relayed, for the logs. */
    long probesSinceRelayed;

    OverlayPeer(String overlay, String name, NodeCertificate certificate, int peerId, boolean offerer) {
        this.overlay = overlay;
        this.name = name;
        this.certificate = certificate;
        this.peerId = peerId;
        this.offerer = offerer;
    }

    @Override
    public String toString() {
        return name + " (" + overlay + ")";
    }
}
