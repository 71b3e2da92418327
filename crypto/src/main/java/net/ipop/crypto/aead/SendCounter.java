package net.ipop.crypto.aead;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * The message counter of one sending key, shared by the {@link PacketSealer}s that seal with that key
 * on different threads (one per pipeline when a peer's flows are spread over several TUN queues).
 * Each counter value is handed out exactly once, so no nonce repeats across threads.
 *
 * <p>Senders reserve a run of consecutive counters with one atomic update ({@link #reserve}) and use
 * them at once, so the counters in flight at any moment are those of the batches being sealed right
 * now; the receiver's replay window (8128 messages wide) absorbs the reordering between threads as
 * long as a batch is far smaller than the window, which the caller keeps ({@link #MAX_RESERVATION}).
 *
 * <p>Threading: any thread. Nothing allocates.
 */
public final class SendCounter {
    /** The most counters one {@link #reserve} hands out: well inside the receiver's replay window. */
    public static final int MAX_RESERVATION = 1024;

    private static final VarHandle NEXT;

    static {
        try {
            NEXT = MethodHandles.lookup().findVarHandle(SendCounter.class, "next", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    @SuppressWarnings("unused") // accessed through NEXT
    private volatile long next;

    /**
     * Reserves {@code count} consecutive counters.
     *
     * @param count 1..{@link #MAX_RESERVATION}
     * @return the first of them (unsigned), or -1 (also unsigned: the largest value, always rejected)
     *     when any of them reaches {@link MessageLimits#REJECT_AFTER_MESSAGES}; the key is then
     *     exhausted for good
     */
    public long reserve(int count) {
        if (count < 1 || count > MAX_RESERVATION) {
            throw new IllegalArgumentException("count must be 1.." + MAX_RESERVATION + ": " + count);
        }
        // A compare-and-set rather than a blind add: the counter must never move past the limit
        // (an add from many threads at once could carry it round 2^64 and reuse nonces). Without
        // contention it is one atomic instruction per batch, like an add.
        long first = (long) NEXT.getVolatile(this);
        while (true) {
            // The limit sits 2^13 below 2^64 and a reservation is at most 2^10: first + count
            // cannot wrap while first is below the limit.
            if (MessageLimits.mustReject(first) || MessageLimits.mustReject(first + count - 1)) {
                return -1;
            }
            long witness = (long) NEXT.compareAndExchange(this, first, first + count);
            if (witness == first) {
                return first;
            }
            first = witness;
        }
    }

    /** The counter the next reservation starts at (unsigned); a racy snapshot when others seal. */
    public long next() {
        return (long) NEXT.getOpaque(this);
    }

    /** Test hook: jump ahead to exercise the limits. */
    void next(long value) {
        NEXT.setVolatile(this, value);
    }
}
