package net.ipop.dataplane.stats;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.agrona.concurrent.SystemEpochClock;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import net.ipop.ipc.counters.CountersFileReader;
import net.ipop.ipc.counters.CountersSnapshot;
import net.ipop.ipc.counters.DropReason;
import net.ipop.ipc.counters.Liveness;
import net.ipop.ipc.counters.PeerTotals;

/** A reader sees a writer's counters move while it runs, in another thread and in another process. */
class CrossProcessCountersTest {
    @TempDir
    Path dir;

    @Test
    @Timeout(60)
    void aReaderInAnotherProcessSeesValuesRiseAndThenTheWriterDie() throws Exception {
        Path path = dir.resolve("child.counters");
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("--sun-misc-unsafe-memory-access=allow");
        cmd.add("--add-exports=java.base/jdk.internal.misc=ALL-UNNAMED");
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(WriterProcess.class.getName());
        cmd.add(path.toString());
        Process child = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        try {
            BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8));
            assertEquals("ready", out.readLine(), "the writer process started");
            CountersFileReader reader = CountersFileReader.open(path);
            long last = -1;
            int rises = 0;
            int consistent = 0;
            String torn = "";
            for (int i = 0; i < 200 && rises < 5; i++) {
                CountersSnapshot s = reader.snapshot(System.currentTimeMillis());
                assertEquals(Liveness.ALIVE, s.writer().liveness());
                assertEquals(child.pid(), s.writer().pid());
                PeerTotals peer = s.peers().get(0);
                assertEquals("child-peer", peer.name());
                assertTrue(peer.txBytes() >= last, "counters never go backwards: " + peer.txBytes() + " < " + last);
                assertEquals(0, peer.txBytes() % 1000, "bytes of whole packets");
                // Bytes and packets are separate counters read one after the other while the writer runs on:
                // a snapshot is exact only if the reader was not descheduled between them, which on a busy
                // machine some are. Most must agree to within one packet.
                if (Math.abs(peer.txBytes() - peer.txPackets() * 1000) <= 1000) {
                    consistent++;
                } else {
                    torn = "bytes " + peer.txBytes() + " and packets " + peer.txPackets();
                }
                rises += peer.txBytes() > last && last >= 0 ? 1 : 0;
                last = peer.txBytes();
                Thread.sleep(20);
            }
            assertEquals(5, rises, "the values rose while the writer ran");
            assertTrue(consistent >= 3, "snapshots agreeing on bytes and packets of 1000-byte packets: " + consistent
                    + "; last torn one: " + torn);

            child.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            CountersSnapshot after = reader.snapshot(System.currentTimeMillis());
            assertEquals(Liveness.EXITED, after.writer().liveness(), "a killed writer is reported as gone");
            assertTrue(after.drops().get(DropReason.MALFORMED) > 0, "its last values are still readable");
            assertTrue(Files.exists(path), "a crash leaves the file for the next start to replace");
            try (CountersFileWriter next = CountersFileWriter.create(path, 1, 1, SystemEpochClock.INSTANCE)) {
                assertTrue(reader.isReplaced(), "a restart replaces the dead writer's file");
                assertEquals(Liveness.ALIVE, CountersFileReader.open(next.path()).writerStatus(System.currentTimeMillis())
                        .liveness());
            }
        } finally {
            child.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
    }

    @Test
    @Timeout(60)
    void aReaderThreadSeesAWriterThreadCountExactly() throws Exception {
        Path path = dir.resolve("threads.counters");
        int packets = 2_000_000;
        try (CountersFileWriter w = CountersFileWriter.create(path, 2, 2, SystemEpochClock.INSTANCE)) {
            w.addPeer(1, 5, "p");
            Thread[] pipelines = new Thread[2];
            for (int q = 0; q < 2; q++) {
                PipelineCounters p = w.pipeline(q);
                pipelines[q] = new Thread(() -> {
                    for (int i = 0; i < packets; i++) {
                        p.peerReceived(1, 100);
                    }
                }, "pipeline-" + q);
                pipelines[q].start();
            }
            CountersFileReader reader = CountersFileReader.open(path);
            long last = 0;
            while (pipelines[0].isAlive() || pipelines[1].isAlive()) {
                long now = reader.snapshot(System.currentTimeMillis()).peers().get(0).rxPackets();
                assertTrue(now >= last, now + " < " + last);
                last = now;
            }
            for (Thread t : pipelines) {
                t.join();
            }
            PeerTotals total = reader.snapshot(System.currentTimeMillis()).peers().get(0);
            assertEquals(2L * packets, total.rxPackets(), "no increment lost: each counter has one writer");
            assertEquals(200L * packets, total.rxBytes());
        }
    }
}
