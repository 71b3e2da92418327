package net.ipop.control;

import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import net.ipop.ffm.testing.Privileged;
import net.ipop.ffm.testing.TestNamespace;

/**
 * A data plane killed with SIGKILL under a running iperf3 TCP transfer: its node starts a new one, pushes its
 * state, the sessions handshake afresh, and the same TCP connection moves data again. Prints how long that
 * took, measured from the kill to the first iperf3 interval that moved data after the transfer had stalled.
 */
@Privileged
class DataPlaneRestartTest {
    /** Generous: a restart plus handshake takes ~3 s here, and TCP's retransmission backoff adds its part. */
    private static final long RECOVERY_BOUND_MS = 45_000;
    private static final Pattern INTERVAL = Pattern.compile(
            "\\[\\s*\\d+]\\s+([0-9.]+)-([0-9.]+)\\s+sec\\s+([0-9.]+)\\s+(\\S?)Bytes\\s+([0-9.]+)\\s+\\S*bits/sec");

    @TempDir
    Path temp;

    /** One iperf3 interval line, with when the test read it. */
    private record Interval(long readNanos, double endSec, double bytes) {
    }

    @Test
    @Timeout(value = 420, unit = TimeUnit.SECONDS)
    void aDataPlaneKilledUnderIperf3ComesBackAndTheTransferResumes() throws Exception {
        try (TwoNodes nodes = TwoNodes.up(temp, "rst")) {
            TwoNodes.Node a = nodes.a();
            Process server = nodes.b().ns().start("iperf3", "-s", "-B", TwoNodes.OVERLAY_B);
            Process client = null;
            try {
                List<Interval> intervals = new ArrayList<>();
                StringBuilder output = new StringBuilder();
                client = startClient(a.ns(), intervals, output);

                long flowing = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
                while (countMoving(intervals, 0) < 3) {
                    assertTrue(client.isAlive() && System.nanoTime() - flowing < 0,
                            "iperf3 did not get going: " + output);
                    Thread.sleep(50);
                }
                ProcessHandle killedDataPlane = a.dataPlane();
                long killed = System.nanoTime();
                int seenBeforeKill;
                synchronized (intervals) {
                    seenBeforeKill = intervals.size();
                }
                assertTrue(killedDataPlane.destroyForcibly(), "SIGKILL was not delivered");
                killedDataPlane.onExit().get(10, TimeUnit.SECONDS);

                // The continuing transfer: after the kill it stalls (a zero interval), then moves data again.
                long recoveredNanos = -1;
                long deadline = killed + TimeUnit.MILLISECONDS.toNanos(RECOVERY_BOUND_MS);
                while (recoveredNanos < 0 && System.nanoTime() - deadline < 0 && client.isAlive()) {
                    recoveredNanos = recovery(intervals, seenBeforeKill);
                    Thread.sleep(50);
                }
                if (recoveredNanos < 0) {
                    recoveredNanos = recovery(intervals, seenBeforeKill);
                }
                String logA = a.log();
                assertTrue(recoveredNanos >= 0, "the iperf3 transfer did not move data again within "
                        + RECOVERY_BOUND_MS + " ms of the kill (client alive: " + client.isAlive() + ")\n" + output
                        + logA + nodes.b().log());
                long recoveryMs = TimeUnit.NANOSECONDS.toMillis(recoveredNanos - killed);
                ProcessHandle newDataPlane = a.dataPlane();
                assertNotEquals(killedDataPlane.pid(), newDataPlane.pid(), logA);
                assertTrue(logA.contains("the data plane exited unexpectedly"), logA);
                assertTrue(logA.contains("data plane started (pid " + newDataPlane.pid() + ")"), logA);

                assertTrue(client.waitFor(60, TimeUnit.SECONDS), "iperf3 did not finish: " + output);
                int exit = client.exitValue();
                System.out.println("data plane " + killedDataPlane.pid() + " killed under iperf3 TCP; the node started "
                        + newDataPlane.pid() + " and the same transfer moved data again after " + recoveryMs
                        + " ms (iperf3 0.5 s intervals; client exit " + exit + ")");
                System.out.println(lastLines(output.toString(), 4));
                assertTrue(exit == 0, "the transfer that survived the restart ended in an error:\n" + output);
                assertTrue(recoveryMs < RECOVERY_BOUND_MS, "recovery took " + recoveryMs + " ms");
            } finally {
                if (client != null) {
                    client.destroyForcibly();
                }
                server.destroyForcibly();
            }
        }
    }

    /**
     * Starts a 20 s iperf3 client with half-second reports, retrying while the server is not yet listening; a
     * daemon thread appends its output and parses every interval line into {@code intervals}.
     */
    private static Process startClient(TestNamespace ns, List<Interval> intervals, StringBuilder output)
            throws Exception {
        for (int attempt = 0; ; attempt++) {
            Process p = ns.start("iperf3", "-c", TwoNodes.OVERLAY_B, "-t", "20", "-i", "0.5", "--forceflush",
                    "--connect-timeout", "3000");
            Thread reader = new Thread(() -> read(p, intervals, output), "iperf3-output");
            reader.setDaemon(true);
            reader.start();
            Thread.sleep(300);
            if (p.isAlive() || p.exitValue() == 0 || attempt == 20) {
                return p;
            }
            reader.join(1000);
            synchronized (output) {
                output.setLength(0);
            }
        }
    }

    private static void read(Process p, List<Interval> intervals, StringBuilder output) {
        try (BufferedReader in = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = in.readLine()) != null) {
                long now = System.nanoTime();
                synchronized (output) {
                    output.append(line).append('\n');
                }
                Matcher m = INTERVAL.matcher(line);
                if (m.find() && !line.contains("sender") && !line.contains("receiver")) {
                    double bytes = Double.parseDouble(m.group(3)) * switch (m.group(4)) {
                        case "K" -> 1024.0;
                        case "M" -> 1024.0 * 1024;
                        case "G" -> 1024.0 * 1024 * 1024;
                        default -> 1.0;
                    };
                    synchronized (intervals) {
                        intervals.add(new Interval(now, Double.parseDouble(m.group(2)), bytes));
                    }
                }
            }
        } catch (java.io.IOException e) {
            // The process was destroyed: nothing more to read.
        }
    }

    private static int countMoving(List<Interval> intervals, int from) {
        synchronized (intervals) {
            int n = 0;
            for (int i = from; i < intervals.size(); i++) {
                n += intervals.get(i).bytes() > 0 ? 1 : 0;
            }
            return n;
        }
    }

    /**
     * When the transfer moved data again: the read time of the first interval with data after a stalled
     * (zero) interval, among the intervals from {@code from} on; -1 if not yet.
     */
    private static long recovery(List<Interval> intervals, int from) {
        synchronized (intervals) {
            boolean stalled = false;
            for (int i = from; i < intervals.size(); i++) {
                Interval v = intervals.get(i);
                if (v.bytes() == 0) {
                    stalled = true;
                } else if (stalled) {
                    return v.readNanos();
                }
            }
            return -1;
        }
    }

    private static String lastLines(String s, int n) {
        List<String> lines = s.lines().toList();
        return String.join("\n", lines.subList(Math.max(0, lines.size() - n), lines.size()));
    }
}
