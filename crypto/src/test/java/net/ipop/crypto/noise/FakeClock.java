package net.ipop.crypto.noise;

/** A clock tests move by hand; monotonic and wall time advance together. */
final class FakeClock implements Clock {
    private long nanos = 1_000_000_000_000L;
    private long epochNanos = 1_750_000_000L * 1_000_000_000L;

    @Override
    public long nanoTime() {
        return nanos;
    }

    @Override
    public long epochNanos() {
        return epochNanos;
    }

    void advanceMillis(long millis) {
        nanos += millis * 1_000_000L;
        epochNanos += millis * 1_000_000L;
    }

    void advanceSeconds(long seconds) {
        advanceMillis(seconds * 1000L);
    }
}
