package net.ipop.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
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
 * The control plane killed with SIGKILL under a ping flood (100 a second): the data plane keeps forwarding on its
 * sessions, a new {@code ipop up} adopts it (no new data plane), a handshake after the adoption completes, the
 * adopting node supervises the data plane it did not start, and {@code ipop down} on both nodes leaves nothing.
 * Prints the packets lost and the longest gap between replies across the kill and the adoption.
 */
@Privileged
class ControlPlaneKillTest {
    /** Replies the flood may lose across kill and adoption: the data plane is untouched, so ~0 is expected. */
    private static final int LOSS_BOUND = 20;
    private static final Pattern REPLY = Pattern.compile("^\\[(\\d+\\.\\d+)] .*icmp_seq=(\\d+)");
    private static final Pattern SUMMARY = Pattern.compile("(\\d+) packets transmitted, (\\d+) received");

    @TempDir
    Path temp;

    @Test
    @Timeout(value = 480, unit = TimeUnit.SECONDS)
    void aKilledControlPlaneLeavesTrafficFlowingAndARestartedOneAdoptsIt() throws Exception {
        try (TwoNodes nodes = TwoNodes.up(temp, "cpk")) {
            TwoNodes.Node a = nodes.a();
            TwoNodes.Node b = nodes.b();
            ProcessHandle nodeA = ProcessHandle.of(a.pid()).orElseThrow();
            ProcessHandle dataPlaneA = a.dataPlane();

            List<String> lines = new ArrayList<>();
            Process ping = a.ns().start("ping", "-D", "-i", "0.01", "-W", "1", TwoNodes.OVERLAY_B);
            Thread reader = new Thread(() -> read(ping, lines), "ping-output");
            reader.setDaemon(true);
            reader.start();
            long adoptedAtMs;
            long killedAtMs;
            try {
                Thread.sleep(2000);
                assertTrue(replies(lines) > 50, "the flood did not get going: " + lines);

                killedAtMs = System.currentTimeMillis();
                assertTrue(nodeA.destroyForcibly(), "SIGKILL was not delivered");
                nodeA.onExit().get(10, TimeUnit.SECONDS);
                int before = replies(lines);
                Thread.sleep(3000);
                assertTrue(dataPlaneA.isAlive(), "the data plane died with its control plane" + a.log());
                int during = replies(lines) - before;
                assertTrue(during > 100, "only " + during + " replies in 3 s without a control plane");

                TestNamespace.Cmd.Result up = a.cli(150, "up", "--config", a.config().toString());
                assertEquals(0, up.exitCode(), up.output() + a.log());
                adoptedAtMs = System.currentTimeMillis();
                String log = a.log();
                assertTrue(log.contains("adopting the running data plane (pid " + dataPlaneA.pid() + ")"), log);
                assertTrue(log.contains("adopted the running data plane: 1 peers and "), log);
                ProcessHandle newNodeA = ProcessHandle.of(a.pid()).orElseThrow();
                assertNotEquals(nodeA.pid(), newNodeA.pid());
                assertEquals(0, newNodeA.children().count(), "the adopting node started a data plane" + log);
                assertEquals(dataPlaneA.pid(), a.dataPlanePid());
                Thread.sleep(2000);
            } finally {
                // SIGINT: ping prints its summary.
                new ProcessBuilder("kill", "-INT", Long.toString(ping.pid())).start().waitFor(10, TimeUnit.SECONDS);
                if (!ping.waitFor(10, TimeUnit.SECONDS)) {
                    ping.destroyForcibly();
                }
                reader.join(5000);
            }
            long[] summary = summary(lines);
            long lost = summary[0] - summary[1];
            double gapBeforeMs = longestGapMs(lines, 0, killedAtMs);
            double gapMs = longestGapMs(lines, killedAtMs, Long.MAX_VALUE);
            System.out.println("control plane of A (pid " + nodeA.pid() + ") killed under ping -i 0.01; the next"
                    + " ipop up adopted data plane " + dataPlaneA.pid() + " after " + (adoptedAtMs - killedAtMs)
                    + " ms: " + summary[0] + " sent, " + lost + " lost, longest gap between replies from the kill on " + gapMs
                    + " ms (before the kill " + gapBeforeMs + " ms)");
            assertTrue(lost <= LOSS_BOUND, lost + " of " + summary[0] + " pings lost\n" + String.join("\n",
                    lines.subList(Math.max(0, lines.size() - 5), lines.size())) + a.log());

            // A handshake through the adopting control plane: B's data plane restarts and B handshakes afresh.
            int installedBefore = count(a.log(), "session installed");
            ProcessHandle dataPlaneB = b.dataPlane();
            assertTrue(dataPlaneB.destroyForcibly());
            dataPlaneB.onExit().get(10, TimeUnit.SECONDS);
            awaitPing(a.ns(), 90, "after B's data plane restarted" + a.log() + b.log());
            assertTrue(count(a.log(), "session installed") > installedBefore,
                    "no new session in A's data plane: the ping went over the old one?" + a.log());

            // Supervision resumed: the adopted data plane dies, the adopting node starts a new one.
            assertTrue(dataPlaneA.destroyForcibly());
            dataPlaneA.onExit().get(10, TimeUnit.SECONDS);
            awaitPing(a.ns(), 90, "after A's adopted data plane was killed" + a.log() + b.log());
            String log = a.log();
            assertTrue(log.contains("the data plane exited unexpectedly (exit code unknown); restarting it"), log);
            assertNotEquals(dataPlaneA.pid(), a.dataPlane().pid(), log);

            for (TwoNodes.Node n : List.of(a, b)) {
                TestNamespace.Cmd.Result down = n.cli(60, "down", "--config", n.config().toString());
                assertEquals(0, down.exitCode(), down.output() + n.log());
                assertEquals("", TestNamespace.Cmd.run("ip", "netns", "pids", n.ns().name()).strip(),
                        "processes left" + n.log());
                assertTrue(n.ns().execAllowingFailure(5, "ip", "link", "show", "ipop0").exitCode() != 0);
                assertFalse(Files.exists(n.aeronDir()), "left behind: " + n.aeronDir());
                assertFalse(Files.exists(n.countersFile()), "left behind: " + n.countersFile());
                assertFalse(Files.exists(n.runDir().resolve("ipop0.pid")), "pid file left behind");
                assertFalse(Files.exists(n.runDir().resolve("ipop0.dataplane.pid")), "pid file left behind");
            }
        }
    }

