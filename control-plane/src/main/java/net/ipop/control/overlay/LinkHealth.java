package net.ipop.control.overlay;

import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.util.Collection;

import net.ipop.control.node.StaticNode;
import net.ipop.crypto.noise.Clock;

/**
 * Brings a broken overlay link back by itself: when the data plane declares a member down ({@code PEER_DOWN}:
 * data to it unanswered for {@code dataplane.deadPeerAfterMs}), when consent on the selected path is lost, or when
 * the handshake over it goes unanswered, this end restarts ICE with the member at once, whichever end it is. The
 * new generation gathers TURN candidates too, so a member that can only be reached through the relay now comes back
 * relayed. A restart that selects no path within {@link #RESTART_TIMEOUT_NANOS}, or fails, reports the member down
 * to the node's link policy (the topology plans around it where it can) and is retried with back-off, from {@link
 * OverlayNode#FIRST_RETRY_NANOS} to {@link OverlayNode#MAX_RETRY_NANOS}; a selected path reports it up.
 *
 * <p>Both ends may restart at once (both data planes see the same silence). The offers cross ("glare"); the end
 * that offers in the steady state (the lower node name, {@link OverlayPeer#offerer}) wins: it ignores an offer that
 * arrives while its own awaits an answer, and the other end drops its own offer and answers. Both agree without a
 * message, because both know the names.
 *
 * <p>Threading: the overlay node's thread only (the node's inbox brings ICE's callbacks there).
 */
final class LinkHealth implements StaticNode.LinkListener {
    /** A restart that has selected no path after this long counts as failed. */
    static final long RESTART_TIMEOUT_NANOS = 20_000_000_000L;

    private static final Logger LOG = System.getLogger(LinkHealth.class.getName());

    /** What this needs of the overlay node. */
    interface Links {
        /** The member with this data-plane peer id, or null. */
        OverlayPeer byPeerId(int peerId);

        /** Starts an ICE restart now: gathers and offers (the caller checked the member is not busy). */
        void restart(OverlayPeer p);

        /** The member is unreachable for now: the link policy plans around it. */
        void reportDown(OverlayPeer p);
    }

    private final Links links;
    private final Clock clock;
    private long restarts;
    private long glares;

    LinkHealth(Links links, Clock clock) {
        this.links = links;
        this.clock = clock;
    }

    @Override
    public void onPeerDown(int peerId) {
        OverlayPeer p = links.byPeerId(peerId);
        if (p != null) {
            lost(p, "the data plane declared it down (data unanswered)");
        }
    }

    @Override
    public void onPeerUp(int peerId) {
        OverlayPeer p = links.byPeerId(peerId);
        if (p != null) {
            LOG.log(Level.DEBUG, "link to {0}: the data plane hears from it again", p);
        }
    }

    @Override
    public void onHandshakeGaveUp(int peerId) {
        OverlayPeer p = links.byPeerId(peerId);
        if (p != null && p.path != null) {
            lost(p, "handshake unanswered over " + p.path.nextHop());
        }
    }

    /**
     * The link in use broke: restart ICE now, unless a restart is already under way. The path stays the data
     * plane's endpoint until a new one is selected (it may come back).
     */
    void lost(OverlayPeer p, String reason) {
        long now = clock.nanoTime();
        if (p.lostAtNanos == 0) {
            p.lostAtNanos = now == 0 ? 1 : now;
        }
        p.path = null;
        if (p.gone || p.restartDeadlineNanos != 0) {
            return;
        }
        p.restartDeadlineNanos = now + RESTART_TIMEOUT_NANOS;
        if (p.restartDeadlineNanos == 0) {
            p.restartDeadlineNanos = 1;
        }
        p.retryDelayNanos = OverlayNode.FIRST_RETRY_NANOS;
        restarts++;
        if (p.busy) {
            LOG.log(Level.INFO, "link to {0} lost ({1}); ICE restart once the work under way is done", p, reason);
            p.retryAtNanos = now == 0 ? 1 : now;
            return;
        }
        LOG.log(Level.INFO, "link to {0} lost ({1}); ICE restart now", p, reason);
        p.retryAtNanos = 0;
        links.restart(p);
    }

