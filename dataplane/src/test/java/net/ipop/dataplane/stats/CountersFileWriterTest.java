package net.ipop.dataplane.stats;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;

import org.agrona.concurrent.CachedEpochClock;
import org.agrona.concurrent.SystemEpochClock;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import net.ipop.ipc.counters.CountersFileReader;
import net.ipop.ipc.counters.CountersLayout;
import net.ipop.ipc.counters.CountersSnapshot;
import net.ipop.ipc.counters.DropReason;
import net.ipop.ipc.counters.GlobalCounter;
import net.ipop.ipc.counters.Liveness;
import net.ipop.ipc.counters.PeerTotals;

class CountersFileWriterTest {
    @TempDir
    Path dir;

    @Test
    void pipelinesCountAndTheReaderSumsThem() throws IOException {
        Path path = dir.resolve("ipop0.counters");
        try (CountersFileWriter w = CountersFileWriter.create(path, 2, 4, SystemEpochClock.INSTANCE)) {
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(path)));
            assertTrue(w.addPeer(2, 70, "alice"));
            assertTrue(w.addPeer(0, 30, "bob"));
            PipelineCounters q0 = w.pipeline(0);
            PipelineCounters q1 = w.pipeline(1);
            q0.peerSent(2, 100);
            q1.peerSent(2, 10, 14_000);
            q1.peerReceived(2, 60);
            q0.peerReceived(0, 3, 3000);
            q0.peerSent(1, 999); // slot 1 has no peer: not counted anywhere
            q0.drop(DropReason.REPLAY);
            q1.drop(DropReason.REPLAY, 4);
            q1.drop(DropReason.BACKPRESSURE);
            q0.increment(GlobalCounter.TUN_READS);
            q1.count(GlobalCounter.UDP_SENDS, 7);
            q0.peerDropped(2, DropReason.AUTH_FAILED);
            q1.peerDropped(2, DropReason.AUTH_FAILED);
            q1.peerDropped(0, DropReason.TOO_BIG);
            q1.peerDropped(1, DropReason.TOO_BIG); // slot 1 has no peer: not counted anywhere

            CountersSnapshot s = CountersFileReader.open(path).snapshot(System.currentTimeMillis());
            assertEquals(List.of(new PeerTotals(30, "bob", 0, 0, 3000, 3, Map.of(DropReason.TOO_BIG, 1L)),
                    new PeerTotals(70, "alice", 14_100, 11, 60, 1, Map.of(DropReason.AUTH_FAILED, 2L))), s.peers());
            assertArrayEquals(new long[] {14_100, 11, 60, 1}, w.peerTotals(2), "drop counters are not traffic");
            assertEquals(5L, s.drops().get(DropReason.REPLAY));
            assertEquals(1L, s.drops().get(DropReason.BACKPRESSURE));
            assertEquals(6L, s.totalDrops());
            assertEquals(1L, s.globals().get(GlobalCounter.TUN_READS));
            assertEquals(7L, s.globals().get(GlobalCounter.UDP_SENDS));
            assertEquals(Liveness.ALIVE, s.writer().liveness());
        }
        assertFalse(Files.exists(path), "a clean shutdown deletes the file");
    }

    @Test
    void removedPeerCountersVanishAndAreReusedOnlyAfterTheTimeout() throws IOException {
        CachedEpochClock clock = new CachedEpochClock();
        clock.update(1_800_000_000_000L);
        Path path = dir.resolve("reuse.counters");
        try (CountersFileWriter w = CountersFileWriter.create(path, 2, 2, clock, 1000, 2000)) {
            CountersFileReader reader = CountersFileReader.open(path);
            assertTrue(w.addPeer(0, 1, "old"));
            int[] oldIds = w.peerCounterIds(0);
            w.pipeline(0).peerSent(0, 500);
            w.removePeer(0);
            assertNull(w.peerCounterIds(0));
            assertEquals(List.of(), reader.snapshot(clock.time()).peers(), "a removed peer is gone from snapshots");
            w.pipeline(0).peerSent(0, 500); // a pipeline with a stale view: skipped, no exception
            w.pipeline(0).peerDropped(0, DropReason.REPLAY);

            assertTrue(w.addPeer(0, 2, "soon"));
            int[] soonIds = w.peerCounterIds(0);
            for (int id : soonIds) {
                for (int old : oldIds) {
                    assertNotEquals(old, id, "no reuse inside the free-to-reuse timeout");
                }
            }
            w.removePeer(0);

            clock.advance(2001);
            assertTrue(w.addPeer(1, 3, "later"));
            assertArrayEquals(oldIds, w.peerCounterIds(1), "freed counters are reused after the timeout");
            assertEquals(List.of(new PeerTotals(3, "later", 0, 0, 0, 0)), reader.snapshot(clock.time()).peers(),
                    "a reused counter starts from zero");
            assertThrows(IllegalStateException.class, () -> w.addPeer(1, 4, "twice"));
        }
    }

    @Test
    void aFullFileRefusesAPeerWithoutLeakingCounters() throws IOException {
        CachedEpochClock clock = new CachedEpochClock();
        try (CountersFileWriter w = CountersFileWriter.create(dir.resolve("full.counters"), 1, 1, clock, 1000, 2000)) {
            assertTrue(w.addPeer(0, 1, "a"));
            w.removePeer(0);
            assertTrue(w.addPeer(0, 2, "b"), "room for twice maxPeers covers one churn inside the timeout");
            w.removePeer(0);
            assertFalse(w.addPeer(0, 3, "c"), "both peer-sized blocks wait for their timeout");
            assertNull(w.peerCounterIds(0));
            clock.advance(2001);
            assertTrue(w.addPeer(0, 3, "c"), "a refusal left nothing allocated");
        }
    }

    @Test
    void refusesToReplaceTheFileOfAnotherLiveWriter() throws IOException {
        Path path = dir.resolve("busy.counters");
        try (CountersFileWriter first = CountersFileWriter.create(path, 1, 1, SystemEpochClock.INSTANCE)) {
            // Pretend the file belongs to another process that is alive: pid 1 always exists.
            try (FileChannel ch = FileChannel.open(first.path(), StandardOpenOption.WRITE)) {
                ch.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(0, 1), CountersLayout.PID_OFFSET);
            }
            IOException e = assertThrows(IOException.class,
                    () -> CountersFileWriter.create(path, 1, 1, SystemEpochClock.INSTANCE));
            assertTrue(e.getMessage().contains("pid 1"), e.getMessage());
        }
    }

    @Test
    void heartbeatFollowsTheClock() throws IOException {
        CachedEpochClock clock = new CachedEpochClock();
        clock.update(System.currentTimeMillis());
        Path path = dir.resolve("beat.counters");
        try (CountersFileWriter w = CountersFileWriter.create(path, 1, 1, clock, 1000, 2000)) {
            CountersFileReader reader = CountersFileReader.open(path);
            assertEquals(0, w.doWork());
            clock.advance(1000);
            assertEquals(1, w.doWork());
            assertEquals(clock.time(), reader.writerStatus(clock.time()).heartbeatMs());
        }
    }
}
