package net.ipop.crypto.replay;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class ReplayWindowTest {
    private static final long NO_LIMIT = -1L; // 2^64 - 1 unsigned
    private static final int W = ReplayWindow.WINDOW_SIZE;

    @Test
    void windowIsAtLeast8128() {
        assertTrue(W >= 8128);
        assertEquals(8192, ReplayWindow.RING_BITS);
    }

    @Test
    void inOrderAcceptedOnceEach() {
        ReplayWindow w = new ReplayWindow(NO_LIMIT);
        for (long c = 0; c < 20_000; c++) {
            assertTrue(w.check(c), "check " + c);
            assertTrue(w.accept(c), "accept " + c);
            assertFalse(w.accept(c), "duplicate " + c);
            assertFalse(w.check(c), "check duplicate " + c);
        }
        assertEquals(19_999, w.highest());
    }

    @Test
    void firstCounterZeroOnlyOnce() {
        ReplayWindow w = new ReplayWindow(NO_LIMIT);
        assertTrue(w.accept(0));
        assertFalse(w.accept(0));
    }

    @Test
    void reorderedWithinWindowAcceptedExactlyOnce() {
        ReplayWindow w = new ReplayWindow(NO_LIMIT);
        List<Long> counters = new ArrayList<>();
        for (long c = 0; c < 3 * W; c++) {
            counters.add(c);
        }
        // Shuffle in blocks no wider than the window so every counter arrives in time.
        Random rnd = new Random(42);
        int block = W / 2;
        for (int i = 0; i < counters.size(); i += block) {
            Collections.shuffle(counters.subList(i, Math.min(i + block, counters.size())), rnd);
        }
        for (long c : counters) {
            assertTrue(w.accept(c), "first arrival of " + c);
        }
        for (long c = 2L * W + 1; c < 3L * W; c++) {
            assertFalse(w.accept(c), "duplicate " + c);
        }
    }

    @Test
    void exactWindowEdge() {
        ReplayWindow w = new ReplayWindow(NO_LIMIT);
        long top = 100_000;
        assertTrue(w.accept(top));
        assertTrue(w.check(top - (W - 1)), "oldest counter inside the window");
        assertTrue(w.accept(top - (W - 1)));
        assertFalse(w.check(top - W), "one behind the window");
        assertFalse(w.accept(top - W));
        assertFalse(w.accept(0), "far too old");
    }

    @Test
    void slidingAcrossWordBoundariesForgetsOnlyWhatLeftTheWindow() {
        ReplayWindow w = new ReplayWindow(NO_LIMIT);
        // Accept every counter around a word boundary, then slide one word at a time.
        for (long c = 60; c < 70; c++) {
            assertTrue(w.accept(c));
        }
        for (long top = 70; top < 70 + 3 * 64; top += 7) {
            w.accept(top);
            for (long c = 60; c < 70; c++) {
                boolean inWindow = top - c < W;
                assertFalse(w.accept(c), "seen " + c + " at top " + top + " (inWindow=" + inWindow + ")");
            }
        }
        // Now the same around a boundary once the ring has wrapped several times.
        long base = 10L * ReplayWindow.RING_BITS + 62;
        assertTrue(w.accept(base));
        assertTrue(w.accept(base + 1));
        assertTrue(w.accept(base + 2)); // next word
        assertTrue(w.accept(base - 1));
        assertFalse(w.accept(base + 1));
        assertFalse(w.accept(base + 2));
        // Counters never seen, in words the slide recycled, must not look seen.
        for (long c = base - 64 * 5; c < base - 1; c++) {
            assertTrue(w.accept(c), "never seen " + c);
        }
    }

    @Test
    void largeJumpClearsStaleBitsButKeepsNewOnes() {
        ReplayWindow w = new ReplayWindow(NO_LIMIT);
        for (long c = 0; c < ReplayWindow.RING_BITS; c++) {
            assertTrue(w.accept(c));
        }
        long far = 1L << 40;
        assertTrue(w.accept(far));
        // Every slot of the ring held a 1 before the jump; none may leak into the new window.
        for (long c = far - W + 1; c < far; c++) {
            assertTrue(w.check(c), "never seen " + c);
        }
        assertFalse(w.accept(far));
        assertFalse(w.accept(5), "from before the jump");
        // A jump of less than a ring keeps the counters still inside the window.
        assertTrue(w.accept(far - 10));
        assertTrue(w.accept(far + 100));
        assertFalse(w.accept(far - 10));
        assertFalse(w.accept(far));
    }

    @Test
    void unsignedCountersAboveTwoToThe63() {
        ReplayWindow w = new ReplayWindow(NO_LIMIT);
        long high = Long.MIN_VALUE + 5; // 2^63 + 5 unsigned
        assertTrue(w.accept(3));
        assertTrue(w.accept(high));
        assertEquals(high, w.highest());
        assertFalse(w.check(3), "2^63 behind is far outside the window");
        assertFalse(w.accept(3));
        assertTrue(w.accept(high - 1));
        assertTrue(w.accept(-2L)); // 2^64 - 2
        assertFalse(w.accept(high));
    }

    @Test
    void limitIsNeverAccepted() {
        long limit = 1000;
        ReplayWindow w = new ReplayWindow(limit);
        assertTrue(w.accept(limit - 1));
        assertFalse(w.check(limit));
        assertFalse(w.accept(limit));
        assertFalse(w.accept(limit + 1));
        assertFalse(w.accept(-1L), "2^64 - 1 is above any limit");
        assertEquals(limit - 1, w.highest(), "refused counters do not move the window");
        assertTrue(w.accept(limit - 2));
    }

    @Test
    void resetForgetsEverything() {
        ReplayWindow w = new ReplayWindow(NO_LIMIT);
        assertTrue(w.accept(7));
        w.reset();
        assertEquals(0, w.highest());
        assertTrue(w.accept(7));
    }
}
