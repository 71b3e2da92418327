package net.ipop.crypto.noise;

/** {@link System#nanoTime()} and the wall clock (millisecond resolution is finer than TAI64N whitening). */
enum SystemClock implements Clock {
    INSTANCE;

    @Override
    public long nanoTime() {
        return System.nanoTime();
    }

    @Override
    public long epochNanos() {
        return System.currentTimeMillis() * 1_000_000L;
    }
}
