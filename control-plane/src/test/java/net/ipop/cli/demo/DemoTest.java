package net.ipop.cli.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import net.ipop.control.NodeMain;
import net.ipop.ffm.testing.Privileged;

/**
 * {@code ipop demo} as CI and a user run it: a JVM started like the launcher starts the CLI, with the verb
 * {@code demo}. It must finish with every pair answering pings and carrying iperf3 traffic over a path the
 * nodes report as their own (direct, or the sites' pair relayed through TURN; never forwarded, since overlay
 * mode has no static peers through the hub), and leave nothing behind; stopped with SIGINT (Ctrl-C) or SIGTERM while its nodes run,
 * it must also leave nothing.
 */
@Privileged
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class DemoTest {
    private static final Pattern ROW = Pattern.compile(
            "(\\w+) -> (\\w+)\\s+(direct|relayed via TURN|forwarded via \\w+|none)\\s+(\\d+)/(\\d+) replies\\s+([0-9.]+) ms\\s+(\\d+) Mbit/s");

    private List<String> runDirectoryBefore;
    private Process demo;

    @BeforeEach
    void noDemoBefore() throws IOException {
        // What a killed earlier run left, removed as the demo itself would, so the check after means something.
        assertEquals(Optional.empty(), StaleDemo.system().runningDemo(), "a demo is running");
        StaleDemo.system().removeAll(new ArrayList<>());
        assertEquals(List.of(), Leftovers.find(), "a demo's leftovers before the test");
        runDirectoryBefore = Leftovers.runDirectory();
    }

    @AfterEach
    void nothingLeft() throws IOException {
        if (demo != null && demo.isAlive()) {
            demo.destroyForcibly();
        }
        List<String> left = Leftovers.find();
        if (!left.isEmpty()) {
            // Removed before failing, so the next test starts clean.
            StaleDemo.system().removeAll(new ArrayList<>());
        }
        assertEquals(List.of(), left, "left behind by the demo");
        assertEquals(runDirectoryBefore, Leftovers.runDirectory(), "/run/ipop changed");
    }

    @Test
    void runsToCompletionMeasuringEveryPairAndLeavesNothing() throws Exception {
        long start = System.nanoTime();
        demo = start();
        String out = readAll(demo, reader(demo), 200);
        long seconds = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - start);
        assertEquals(0, demo.exitValue(), out);
        System.out.println("ipop demo took " + seconds + " s:\n" + out);

        List<String> pairs = new ArrayList<>();
        Matcher m = ROW.matcher(out);
        while (m.find()) {
            String pair = m.group(1) + " -> " + m.group(2);
            pairs.add(pair);
            assertTrue(Integer.parseInt(m.group(4)) > 0, "no ping replies for " + pair + ":\n" + out);
            assertEquals(Measurements.PINGS, Integer.parseInt(m.group(5)), out);
            assertTrue(Double.parseDouble(m.group(6)) > 0, out);
            assertTrue(Integer.parseInt(m.group(7)) > 0, "no throughput for " + pair + ":\n" + out);
            // The hub is on the internet: every site reaches it directly. The sites' NATs map endpoint-
            // independently (port-preserving masquerade), so their pair is direct too, unless ICE fell back to
            // TURN; it is never forwarded (no static peers) and never without a path (it carried traffic).
            if (pair.equals("alpha -> beta")) {
                assertTrue(List.of("direct", "relayed via TURN").contains(m.group(3)), pair + ":\n" + out);
            } else {
                assertEquals("direct", m.group(3), pair + ":\n" + out);
            }
        }
        assertEquals(List.of("alpha -> beta", "alpha -> hub", "beta -> hub"), pairs, out);
        assertTrue(out.contains("Prosody (XMPP, TLS) on 203.0.113.1:5222"), out);
        assertTrue(out.contains("coturn (STUN/TURN) on 203.0.113.1:3478"), out);
        assertTrue(out.contains("removed everything the demo created"), out);
    }

    @ParameterizedTest
    @ValueSource(strings = {"INT", "TERM"})
    void aSignalWhileTheNodesRunRemovesEverything(String signal) throws Exception {
        demo = start();
        StringBuilder out = new StringBuilder();
        BufferedReader in = reader(demo);
        // Interrupt once a node is up: namespaces, Prosody, coturn and node processes all exist then.
        String line;
        while ((line = in.readLine()) != null) {
            out.append(line).append('\n');
            if (line.contains("ipop0 up:")) {
                break;
            }
        }
        assertTrue(line != null, "the demo ended before a node was up:\n" + out);
        assertTrue(!DemoResources.processesIn(DemoNetwork.INTERNET).isEmpty(), "nothing runs in the internet");
        assertEquals(0, new ProcessBuilder("kill", "-" + signal, Long.toString(demo.pid())).start().waitFor());
        out.append(readAll(demo, in, 60));
        // 128 + the signal's number: the JVM ends by the signal once the hook is done.
        assertEquals(signal.equals("INT") ? 130 : 143, demo.exitValue(), out.toString());
        assertTrue(out.toString().contains("stopping: removing everything the demo created"), out.toString());
        assertTrue(out.toString().contains("removed everything the demo created"), out.toString());
    }

    /** The CLI as the launcher runs it, verb {@code demo}, iperf3 streams of 2 s. */
    private static Process start() throws IOException {
        String classPath = System.getProperty("java.class.path");
        List<String> command = new ArrayList<>();
        command.add(ProcessHandle.current().info().command().orElseThrow());
        command.addAll(NodeMain.JVM_FLAGS);
        command.addAll(List.of("-cp", classPath, "-D" + NodeMain.DATAPLANE_CLASSPATH_PROPERTY + "=" + classPath,
                "net.ipop.cli.IpopCommand", "demo", "--iperf-seconds", "2"));
        return new ProcessBuilder(command).redirectErrorStream(true).start();
    }

    private static BufferedReader reader(Process p) {
        return new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
    }

    /** The rest of {@code in} (the process's output); a demo still running after {@code seconds} is stopped. */
    private static String readAll(Process p, BufferedReader in, int seconds) throws Exception {
        Thread killer = Thread.ofVirtual().start(() -> {
            try {
                if (!p.waitFor(seconds, TimeUnit.SECONDS)) {
                    // A hung demo: SIGINT first so its hook still removes what it made.
                    new ProcessBuilder("kill", "-INT", Long.toString(p.pid())).start().waitFor();
                    if (!p.waitFor(30, TimeUnit.SECONDS)) {
                        p.destroyForcibly();
                    }
                }
            } catch (IOException | InterruptedException e) {
                p.destroyForcibly();
            }
        });
        StringBuilder text = new StringBuilder();
        for (String line = in.readLine(); line != null; line = in.readLine()) {
            text.append(line).append('\n');
        }
        p.waitFor();
        killer.interrupt();
        return text.toString();
    }
}