    /**
     * ICE failed for the member (its checks, or consent on the selected path). Returns whether this end takes care
     * of it (a restart now or later); false leaves it to the node's usual roles (the answerer of a first connection
     * waits for an offer).
     */
    boolean failed(OverlayPeer p, String reason) {
        if (p.path != null) {
            lost(p, reason);
            return true;
        }
        if (p.restartDeadlineNanos == 0) {
            return false;
        }
        giveUpForNow(p, reason);
        return true;
    }

    /** A path was selected and is in use now: the link is back. */
    void selected(OverlayPeer p) {
        if (p.lostAtNanos != 0) {
            String ms = Long.toString((clock.nanoTime() - p.lostAtNanos) / 1_000_000);
            LOG.log(Level.INFO, "link to {0} restored {1} ms after it was lost, over a {2} path", p, ms,
                    p.path == null ? "new" : p.path.kind());
        }
        p.lostAtNanos = 0;
        p.restartDeadlineNanos = 0;
        p.reportedDown = false;
    }

    /**
     * An offer arrived from the member: whether to answer it. While an offer of ours awaits its answer the two
     * crossed; the steady-state offerer keeps its own, the other end withdraws its own and answers.
     */
    boolean acceptOffer(OverlayPeer p) {
        return acceptOffer(p, false);
    }

    /**
     * As {@link #acceptOffer(OverlayPeer)}; {@code probe} says the offer is the member's probe for a direct path
     * ({@link DirectProbes}), answered next to the path in use, which therefore stays.
     */
    boolean acceptOffer(OverlayPeer p, boolean probe) {
        if (p.offerSessionId == null) {
            if (!probe) {
                answering(p);
            }
            return true;
        }
        glares++;
        if (p.offerer) {
            LOG.log(Level.INFO, "{0}: offers crossed; ours stands (this end offers)", p);
            return false;
        }
        LOG.log(Level.INFO, "{0}: offers crossed; answering theirs (they offer)", p);
        p.offerSessionId = null;
        if (!probe) {
            answering(p);
        }
        return true;
    }

    /**
     * Answering an offer restarts this end's ICE too: the path in use is replaced, and a restart of our own
     * (say, for the data plane's PEER_DOWN a moment later) would only undo it.
     */
    private void answering(OverlayPeer p) {
        p.path = null;
        if (p.restartDeadlineNanos == 0) {
            p.restartDeadlineNanos = clock.nanoTime() + RESTART_TIMEOUT_NANOS;
            if (p.restartDeadlineNanos == 0) {
                p.restartDeadlineNanos = 1;
            }
        }
    }

    /** Restarts that ran out of time; returns the work done. */
    int doWork(Collection<OverlayPeer> peers, long nowNanos) {
        int work = 0;
        for (OverlayPeer p : peers) {
            if (p.restartDeadlineNanos != 0 && p.path == null && !p.busy && p.awaitingChannel == null
                    && p.retryAtNanos == 0 && nowNanos - p.restartDeadlineNanos >= 0) {
                p.offerSessionId = null;
                giveUpForNow(p, "no path selected within " + RESTART_TIMEOUT_NANOS / 1_000_000_000L + " s");
                work++;
            }
        }
        return work;
    }

    private void giveUpForNow(OverlayPeer p, String reason) {
        if (!p.reportedDown) {
            p.reportedDown = true;
            links.reportDown(p);
        }
        long now = clock.nanoTime();
        p.retryAtNanos = now + p.retryDelayNanos;
        if (p.retryAtNanos == 0) {
            p.retryAtNanos = 1;
        }
        p.restartDeadlineNanos = p.retryAtNanos + RESTART_TIMEOUT_NANOS;
        LOG.log(Level.INFO, "link to {0}: ICE restart failed ({1}); reported down, next restart in {2} ms", p, reason,
                Long.toString(p.retryDelayNanos / 1_000_000));
        p.retryDelayNanos = Math.min(p.retryDelayNanos * 2, OverlayNode.MAX_RETRY_NANOS);
    }

    /** ICE restarts started for broken links so far. */
    long restarts() {
        return restarts;
    }

    /** Crossed offers so far. */
    long glares() {
        return glares;
    }
}
