package net.ipop.dataplane.route;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * Bytes sent on one route, one counter per pipeline (TUN queue), for on-demand links: the conductor sums them
 * every interval and reports routes whose traffic crossed a threshold.
 *
 * <p>Single writer per counter: pipeline {@code q} alone adds to counter {@code q}, with a plain load and an
 * opaque store (no lock, no atomic read-modify-write); the conductor reads them with opaque loads. Each counter
 * sits on its own 64-byte cache line, so two pipelines sending on one route do not share a line.
 *
 * <p>Lifetime: one per route prefix, created by the conductor when the prefix is first routed and kept while it
 * stays routed (a route re-pointed to another peer keeps counting into the same object); a pipeline still holding
 * an older snapshot counts into it harmlessly. {@link #lastSum} belongs to the conductor.
 */
public final class RouteTraffic {
    /** Longs per cache line: one counter each, so queues never write the same line. */
    private static final int STRIDE = 8;
    private static final VarHandle LONGS = MethodHandles.arrayElementVarHandle(long[].class);

    private final long[] bytes;
    private final int queues;
    /** The sum at the conductor's last look (conductor thread only). */
    private long lastSum;

    /** @param queues the pipelines that may count (1 or more) */
    public RouteTraffic(int queues) {
        if (queues < 1) {
            throw new IllegalArgumentException("queues must be at least 1: " + queues);
        }
        this.queues = queues;
        // One line of padding in front so the first counter shares no line with the array header.
        this.bytes = new long[(queues + 1) * STRIDE];
    }

    /**
     * Adds {@code n} bytes sent by pipeline {@code queue}. Packet path: only that pipeline's thread calls it for
     * that queue; no allocation. A queue beyond those this was made for is not counted.
     */
    public void add(int queue, int n) {
        if (queue < queues) {
            int i = (queue + 1) * STRIDE;
            LONGS.setOpaque(bytes, i, bytes[i] + n);
        }
    }

    /** Bytes sent on the route so far, over every pipeline (any thread; each counter read opaquely). */
    public long sum() {
        long s = 0;
        for (int q = 1; q <= queues; q++) {
            s += (long) LONGS.getOpaque(bytes, q * STRIDE);
        }
        return s;
    }

    /** Bytes sent since the previous call (the first call: since creation). Conductor thread only. */
    public long sinceLast() {
        long now = sum();
        long delta = now - lastSum;
        lastSum = now;
        return delta;
    }
}
