package net.ipop.crypto.noise;

/**
 * The time source of the handshake state machine, passed in so tests can drive it by hand.
 * Implementations must be safe to call from the thread that owns the state machine.
 */
public interface Clock {
    /** Monotonic time in nanoseconds (arbitrary origin), for every timer and age. */
    long nanoTime();

    /** Wall-clock time in nanoseconds since 1970-01-01 UTC, only for TAI64N timestamps. */
    long epochNanos();

    /** The system clocks. */
    static Clock system() {
        return SystemClock.INSTANCE;
    }
}
