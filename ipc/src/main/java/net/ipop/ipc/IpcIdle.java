package net.ipop.ipc;

import java.util.concurrent.TimeUnit;

import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.IdleStrategy;

/**
 * How the threads that wait on the IPC between the planes idle: the embedded Aeron driver, the data
 * plane's command agent and the control plane's node agent. None of them is on the packet path.
 *
 * <p>After a cycle with work they spin and yield briefly, then park for times that double up to
 * {@value #MAX_PARK_MS} ms, so a command or event that follows another (a handshake's messages, a state
 * push) is picked up within microseconds, and one that arrives after a quiet spell within
 * {@value #MAX_PARK_MS} ms. Why not 1 ms: each of these threads then woke ~1,000 times a second on every
 * idle node (measured: ~1.3% of a core and ~940 context switches a second per thread), and on a
 * 2-core machine those wake-ups land on the cores moving packets. The timers these agents run
 * (liveness, rekeys, keepalive checks) work in seconds.
 */
public final class IpcIdle {
    /** Longest park of an idle IPC agent. */
    public static final long MAX_PARK_MS = 10;
    private static final int SPINS = 10;
    private static final int YIELDS = 20;

    private IpcIdle() {
    }

    /** A new strategy for one agent thread (idle strategies keep per-thread state). */
    public static IdleStrategy agent() {
        return new BackoffIdleStrategy(SPINS, YIELDS, TimeUnit.MICROSECONDS.toNanos(1),
                TimeUnit.MILLISECONDS.toNanos(MAX_PARK_MS));
    }
}
