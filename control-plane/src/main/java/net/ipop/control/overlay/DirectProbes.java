package net.ipop.control.overlay;

import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.util.Collection;

import net.ipop.control.ice.PathKind;
import net.ipop.crypto.noise.Clock;

/**
 * Takes a link that fell back to the TURN relay back to a direct path once one works again. While a member's path in
 * use is {@link PathKind#RELAYED}, this end runs an ICE probe ({@link net.ipop.control.ice.IceSession#probe()}) every
 * so often: a second ICE generation with host and server-reflexive candidates only, offered and checked next to the
 * relayed one, which keeps carrying the data (and keeps its TURN allocation) until the probe selects a pair. A
 * direct pair replaces the relayed path (the data plane's endpoint moves and a handshake runs over it, the session
 * going on meanwhile); a probe that selects nothing within {@link #PROBE_TIMEOUT_NANOS}, fails, or finds only a
 * relayed pair changes nothing: the relayed path stays, nothing is reported down, and the next probe waits twice as
 * long, from {@code ice.directProbeMs} up to {@code ice.directProbeMaxMs}.
 *
 * <p>Either end probes. An offer that carries no relayed candidate, arriving while this end's path is relayed and
 * in use, is taken as the peer's probe ({@link #answerAsProbe}): answered with a probe generation of this end's own,
 * so the relay stays here too. Crossed probes are settled as {@link LinkHealth#acceptOffer} settles crossed
 * restarts (the steady-state offerer's stands). A broken link is not this class's business: {@link LinkHealth}'s
 * restart replaces the probe with everything else ({@link #cancelled}).
 *
 * <p>Threading: the overlay node's thread only.
 */
final class DirectProbes {
    /** A probe that has selected no pair after this long is abandoned. */
    static final long PROBE_TIMEOUT_NANOS = 20_000_000_000L;

    private static final Logger LOG = System.getLogger(DirectProbes.class.getName());

    /** What this needs of the overlay node. */
    interface Links {
        /** Gathers a probe generation next to the current one and offers it (the caller checked nothing is under way). */
        void probe(OverlayPeer p);

        /** Frees the probe generation, if any, and forgets an offer of it awaiting an answer; the path stays. */
        void abandon(OverlayPeer p);
    }

    private final Links links;
    private final Clock clock;
    private final long firstNanos;
    private final long maxNanos;
    private long probes;
    private long direct;
    private long failures;

    /**
     * @param firstNanos how long a link stays relayed before the first probe; 0 for no probes (the peer's are
     *                   still answered)
     * @param maxNanos   the longest wait between two probes; at least {@code firstNanos}
     */
    DirectProbes(Links links, Clock clock, long firstNanos, long maxNanos) {
        if (firstNanos < 0 || maxNanos < firstNanos) {
            throw new IllegalArgumentException("probes every " + firstNanos + " to " + maxNanos + " ns");
        }
        this.links = links;
        this.clock = clock;
        this.firstNanos = firstNanos;
        this.maxNanos = maxNanos;
    }

    /**
     * A path was selected and is in use now ({@code p.path}). A probe that was under way selected it if it is
     * direct; a relayed one (a restart after a loss) starts the probe schedule over.
     */
    void selected(OverlayPeer p) {
        long now = clock.nanoTime();
        boolean relayed = p.path != null && p.path.kind() == PathKind.RELAYED;
        if (p.probing) {
            p.probing = false;
            p.probeDeadlineNanos = 0;
            if (!relayed) {
                direct++;
                LOG.log(Level.INFO, "link to {0}: back on a direct path after {1} probe(s)", p,
                        Long.toString(p.probesSinceRelayed));
            }
        }
        p.probesSinceRelayed = 0;
        p.probeDelayNanos = firstNanos;
        p.probeAtNanos = relayed && firstNanos != 0 ? nonZero(now + firstNanos) : 0;
    }

    /** Starts the probes that are due and abandons those out of time; returns the work done. */
    int doWork(Collection<OverlayPeer> peers, long nowNanos) {
        int work = 0;
        for (OverlayPeer p : peers) {
            if (p.probing) {
                if (!p.busy && nowNanos - p.probeDeadlineNanos >= 0) {
                    links.abandon(p);
                    failed(p, "no pair selected within " + PROBE_TIMEOUT_NANOS / 1_000_000_000L + " s");
                    work++;
                }
                continue;
            }
            if (p.probeAtNanos == 0 || nowNanos - p.probeAtNanos < 0) {
                continue;
            }
            if (p.gone || !p.linked || p.path == null || p.path.kind() != PathKind.RELAYED) {
                p.probeAtNanos = 0; // lost, unplanned or direct: a new relayed path schedules again
                continue;
            }
            if (p.busy || p.offerSessionId != null || p.restartDeadlineNanos != 0
                    || p.awaitingChannel != null || p.pendingOffer != null) {
                continue; // other ICE work first; probe once it is done
            }
            p.probeAtNanos = 0;
            p.probing = true;
            p.probeDeadlineNanos = nonZero(nowNanos + PROBE_TIMEOUT_NANOS);
            p.probesSinceRelayed++;
            probes++;
            LOG.log(Level.INFO, "link to {0} is relayed: probing for a direct path (probe {1})", p,
                    Long.toString(p.probesSinceRelayed));
            links.probe(p);
            work++;
        }
        return work;
    }

    /**
     * Whether an offer from the member is its probe, to be answered with a probe here: it carries no relayed
     * candidate, and this end's path is relayed, in use and not being restarted. Anything else is a restart, which
     * replaces the relayed path.
     */
    boolean answerAsProbe(OverlayPeer p, boolean offerHasRelayed) {
        return !offerHasRelayed && p.path != null && p.path.kind() == PathKind.RELAYED
                && p.restartDeadlineNanos == 0;
    }

    /** This end answers the member's probe: that stands for a probe of ours until it ends. */
    void answering(OverlayPeer p) {
        p.probeAtNanos = 0;
        p.probing = true;
        p.probeDeadlineNanos = nonZero(clock.nanoTime() + PROBE_TIMEOUT_NANOS);
        p.probesSinceRelayed++;
    }

    /** The probe under way ended without a direct path: the relayed path stays; the next probe backs off. */
    void failed(OverlayPeer p, String reason) {
        if (!p.probing) {
            return; // already ended (abandoned, or replaced by a restart)
        }
        p.probing = false;
        p.probeDeadlineNanos = 0;
        failures++;
        if (firstNanos == 0) {
            LOG.log(Level.INFO, "link to {0}: probe for a direct path ended ({1}); staying relayed", p, reason);
            return;
        }
        p.probeDelayNanos = Math.min(Math.max(p.probeDelayNanos, firstNanos) * 2, maxNanos);
        p.probeAtNanos = nonZero(clock.nanoTime() + p.probeDelayNanos);
        LOG.log(Level.INFO, "link to {0}: probe for a direct path ended ({1}); staying relayed, next probe in {2} ms",
                p, reason, Long.toString(p.probeDelayNanos / 1_000_000));
    }

    /** A restart (a broken link, the member's restart offer) replaced the generation the probe was in. */
    void cancelled(OverlayPeer p) {
        p.probing = false;
        p.probeDeadlineNanos = 0;
        p.probeAtNanos = 0;
    }

    /** Probes started by this end so far. */
    long probes() {
        return probes;
    }

    /** Probes (this end's or the member's) that took a relayed link back to a direct path. */
    long returnsToDirect() {
        return direct;
    }

    /** Probes that ended without a direct path. */
    long failures() {
        return failures;
    }

    private static long nonZero(long t) {
        return t == 0 ? 1 : t;
    }
}
