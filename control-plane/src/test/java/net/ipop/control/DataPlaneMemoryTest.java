package net.ipop.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import net.ipop.ffm.testing.Privileged;
import net.ipop.ffm.testing.TestNamespace;
import net.ipop.ipc.counters.DropReason;
import net.ipop.ipc.counters.PeerTotals;

/**
 * More than a million packets through one real data plane process (iperf3 UDP over the tunnel, A to B): the
 * process's resident memory, open file descriptors and threads after them are what they were after a warm-up,
 * within margins far below what a leak of one buffer, descriptor or thread per packet (or per thousand) would
 * add. The packets are counted by the data plane itself (its per-peer counters of sent packets).
 *
 * <p>Not a timing test: the number of packets is fixed, the time it takes is not.
 */
@Privileged
class DataPlaneMemoryTest {
    private static final long WARM_UP_PACKETS = 300_000;
    private static final long PACKETS = 1_000_000;
    /**
     * Resident memory may move by GC heap resizing and JIT code; 48 MiB over a million packets is 50 bytes a
     * packet, less than one leaked packet buffer in a thousand.
     */
    private static final long RSS_MARGIN_KIB = 48 * 1024;
    /** Aeron and the JVM may open a file for a moment; a leak per packet would be a million. */
    private static final int FD_MARGIN = 8;
    /** The JVM starts compiler and GC threads on demand. */
    private static final int THREAD_MARGIN = 8;

    @TempDir
    Path temp;

    /** What /proc says about one process. */
    private record Sample(long rssKib, long rssAnonKib, int fds, int threads) {
        static Sample of(long pid) throws IOException {
            String status = Files.readString(Path.of("/proc", Long.toString(pid), "status"));
            int fds;
            try (Stream<Path> s = Files.list(Path.of("/proc", Long.toString(pid), "fd"))) {
                fds = (int) s.count();
            }
            return new Sample(field(status, "VmRSS"), field(status, "RssAnon"), fds, (int) field(status, "Threads"));
        }

        private static long field(String status, String name) {
            Matcher m = Pattern.compile("(?m)^" + name + ":\\s+(\\d+)").matcher(status);
            if (!m.find()) {
                throw new AssertionError("no " + name + " in /proc/PID/status:\n" + status);
            }
            return Long.parseLong(m.group(1));
        }
    }

    @Test
    @Timeout(value = 720, unit = TimeUnit.SECONDS)
    void aMillionPacketsGrowNeitherMemoryNorDescriptorsNorThreads() throws Exception {
        try (TwoNodes nodes = TwoNodes.up(temp, "mem")) {
            TwoNodes.Node a = nodes.a();
            Process server = nodes.b().ns().start("iperf3", "-s", "-B", TwoNodes.OVERLAY_B);
            try {
                long pid = a.dataPlane().pid();
                long start = sentPackets(a);
                long warmUp = pump(a, start + WARM_UP_PACKETS, 200);
                Sample before = Sample.of(pid);
                long target = warmUp + PACKETS;
                long end = pump(a, target, 450);
                Sample after = Sample.of(pid);
                assertEquals(pid, a.dataPlane().pid(), "the data plane restarted during the test" + a.log());
                PeerTotals peer = a.counters().peers().get(0);
                System.out.printf("data plane %d: %,d packets after warm-up (%,d in all; %,d received by B's data"
                                + " plane); VmRSS %,d -> %,d KiB (RssAnon %,d -> %,d), fds %d -> %d, threads %d -> %d;"
                                + " A's drops %s%n", pid, end - warmUp, end - start,
                        nodes.b().counters().peers().get(0).rxPackets(), before.rssKib(), after.rssKib(),
                        before.rssAnonKib(), after.rssAnonKib(), before.fds(), after.fds(), before.threads(),
                        after.threads(), a.counters().drops());
                assertTrue(end - warmUp >= PACKETS, "only " + (end - warmUp) + " packets");
                assertTrue(peer.txPackets() >= end, peer.toString());
                assertTrue(after.rssKib() - before.rssKib() < RSS_MARGIN_KIB,
                        "resident memory grew by " + (after.rssKib() - before.rssKib()) + " KiB: " + before + " -> "
                                + after);
                assertTrue(after.fds() - before.fds() <= FD_MARGIN, "file descriptors: " + before + " -> " + after);
                assertTrue(after.threads() - before.threads() <= THREAD_MARGIN, "threads: " + before + " -> " + after);
                // The overlay interface makes no IPv6 link-local noise of its own (router solicitations, MLD),
                // which would otherwise show up as NO_ROUTE drops although nothing was wrong.
                String link = a.ns().exec("ip", "-d", "link", "show", "ipop0");
                assertTrue(link.contains("addrgenmode none"), link);
                assertEquals(0L, a.counters().drops().get(DropReason.NO_ROUTE), a.counters().drops().toString());
            } finally {
                server.destroyForcibly();
            }
        }
    }

    /** A's data plane's count of packets sent to its peer. */
    private static long sentPackets(TwoNodes.Node a) throws IOException {
        return a.counters().peers().get(0).txPackets();
    }

    /**
     * Runs 5 s iperf3 UDP bursts of small packets from A to B until A's data plane has sent {@code target}
     * packets; returns the count then. Fails after {@code seconds}.
     */
    private static long pump(TwoNodes.Node a, long target, int seconds) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        long sent = sentPackets(a);
        while (sent < target) {
            assertTrue(System.nanoTime() - deadline < 0, "only " + sent + " of " + target + " packets in " + seconds
                    + " s");
            TestNamespace.Cmd.Result r = a.ns().execAllowingFailure(60, "iperf3", "-c", TwoNodes.OVERLAY_B, "-u",
                    "-b", "400M", "-l", "200", "-t", "5", "--connect-timeout", "3000");
            if (r.exitCode() != 0 && !r.output().contains("refused")) {
                throw new AssertionError("iperf3 failed: " + r.output() + a.log());
            }
            if (r.exitCode() != 0) {
                Thread.sleep(200);
            }
            sent = sentPackets(a);
        }
        return sent;
    }
}
