package net.ipop.crypto.replay;

import java.util.Arrays;

/**
 * Sliding-window replay filter for 64-bit message counters, in the bitmap-ring style of RFC 6479:
 * a ring of 64-bit words where moving the window forward clears whole words instead of shifting
 * bits, so the cost of an accept does not grow with the window.
 *
 * <p>The ring holds {@value #RING_BITS} bits; one word of it is always being recycled, so the
 * guaranteed window is {@value #WINDOW_SIZE} counters: a counter is accepted if it was never
 * accepted before and is less than {@code WINDOW_SIZE} behind the highest counter accepted so far
 * (WireGuard's ring is 2048 bits; reordering across several parallel paths needs more).
 *
 * <p>Counters are unsigned 64-bit values. Counters at or above the limit given at construction are
 * always refused, so a window built with {@code MessageLimits.REJECT_AFTER_MESSAGES} enforces
 * WireGuard's reject-after limit.
 *
 * <p>Not thread-safe: one receive path owns a window (single writer). No method allocates.
 */
public final class ReplayWindow {
    private static final int WORD_SHIFT = 6;
    private static final int WORD_BITS = 1 << WORD_SHIFT;
    private static final int RING_WORDS = 128;
    private static final int RING_MASK = RING_WORDS - 1;

    /** Bits in the ring. */
    public static final int RING_BITS = RING_WORDS * WORD_BITS;
    /** Counters behind the highest accepted one that are still judged individually. */
    public static final int WINDOW_SIZE = RING_BITS - WORD_BITS;

    private final long[] ring = new long[RING_WORDS];
    private final long rejectAfter;
    private long highest;

    /**
     * @param rejectAfter unsigned limit: counters {@code >= rejectAfter} are never accepted
     */
    public ReplayWindow(long rejectAfter) {
        this.rejectAfter = rejectAfter;
    }

    /**
     * Answers whether {@link #accept} would take this counter, without changing anything. Meant as
     * a cheap filter before paying for decryption; the counter only counts as seen once
     * {@link #accept} is called after the packet authenticated.
     */
    public boolean check(long counter) {
        if (Long.compareUnsigned(counter, rejectAfter) >= 0) {
            return false;
        }
        if (Long.compareUnsigned(counter, highest) > 0) {
            return true;
        }
        if (Long.compareUnsigned(highest - counter, WINDOW_SIZE) >= 0) {
            return false;
        }
        return (ring[word(counter)] & bit(counter)) == 0;
    }

    /**
     * Marks the counter as seen if it is acceptable.
     *
     * @return true if the counter is new and inside the window (the packet may be delivered); false
     *     for a duplicate, a counter too far behind, or one at or above the limit
     */
    public boolean accept(long counter) {
        if (Long.compareUnsigned(counter, rejectAfter) >= 0) {
            return false;
        }
        if (Long.compareUnsigned(counter, highest) > 0) {
            advanceTo(counter);
        } else if (Long.compareUnsigned(highest - counter, WINDOW_SIZE) >= 0) {
            return false;
        }
        int w = word(counter);
        long b = bit(counter);
        long old = ring[w];
        if ((old & b) != 0) {
            return false;
        }
        ring[w] = old | b;
        return true;
    }

    /** The highest counter accepted so far (unsigned; 0 before any was accepted). */
    public long highest() {
        return highest;
    }

    /** Forgets everything, as for a fresh key. */
    public void reset() {
        Arrays.fill(ring, 0L);
        highest = 0;
    }

    private void advanceTo(long counter) {
        long from = highest >>> WORD_SHIFT;
        long words = (counter >>> WORD_SHIFT) - from;
        // A jump of a whole ring or more makes every old word stale: clear each once, not per step.
        if (Long.compareUnsigned(words, RING_WORDS) > 0) {
            words = RING_WORDS;
        }
        for (long i = 1; i <= words; i++) {
            ring[(int) ((from + i) & RING_MASK)] = 0L;
        }
        highest = counter;
    }

    private static int word(long counter) {
        return (int) ((counter >>> WORD_SHIFT) & RING_MASK);
    }

    private static long bit(long counter) {
        return 1L << (counter & (WORD_BITS - 1));
    }
}
