package net.ipop.dataplane.stats;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.ManagementFactory;
import java.nio.file.Path;

import org.agrona.concurrent.SystemEpochClock;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import net.ipop.ipc.counters.CountersFileReader;
import net.ipop.ipc.counters.CountersSnapshot;
import net.ipop.ipc.counters.DropReason;
import net.ipop.ipc.counters.GlobalCounter;

/** The packet-path methods allocate nothing: measured with the JVM's per-thread allocation counter. */
class AllocationFreeCountingTest {
    private static final int ROUNDS = 1_000_000;

    @TempDir
    Path dir;

    @Test
    void oneMillionRoundsOfEveryCountingMethodAllocateNothing() throws Exception {
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long self = Thread.currentThread().threadId();
        try (CountersFileWriter w = CountersFileWriter.create(dir.resolve("a.counters"), 1, 8, SystemEpochClock.INSTANCE)) {
            w.addPeer(3, 33, "peer");
            PipelineCounters p = w.pipeline(0);
            DropReason[] reasons = DropReason.values();
            rounds(p, reasons, ROUNDS); // warm up: let the JIT compile the loop first
            long before = threads.getThreadAllocatedBytes(self);
            long start = System.nanoTime();
            rounds(p, reasons, ROUNDS);
            long nanos = System.nanoTime() - start;
            long allocated = threads.getThreadAllocatedBytes(self) - before;
            System.out.printf("counting: %d rounds of 9 calls, %.1f ns per call, %d bytes allocated%n",
                    ROUNDS, nanos / (ROUNDS * 9.0), allocated);
            // The measurement itself may allocate a few bytes; one per round would be >= 16 MB.
            assertTrue(allocated < 1024, "allocated " + allocated + " bytes over " + ROUNDS + " rounds");

            CountersSnapshot s = CountersFileReader.open(w.path()).snapshot(System.currentTimeMillis());
            assertEquals(2L * ROUNDS * 1500, s.peers().get(0).txBytes());
            assertEquals(2L * ROUNDS * 11, s.peers().get(0).rxPackets());
            assertEquals(2L * ROUNDS, s.globals().get(GlobalCounter.TUN_READS));
            assertEquals(2L * ROUNDS, s.peers().get(0).drops(DropReason.REPLAY));
        }
    }

    private static void rounds(PipelineCounters p, DropReason[] reasons, int n) {
        for (int i = 0; i < n; i++) {
            p.peerSent(3, 1500);
            p.peerReceived(3, 10, 14_000L);
            p.peerReceived(3, 100);
            p.peerSent(5, 1500); // an empty slot
            p.drop(reasons[i & 7]);
            p.increment(GlobalCounter.TUN_READS);
            p.count(GlobalCounter.UDP_SENDS, 2);
            p.peerDropped(3, DropReason.REPLAY);
            p.peerDropped(5, DropReason.REPLAY); // an empty slot
        }
    }
}
