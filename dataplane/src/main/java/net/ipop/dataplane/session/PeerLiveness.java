package net.ipop.dataplane.session;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * Whether a peer answers, with WireGuard's timer semantics: the times the packet path last sent to
 * and heard from the peer, when data to it started going unanswered, and whether the conductor has
 * declared it down. One object lives as long as the peer (or until its keepalive setting changes),
 * shared by every {@link Peer} snapshot version of it, like {@link PeerEndpoint}.
 *
 * <p>Rules (times from {@link System#nanoTime()}):
 * <ul>
 *   <li>Sending <em>data</em> starts the "unanswered" clock if it is not running; receiving anything
 *       authenticated (data or keepalive) under the session we send with, or a newer one, stops it. Keepalives
 *       do not start it: the far side does not answer a keepalive, so a quiet link is not a dead one.</li>
 *   <li>Persistent keepalive: with {@link #keepaliveIntervalNanos()} &gt; 0 the pipeline sends an empty
 *       data message when nothing was sent to the peer for that long.</li>
 *   <li>Passive keepalive: data received and nothing sent back for {@link #passiveKeepaliveNanos()},
 *       counted from the first data packet since our last send (as WireGuard arms its keepalive timer
 *       once; later packets do not push it back, or a steady one-way stream would never be answered),
 *       makes the pipeline send a keepalive, so the sender's unanswered clock stops before its dead
 *       interval runs out even when the traffic is one-way.</li>
 *   <li>The conductor declares the peer down when the unanswered clock has run for its dead interval,
 *       and up again when it stopped (something authenticated arrived) or a new session was installed.
 *       While down, the peer's routes count NO_ROUTE.</li>
 * </ul>
 *
 * <p>Writers: the timestamps have one writer, the pipeline that serves the peer; {@code down} has one
 * writer, the conductor. Every access is opaque (single-writer values, no data published through
 * them), so each is a plain load or store on x86 and allocates nothing; a reader may see a value a
 * few packets old, which the timers (hundreds of milliseconds and up) do not notice.
 */
public final class PeerLiveness {
    /** The value of {@link #unansweredSinceNanos()} while nothing is unanswered. */
    public static final long NONE = Long.MIN_VALUE;
    private static final VarHandle LAST_SENT;
    private static final VarHandle LAST_RECEIVED;
    private static final VarHandle LAST_RECEIVED_DATA;
    private static final VarHandle UNANSWERED_SINCE;
    private static final VarHandle DATA_UNANSWERED_SINCE;
    private static final VarHandle DOWN;

    static {
        try {
            MethodHandles.Lookup l = MethodHandles.lookup();
            LAST_SENT = l.findVarHandle(PeerLiveness.class, "lastSentNanos", long.class);
            LAST_RECEIVED = l.findVarHandle(PeerLiveness.class, "lastReceivedNanos", long.class);
            LAST_RECEIVED_DATA = l.findVarHandle(PeerLiveness.class, "lastReceivedDataNanos", long.class);
            UNANSWERED_SINCE = l.findVarHandle(PeerLiveness.class, "unansweredSinceNanos", long.class);
            DATA_UNANSWERED_SINCE = l.findVarHandle(PeerLiveness.class, "dataUnansweredSinceNanos", long.class);
            DOWN = l.findVarHandle(PeerLiveness.class, "down", boolean.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final long keepaliveIntervalNanos;
    private final long passiveKeepaliveNanos;
    @SuppressWarnings("unused") // accessed through the VarHandles only
    private long lastSentNanos;
    @SuppressWarnings("unused")
    private long lastReceivedNanos;
    @SuppressWarnings("unused")
    private long lastReceivedDataNanos;
    @SuppressWarnings("unused")
    private long unansweredSinceNanos = NONE;
    /** The first data received since we last sent anything, or NONE: the passive keepalive's start. */
    @SuppressWarnings("unused")
    private long dataUnansweredSinceNanos = NONE;
    @SuppressWarnings("unused")
    private boolean down;

    /**
     * @param keepaliveIntervalNanos persistent keepalive interval, 0 = off
     * @param passiveKeepaliveNanos  how long received data may go without anything sent back, &gt; 0
     * @param nowNanos               creation time: the keepalive timers count from here
     */
    public PeerLiveness(long keepaliveIntervalNanos, long passiveKeepaliveNanos, long nowNanos) {
        if (keepaliveIntervalNanos < 0 || passiveKeepaliveNanos <= 0) {
            throw new IllegalArgumentException("keepalive " + keepaliveIntervalNanos + " ns must be >= 0 and passive "
                    + passiveKeepaliveNanos + " ns > 0");
        }
        this.keepaliveIntervalNanos = keepaliveIntervalNanos;
        this.passiveKeepaliveNanos = passiveKeepaliveNanos;
        LAST_SENT.setOpaque(this, nowNanos);
        LAST_RECEIVED.setOpaque(this, nowNanos);
        LAST_RECEIVED_DATA.setOpaque(this, nowNanos);
    }

    /** No persistent keepalive, WireGuard's 10 s passive keepalive: for tests and tools. */
    public static PeerLiveness standard(long nowNanos) {
        return new PeerLiveness(0, 10_000_000_000L, nowNanos);
    }

    public long keepaliveIntervalNanos() {
        return keepaliveIntervalNanos;
    }

    public long passiveKeepaliveNanos() {
        return passiveKeepaliveNanos;
    }

    /** Pipeline: a data message went to the peer. */
    public void sentData(long nowNanos) {
        LAST_SENT.setOpaque(this, nowNanos);
        answered();
        if ((long) UNANSWERED_SINCE.getOpaque(this) == NONE) {
            UNANSWERED_SINCE.setOpaque(this, nowNanos);
        }
    }

    /** Pipeline: a keepalive went to the peer. */
    public void sentKeepalive(long nowNanos) {
        LAST_SENT.setOpaque(this, nowNanos);
        answered();
    }

    private void answered() {
        if ((long) DATA_UNANSWERED_SINCE.getOpaque(this) != NONE) {
            DATA_UNANSWERED_SINCE.setOpaque(this, NONE);
        }
    }

    /**
     * Pipeline: an authenticated message came from the peer; {@code data} false for a keepalive. {@code answers}
     * says whether it proves the peer can open what we send: it came under the session we send with, or a newer
     * one. A message under an older session does not stop the unanswered clock, because the peer may lack our
     * current session's keys (its data plane kept two of three sessions installed in a burst of crossed
     * handshakes, or it restarted) while it keeps sending on the older one; the dead interval then ends in a
     * new handshake instead of our data being dropped there until the next timed rekey.
     */
    public void received(long nowNanos, boolean data, boolean answers) {
        LAST_RECEIVED.setOpaque(this, nowNanos);
        if (data) {
            LAST_RECEIVED_DATA.setOpaque(this, nowNanos);
            if ((long) DATA_UNANSWERED_SINCE.getOpaque(this) == NONE) {
                DATA_UNANSWERED_SINCE.setOpaque(this, nowNanos);
            }
        }
        if (answers && (long) UNANSWERED_SINCE.getOpaque(this) != NONE) {
            UNANSWERED_SINCE.setOpaque(this, NONE);
        }
    }

    public long lastSentNanos() {
        return (long) LAST_SENT.getOpaque(this);
    }

    public long lastReceivedNanos() {
        return (long) LAST_RECEIVED.getOpaque(this);
    }

    public long lastReceivedDataNanos() {
        return (long) LAST_RECEIVED_DATA.getOpaque(this);
    }

    /** When data to the peer started going unanswered, or {@link #NONE}. */
    public long unansweredSinceNanos() {
        return (long) UNANSWERED_SINCE.getOpaque(this);
    }

    /**
     * Whether a keepalive is due now: the persistent interval passed without a send, or data arrived
     * and nothing went back for the passive interval since the first of it. Pipeline; allocation-free.
     */
    public boolean keepaliveDue(long nowNanos) {
        long sent = lastSentNanos();
        if (keepaliveIntervalNanos > 0 && nowNanos - sent >= keepaliveIntervalNanos) {
            return true;
        }
        long since = (long) DATA_UNANSWERED_SINCE.getOpaque(this);
        return since != NONE && nowNanos - since >= passiveKeepaliveNanos;
    }

    /** Whether the conductor declared the peer down: its routes count NO_ROUTE. Any thread. */
    public boolean down() {
        return (boolean) DOWN.getOpaque(this);
    }

    /** Conductor only. */
    public void down(boolean value) {
        DOWN.setOpaque(this, value);
    }
}
