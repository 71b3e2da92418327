package net.ipop.dataplane.conductor;

import java.util.Collection;
import java.util.function.Consumer;

import net.ipop.dataplane.session.PeerLiveness;

/**
 * Declares peers down and up, for the {@link Conductor} (the only writer of the down flag): a peer is
 * down when data sent to it has gone unanswered (nothing authenticated came back) for the dead
 * interval, counted from the later of the first unanswered send and the peer's last fresh contact (a
 * session installed: a completed handshake is authenticated contact too). It is up again as soon as
 * neither holds. While down, pipelines count its routes' packets as NO_ROUTE; the change needs no new
 * table snapshot, because the flag lives in the peer's shared {@link PeerLiveness}.
 *
 * <p>The default dead interval is WireGuard's: keepalive timeout (10 s) plus rekey timeout (5 s). Peers
 * are checked every {@link #CHECK_INTERVAL_NANOS}. Each change goes to the conductor ({@code onDown},
 * {@code onUp}), which sends the control plane a {@code PEER_DOWN} or {@code PEER_UP} session event.
 * Threading: the conductor thread only; logs one line per change, nothing per check.
 */
final class LivenessMonitor {
    /** KEEPALIVE_TIMEOUT + REKEY_TIMEOUT of the WireGuard paper. */
    static final long DEFAULT_DEAD_AFTER_NANOS = 15_000_000_000L;
    static final long CHECK_INTERVAL_NANOS = 100_000_000L;

    private final long deadAfterNanos;
    private final Consumer<PeerEntry> onDown;
    private final Consumer<PeerEntry> onUp;
    private final Consumer<String> log;
    private long lastCheckNanos;
    private boolean checked;

    /**
     * @param deadAfterNanos the dead interval, &gt; 0
     * @param onDown         told of each peer just declared down (after its flag is set)
     * @param onUp           told of each peer that was down and is up again (after its flag is cleared)
     */
    LivenessMonitor(long deadAfterNanos, Consumer<PeerEntry> onDown, Consumer<PeerEntry> onUp,
            Consumer<String> log) {
        if (deadAfterNanos <= 0) {
            throw new IllegalArgumentException("dead interval " + deadAfterNanos + " ns must be > 0");
        }
        this.deadAfterNanos = deadAfterNanos;
        this.onDown = onDown;
        this.onUp = onUp;
        this.log = log;
    }

    /**
     * How long received data may go unanswered before the pipeline sends a passive keepalive: two thirds
     * of the dead interval (WireGuard's 10 s of 15 s), so the far side hears back before it gives up.
     */
    long passiveKeepaliveNanos() {
        return Math.max(1, deadAfterNanos * 2 / 3);
    }

    long deadAfterNanos() {
        return deadAfterNanos;
    }

    /** Checks every peer if the interval has passed; returns how many changed state. */
    int check(Collection<PeerEntry> peers, long nowNanos) {
        if (checked && nowNanos - lastCheckNanos < CHECK_INTERVAL_NANOS) {
            return 0;
        }
        checked = true;
        lastCheckNanos = nowNanos;
        int changes = 0;
        for (PeerEntry p : peers) {
            boolean dead = dead(p, nowNanos);
            if (dead != p.liveness.down()) {
                p.liveness.down(dead);
                changes++;
                log.accept(dead
                        ? "peer " + p.id + " '" + p.name + "' is down: nothing authenticated from it for "
                                + deadAfterNanos / 1_000_000 + " ms after sending it data; its routes count no_route"
                        : "peer " + p.id + " '" + p.name + "' is up again");
                (dead ? onDown : onUp).accept(p);
            }
        }
        return changes;
    }

    private boolean dead(PeerEntry p, long nowNanos) {
        long since = p.liveness.unansweredSinceNanos();
        if (since == PeerLiveness.NONE) {
            return false;
        }
        long from = since - p.contactNanos > 0 ? since : p.contactNanos;
        return nowNanos - from >= deadAfterNanos;
    }

    /** A fresh contact (a session installed): up at once if it was down. */
    void contact(PeerEntry p, long nowNanos) {
        p.contactNanos = nowNanos;
        if (p.liveness.down()) {
            p.liveness.down(false);
            log.accept("peer " + p.id + " '" + p.name + "' is up again (new session)");
            onUp.accept(p);
        }
    }
}
