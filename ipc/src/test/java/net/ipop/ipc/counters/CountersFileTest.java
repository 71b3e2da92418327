package net.ipop.ipc.counters;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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

import org.agrona.concurrent.status.CountersManager;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CountersFileTest {
    private static final long NOW = 1_800_000_000_000L;

    @TempDir
    Path dir;

    @Test
    void snapshotSumsEveryPipelineAndSkipsUnknownCounters() throws IOException {
        Path path = dir.resolve("ipop0.counters");
        try (CountersFile file = CountersFile.create(path, 64, 2, 1000, System.currentTimeMillis())) {
            CountersManager m = new CountersManager(file.metadataBuffer(), file.valuesBuffer());
            for (int q = 0; q < 2; q++) {
                int queue = q;
                m.setCounterValue(m.allocate("tx bytes", CountersLayout.PEER_TX_BYTES,
                        k -> CountersLayout.putKey(k, queue, 7, "alice")), 1000 + q);
                m.setCounterValue(m.allocate("rx packets", CountersLayout.PEER_RX_PACKETS,
                        k -> CountersLayout.putKey(k, queue, 7, "alice")), 10 + q);
                m.setCounterValue(m.allocate("tx packets", CountersLayout.PEER_TX_PACKETS,
                        k -> CountersLayout.putKey(k, queue, 3, "bob")), 5);
                m.setCounterValue(m.allocate("replay", CountersLayout.DROP,
                        k -> CountersLayout.putKey(k, queue, DropReason.REPLAY.code())), 2);
                m.setCounterValue(m.allocate("punted", CountersLayout.GLOBAL,
                        k -> CountersLayout.putKey(k, queue, GlobalCounter.PUNTED.code())), 4);
                m.setCounterValue(m.allocate("a future drop", CountersLayout.DROP, k -> CountersLayout.putKey(k, queue, 99)), 1);
                m.setCounterValue(m.allocate("a future type", 999, k -> CountersLayout.putKey(k, queue, 1)), 1);
            }
            m.free(m.allocate("freed", CountersLayout.PEER_TX_BYTES, k -> CountersLayout.putKey(k, 0, 9, "gone")));

            CountersSnapshot s = CountersFileReader.open(path).snapshot(System.currentTimeMillis());
            assertEquals(List.of(new PeerTotals(3, "bob", 0, 10, 0, 0), new PeerTotals(7, "alice", 2001, 0, 0, 21)),
                    s.peers());
            assertEquals(4L, s.drops().get(DropReason.REPLAY));
            assertEquals(0L, s.drops().get(DropReason.AUTH_FAILED));
            assertEquals(4L, s.totalDrops());
            assertEquals(8L, s.globals().get(GlobalCounter.PUNTED));
            assertEquals(Liveness.ALIVE, s.writer().liveness());
            assertEquals(ProcessHandle.current().pid(), s.writer().pid());
            assertEquals(2, s.writer().queues());
        }
        assertFalse(Files.exists(path), "a clean close deletes the file");
    }

    @Test
    void peerDropsAreSummedPerPeerAndReason() throws IOException {
        Path path = dir.resolve("drops.counters");
        try (CountersFile file = CountersFile.create(path, 64, 2, 1000, System.currentTimeMillis())) {
            CountersManager m = new CountersManager(file.metadataBuffer(), file.valuesBuffer());
            for (int q = 0; q < 2; q++) {
                int queue = q;
                m.setCounterValue(m.allocate("rx packets", CountersLayout.PEER_RX_PACKETS,
                        k -> CountersLayout.putKey(k, queue, 7, "alice")), 10);
                m.setCounterValue(m.allocate("alice replay", CountersLayout.PEER_DROPS,
                        k -> CountersLayout.putPeerDropKey(k, queue, DropReason.REPLAY, 7, "alice")), 3 + q);
                m.setCounterValue(m.allocate("alice auth", CountersLayout.PEER_DROPS,
                        k -> CountersLayout.putPeerDropKey(k, queue, DropReason.AUTH_FAILED, 7, "alice")), 0);
                m.setCounterValue(m.allocate("bob source", CountersLayout.PEER_DROPS,
                        k -> CountersLayout.putPeerDropKey(k, queue, DropReason.SOURCE_NOT_ALLOWED, 3, "bob")), 2);
                m.setCounterValue(m.allocate("replay", CountersLayout.DROP,
                        k -> CountersLayout.putKey(k, queue, DropReason.REPLAY.code())), 9);
            }
            // A reason code this reader does not know (a newer writer): skipped.
            m.setCounterValue(m.allocate("future", CountersLayout.PEER_DROPS, k -> {
                CountersLayout.putKey(k, 0, 7, "alice");
                k.putInt(CountersLayout.KEY_REASON_OFFSET, 99);
            }), 1000);

            CountersSnapshot s = CountersFileReader.open(path).snapshot(System.currentTimeMillis());
            PeerTotals bob = s.peers().get(0);
            PeerTotals alice = s.peers().get(1);
            assertEquals(new PeerTotals(3, "bob", 0, 0, 0, 0, Map.of(DropReason.SOURCE_NOT_ALLOWED, 4L)), bob,
                    "a peer with drops only is still listed");
            assertEquals(new PeerTotals(7, "alice", 0, 0, 0, 20, Map.of(DropReason.REPLAY, 7L)), alice);
            assertEquals(7L, alice.drops(DropReason.REPLAY));
            assertEquals(0L, alice.drops(DropReason.AUTH_FAILED), "zero counts are left out of the map");
            assertEquals(7L, alice.totalDrops());
            assertEquals(18L, s.drops().get(DropReason.REPLAY), "node-wide drops come from their own counters");
        }
    }

    @Test
    void fileIsOwnerOnlyAndReplacedAtomically() throws IOException {
        Path path = dir.resolve("ipop0.counters");
        Files.writeString(path, "left over by a crash");
        CountersFile first = CountersFile.create(path, 8, 1, 1000, NOW);
        try {
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(path)));
            CountersFileReader reader = CountersFileReader.open(path);
            assertFalse(reader.isReplaced());
            try (CountersFile second = CountersFile.create(path, 8, 1, 1000, NOW)) {
                assertTrue(reader.isReplaced(), "a restarted writer's file is a new inode");
                assertEquals(path.toAbsolutePath(), second.path());
                first.close();
                assertTrue(Files.exists(path), "the old writer must not delete its successor's file");
                assertEquals(List.of(path), CountersFileReader.find(dir), "no temporary file is left behind");
            }
        } finally {
            first.close();
        }
        assertEquals(List.of(), CountersFileReader.find(dir));
    }

    @Test
    void wrongMagicVersionOrLengthIsAClearError() throws IOException {
        Path path = dir.resolve("x.counters");
        Files.write(path, new byte[CountersLayout.HEADER_LENGTH]);
        CountersFormatException e = assertThrows(CountersFormatException.class, () -> CountersFileReader.open(path));
        assertTrue(e.getMessage().contains("not an IPOP counters file"), e.getMessage());

        Files.write(path, new byte[10]);
        e = assertThrows(CountersFormatException.class, () -> CountersFileReader.open(path));
        assertTrue(e.getMessage().contains("too short"), e.getMessage());

        try (CountersFile file = CountersFile.create(path, 8, 1, 1000, NOW)) {
            patchInt(file.path(), CountersLayout.VERSION_OFFSET, 99);
            e = assertThrows(CountersFormatException.class, () -> CountersFileReader.open(path));
            assertTrue(e.getMessage().contains("layout version 99")
                    && e.getMessage().contains("reads version " + CountersLayout.VERSION), e.getMessage());
            // A file of the layout before per-peer drops: refused with what to do, not misread.
            patchInt(path, CountersLayout.VERSION_OFFSET, 1);
            e = assertThrows(CountersFormatException.class, () -> CountersFileReader.open(path));
            assertEquals(path + ": counters layout version 1, but this ipop reads version 2; use the ipop of the same"
                    + " release as the data plane", e.getMessage());
            patchInt(path, CountersLayout.VERSION_OFFSET, CountersLayout.VERSION);
            patchInt(path, CountersLayout.VALUES_LENGTH_OFFSET, 1 << 20);
            e = assertThrows(CountersFormatException.class, () -> CountersFileReader.open(path));
            assertTrue(e.getMessage().contains("inconsistent lengths"), e.getMessage());
        }
    }

    @Test
    void writerVerdictFollowsHeartbeatAndProcess() throws Exception {
        Path path = dir.resolve("w.counters");
        long start = System.currentTimeMillis();
        try (CountersFile file = CountersFile.create(path, 8, 1, 1000, start)) {
            CountersFileReader reader = CountersFileReader.open(path);
            assertEquals(Liveness.ALIVE, reader.writerStatus(start + 3900).liveness());
            assertEquals(Liveness.NOT_RESPONDING, reader.writerStatus(start + 4100).liveness());
            assertEquals(0, file.heartbeat(start + 999), "no beat before an interval has passed");
            assertEquals(1, file.heartbeat(start + 4000));
            WriterStatus w = reader.writerStatus(start + 4100);
            assertEquals(Liveness.ALIVE, w.liveness());
            assertEquals(100, w.heartbeatAgeMs());

            Process gone = new ProcessBuilder("true").start();
            gone.waitFor();
            patchLong(path, CountersLayout.PID_OFFSET, gone.pid());
            assertEquals(Liveness.EXITED, reader.writerStatus(start + 4100).liveness());
        }
    }

    @Test
    void reasonCodesAreStable() {
        assertEquals(DropReason.SOURCE_NOT_ALLOWED, DropReason.ofCode(6));
        assertEquals("auth_failed", DropReason.AUTH_FAILED.key());
        assertNull(DropReason.ofCode(99));
        assertNull(GlobalCounter.ofCode(-1));
        assertEquals(GlobalCounter.GSO_FALLBACKS, GlobalCounter.ofCode(2));
    }

    private static void patchInt(Path path, int offset, int value) throws IOException {
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(0, value), offset);
        }
    }

    private static void patchLong(Path path, int offset, long value) throws IOException {
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(0, value), offset);
        }
    }
}