    private static void awaitPing(TestNamespace ns, int seconds, String context) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (ns.execAllowingFailure(5, "ping", "-c", "1", "-W", "1", TwoNodes.OVERLAY_B).exitCode() != 0) {
            assertTrue(System.nanoTime() - deadline < 0, "no ping reply within " + seconds + " s " + context);
        }
    }

    private static void read(Process p, List<String> lines) {
        try (BufferedReader in = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line = in.readLine(); line != null; line = in.readLine()) {
                synchronized (lines) {
                    lines.add(line);
                }
            }
        } catch (IOException e) {
            // The process is gone.
        }
    }

    private static int replies(List<String> lines) {
        synchronized (lines) {
            int n = 0;
            for (String line : lines) {
                n += REPLY.matcher(line).find() ? 1 : 0;
            }
            return n;
        }
    }

    /** Sent and received from ping's summary line. */
    private static long[] summary(List<String> lines) {
        synchronized (lines) {
            for (String line : lines) {
                Matcher m = SUMMARY.matcher(line);
                if (m.find()) {
                    return new long[] {Long.parseLong(m.group(1)), Long.parseLong(m.group(2))};
                }
            }
        }
        throw new AssertionError("no summary from ping: " + lines.subList(Math.max(0, lines.size() - 5),
                lines.size()));
    }

    /**
     * The longest time between two consecutive replies, from ping's -D timestamps, for replies whose time is in
     * {@code [fromMs, toMs)} (epoch milliseconds).
     */
    private static double longestGapMs(List<String> lines, long fromMs, long toMs) {
        double longest = 0;
        double previous = -1;
        synchronized (lines) {
            for (String line : lines) {
                Matcher m = REPLY.matcher(line);
                if (m.find()) {
                    double t = Double.parseDouble(m.group(1));
                    if (t * 1000 < fromMs || t * 1000 >= toMs) {
                        continue;
                    }
                    if (previous >= 0) {
                        longest = Math.max(longest, (t - previous) * 1000);
                    }
                    previous = t;
                }
            }
        }
        return Math.round(longest * 10) / 10.0;
    }

    private static int count(String text, String needle) {
        int n = 0;
        for (int i = text.indexOf(needle); i >= 0; i = text.indexOf(needle, i + 1)) {
            n++;
        }
        return n;
    }
}
