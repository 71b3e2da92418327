package net.ipop.control.node;

import net.ipop.crypto.noise.Clock;

/** Time that moves only when a test says so; wall-clock time moves with it (initiation timestamps). */
final class FakeClock implements Clock {
    private static final long EPOCH_START = 1_790_000_000_000_000_000L;
    private long nanos = 1_000_000_000L;

    @Override
    public long nanoTime() {
        return nanos;
    }

    @Override
    public long epochNanos() {
        return EPOCH_START + nanos;
    }

    void advance(long deltaNanos) {
        nanos += deltaNanos;
    }
}
