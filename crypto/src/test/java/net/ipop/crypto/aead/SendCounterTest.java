package net.ipop.crypto.aead;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.BitSet;
import java.util.Random;
import java.util.concurrent.CountDownLatch;

import net.ipop.crypto.Suite;
import org.junit.jupiter.api.Test;

/** A key's counter shared by sealers on several threads: every counter once, never past the limit. */
class SendCounterTest {
    @Test
    void concurrentReservationsHandOutEveryCounterExactlyOnce() throws Exception {
        SendCounter counter = new SendCounter();
        int threads = 4;
        int perThread = 20_000;
        long[][] firsts = new long[threads][perThread];
        int[][] counts = new int[threads][perThread];
        CountDownLatch start = new CountDownLatch(1);
        Thread[] workers = new Thread[threads];
        for (int t = 0; t < threads; t++) {
            int id = t;
            workers[t] = new Thread(() -> {
                Random rnd = new Random(id);
                try {
                    start.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
                for (int i = 0; i < perThread; i++) {
                    int n = 1 + rnd.nextInt(64);
                    counts[id][i] = n;
                    firsts[id][i] = counter.reserve(n);
                }
            });
            workers[t].start();
        }
        start.countDown();
        for (Thread w : workers) {
            w.join();
        }
        BitSet seen = new BitSet();
        long total = 0;
        for (int t = 0; t < threads; t++) {
            for (int i = 0; i < perThread; i++) {
                long first = firsts[t][i];
                assertTrue(first >= 0, "no exhaustion this early");
                for (long c = first; c < first + counts[t][i]; c++) {
                    assertTrue(!seen.get((int) c), "counter " + c + " handed out twice");
                    seen.set((int) c);
                }
                total += counts[t][i];
            }
        }
        assertEquals(total, seen.cardinality());
        assertEquals(total, seen.length(), "no gaps: the run is dense");
        assertEquals(total, counter.next());
    }

    @Test
    void reservationsStopBeforeTheLimitAndNeverWrap() {
        SendCounter counter = new SendCounter();
        counter.next(MessageLimits.REJECT_AFTER_MESSAGES - 3);
        assertEquals(-1, counter.reserve(4), "a run reaching the limit is refused whole");
        assertEquals(MessageLimits.REJECT_AFTER_MESSAGES - 3, counter.reserve(3));
        for (int i = 0; i < 10; i++) {
            assertEquals(-1, counter.reserve(SendCounter.MAX_RESERVATION));
            assertEquals(-1, counter.reserve(1));
        }
        assertEquals(MessageLimits.REJECT_AFTER_MESSAGES, counter.next(), "the counter stays at the limit");
        assertThrows(IllegalArgumentException.class, () -> counter.reserve(0));
        assertThrows(IllegalArgumentException.class, () -> counter.reserve(SendCounter.MAX_RESERVATION + 1));
    }

    @Test
    void twoSealersOfOneKeyUseDistinctCountersThatOneOpenerAccepts() {
        byte[] key = new byte[32];
        new Random(3).nextBytes(key);
        SendCounter shared = new SendCounter();
        try (Arena arena = Arena.ofConfined();
             PacketSealer a = new PacketSealer(Suite.AES256GCM, key.clone(), 7, new AeadScratch(2048), shared);
             PacketSealer b = new PacketSealer(Suite.AES256GCM, key.clone(), 7, new AeadScratch(2048), shared);
             PacketOpener opener = new PacketOpener(Suite.AES256GCM, key.clone(), 7, new AeadScratch(2048))) {
            MemorySegment packet = arena.allocate(TransportHeader.OVERHEAD + 100);
            TransportHeader header = new TransportHeader();
            long firstA = a.reserve(3);
            long firstB = b.reserve(2);
            assertEquals(0, firstA);
            assertEquals(3, firstB);
            // Interleaved and out of order, as two pipelines would send them.
            long[] order = {firstB, firstA, firstA + 2, firstB + 1, firstA + 1};
            for (long c : order) {
                PacketSealer s = c >= firstB ? b : a;
                assertEquals(100 + TransportHeader.OVERHEAD, s.sealWith(c, packet, 0, 100));
                assertEquals(c, header.wrap(packet, 0).counter());
                assertEquals(100, opener.open(packet, 0, 100 + TransportHeader.OVERHEAD), "counter " + c);
            }
            assertEquals(5, a.nextCounter());
            assertEquals(100 + TransportHeader.OVERHEAD, a.seal(packet, 0, 100));
            assertEquals(5, header.wrap(packet, 0).counter());
            assertEquals(6, b.nextCounter(), "seal() takes from the shared counter too");
        }
    }
}
