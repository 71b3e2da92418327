package net.ipop.ffm.tun;

import java.lang.foreign.MemorySegment;
import java.util.function.IntPredicate;

import net.ipop.ffm.libc.ErrnoException;
import net.ipop.ffm.libc.Libc;

/** Test-side loop: read a queue until a packet matches or time runs out. */
final class Reads {
    private Reads() {
    }

    /**
     * Reads packets into {@code buf} until {@code match} accepts one (given its length).
     *
     * @return the matching packet's length; fails the test (AssertionError) after {@code timeoutMs}
     */
    static int until(TunQueue q, MemorySegment buf, long timeoutMs, String what, IntPredicate match)
            throws ErrnoException {
        long deadline = System.nanoTime() + timeoutMs * 1_000_000L;
        int seen = 0;
        while (true) {
            long left = (deadline - System.nanoTime()) / 1_000_000L;
            if (left <= 0) {
                throw new AssertionError("no " + what + " within " + timeoutMs + " ms (" + seen + " other packets)");
            }
            if (!q.awaitReadable((int) Math.min(left, 200))) {
                continue;
            }
            int n = q.read(buf);
            if (n == Libc.WOULD_BLOCK) {
                continue;
            }
            if (match.test(n)) {
                return n;
            }
            seen++;
        }
    }
}
