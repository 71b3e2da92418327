package net.ipop.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import net.ipop.crypto.cert.X25519Keys;
import net.ipop.ffm.testing.Privileged;
import net.ipop.ffm.testing.TestNamespace;

/**
 * The whole node as an operator runs it: {@code ipop up --config} in two namespaces joined by a veth pair, each
 * a CLI JVM that starts the node daemon ({@link NodeMain}) which starts its data plane process. The two nodes
 * find each other through their configured endpoints and handshake over their real data planes; ping crosses
 * the tunnel; {@code ipop down} stops both and leaves no process, device, driver directory, counters or pid file.
 */
@Privileged
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class NodeUpDownTest {
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final String UNDERLAY_A = "198.51.100.1";
    private static final String UNDERLAY_B = "198.51.100.2";

    @TempDir
    Path temp;

    /** One node's files: config, key, run directory, and where its data plane keeps driver and counters. */
    record NodeFiles(Path config, Path runDir, Path aeronDir, Path counters) {
    }

    @Test
    void upHandshakesOverTheRealDataPlanesPingCrossesAndDownLeavesNothing() throws Exception {
        byte[] keyA = X25519Keys.generatePrivateKey(RANDOM);
        byte[] keyB = X25519Keys.generatePrivateKey(RANDOM);
        try (TestNamespace nsA = TestNamespace.create("upa");
                TestNamespace nsB = TestNamespace.create("upb")) {
            underlay(nsA, nsB);
            NodeFiles a = write(nsA, "a", "alpha", keyA, "1", keyB, "beta", UNDERLAY_B, "2");
            NodeFiles b = write(nsB, "b", "beta", keyB, "2", keyA, "alpha", UNDERLAY_A, "1");
            try {
                long upStart = System.nanoTime();
                Process upA = cli(nsA, a, "up", "--config", a.config().toString());
                Process upB = cli(nsB, b, "up", "--config", b.config().toString());
                String outA = finish(upA, 60);
                String outB = finish(upB, 60);
                long upMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - upStart);
                assertEquals(0, upA.exitValue(), "ipop up in A: " + outA + log(a));
                assertEquals(0, upB.exitValue(), "ipop up in B: " + outB + log(b));
                assertTrue(outA.contains("ipop0 up: 192.0.2.1/24, 1 peer, listening on 0.0.0.0:51820"), outA);
                assertTrue(outB.contains("ipop0 up: 192.0.2.2/24, 1 peer, listening on 0.0.0.0:51820"), outB);
                long nodeA = pid(a);
                long nodeB = pid(b);
                assertTrue(ProcessHandle.of(nodeA).isPresent(), "node A is not running");
                assertEquals("rw-r--r--", PosixFilePermissions.toString(
                        Files.getPosixFilePermissions(a.runDir().resolve("ipop0.pid"))));
                assertTrue(nsA.exec("ip", "addr", "show", "ipop0").contains("192.0.2.1/24"));

                // The handshake happens between the two real data planes; the first reply proves it.
                long pingStart = System.nanoTime();
                long deadline = pingStart + TimeUnit.SECONDS.toNanos(25);
                while (nsA.execAllowingFailure(5, "ping", "-c", "1", "-W", "1", "192.0.2.2").exitCode() != 0) {
                    assertTrue(System.nanoTime() - deadline < 0, "no ping reply over the tunnel in 25 s" + log(a)
                            + log(b));
                }
                long firstReplyMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - pingStart);
                TestNamespace.Cmd.Result ping = nsA.execAllowingFailure(20, "ping", "-c", "3", "-W", "2", "192.0.2.2");
                assertEquals(0, ping.exitCode(), ping.output());
                assertTrue(ping.output().contains("3 received"), ping.output());
                System.out.println("ipop up (both, in parallel) took " + upMs + " ms; first ping reply "
                        + firstReplyMs + " ms after up returned");

                // Idle, nothing may spin: the node sleeps 1 ms between duty cycles, the data plane backs off.
                ProcessHandle nodeAHandle = ProcessHandle.of(nodeA).orElseThrow();
                long cpuBefore = cpuMs(nodeAHandle);
                Thread.sleep(1000);
                long idleCpuMs = cpuMs(nodeAHandle) - cpuBefore;
                System.out.println("an idle node (control plane + data plane processes) used " + idleCpuMs
                        + " ms CPU in 1 s");
                assertTrue(idleCpuMs < 300, "an idle node used " + idleCpuMs + " ms CPU in 1 s");

                // Supervision: B's data plane dies (SIGKILL); B's node starts a new one and handshakes afresh.
                ProcessHandle dataPlaneB = ProcessHandle.of(nodeB).orElseThrow().children().findFirst()
                        .orElseThrow(() -> new AssertionError("node B has no data plane child"));
                long killed = System.nanoTime();
                assertTrue(dataPlaneB.destroyForcibly());
                long again2 = killed + TimeUnit.SECONDS.toNanos(30);
                while (nsA.execAllowingFailure(5, "ping", "-c", "1", "-W", "1", "192.0.2.2").exitCode() != 0) {
                    assertTrue(System.nanoTime() - again2 < 0, "no ping reply 30 s after B's data plane was killed"
                            + log(a) + log(b));
                }
                System.out.println("after B's data plane was killed, ping replies again after "
                        + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killed) + " ms");
                long recoveryMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killed);
                String logB = log(b);
                assertTrue(logB.contains("the data plane exited unexpectedly"), logB);
                // Its stale driver directory was removed rather than waited out (the driver timeout is 10 s).
                assertTrue(logB.contains("removing the driver directory " + b.aeronDir()), logB);
                assertTrue(recoveryMs < 10_000, "recovery took " + recoveryMs + " ms" + logB);
                long newDataPlane = ProcessHandle.of(nodeB).orElseThrow().children().findFirst()
                        .orElseThrow(() -> new AssertionError("node B has no data plane child" + logB)).pid();
                assertTrue(newDataPlane != dataPlaneB.pid(), logB);
                assertEquals(nodeB, pid(b), "the node itself kept running");

                Process again = cli(nsA, a, "up", "--config", a.config().toString());
                String againOut = finish(again, 30);
                assertEquals(1, again.exitValue(), againOut);
                assertTrue(againOut.contains("ipop0 is already up (pid " + nodeA + "); run ipop down --config "),
                        againOut);

                down(nsA, a, nodeA);
                down(nsB, b, nodeB);

                Process notUp = cli(nsA, a, "down", "--config", a.config().toString());
                String notUpOut = finish(notUp, 30);
                assertEquals(3, notUp.exitValue(), notUpOut);
                assertTrue(notUpOut.contains("ipop0 is not up"), notUpOut);
            } finally {
                removeLeftovers(a);
                removeLeftovers(b);
            }
        }
    }

    @Test
    void inTheForegroundTheNodeRunsInTheCliProcessAndSigtermStopsItCleanly() throws Exception {
        byte[] key = X25519Keys.generatePrivateKey(RANDOM);
        byte[] peerKey = X25519Keys.generatePrivateKey(RANDOM);
        try (TestNamespace ns = TestNamespace.create("upf")) {
            ns.exec("ip", "link", "set", "lo", "up");
            NodeFiles node = write(ns, "f", "alpha", key, "1", peerKey, "beta", "127.0.0.1", "2");
            try {
                Process p = cli(ns, node, "up", "--config", node.config().toString(), "--foreground");
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(40);
                while (ns.execAllowingFailure(5, "ip", "link", "show", "ipop0").exitCode() != 0) {
                    if (!p.isAlive()) {
                        throw new AssertionError("ipop up --foreground exited: " + finish(p, 5));
                    }
                    assertTrue(System.nanoTime() - deadline < 0, "no ipop0 within 40 s");
                    Thread.sleep(100);
                }
                // The pid file names the CLI process itself (ip netns exec execs it in place). Not checked through
                // its command line: the JDK reads at most 4096 bytes of it, and the class path alone can fill that.
                long pid = pid(node);
                assertEquals(p.pid(), pid, "the pid file names another process");
                assertTrue(ProcessHandle.of(pid).orElseThrow().destroy());
                String out = finish(p, 30);
                assertEquals(0, p.exitValue(), out);
                assertTrue(out.contains("ipop-node: stopped"), out);
                assertTrue(out.contains("ipop-dataplane: stopped"), out);
                assertFalse(Files.exists(node.runDir().resolve("ipop0.pid")), "pid file left behind");
                assertFalse(Files.exists(node.aeronDir()), "left behind: " + node.aeronDir());
                assertFalse(Files.exists(node.counters()), "left behind: " + node.counters());
                assertTrue(ns.execAllowingFailure(5, "ip", "link", "show", "ipop0").exitCode() != 0);
                assertEquals("", TestNamespace.Cmd.run("ip", "netns", "pids", ns.name()).strip());
            } finally {
                removeLeftovers(node);
            }
        }
    }

    @Test
    void aDataPlaneLeftByAKilledNodeIsStoppedByTheNextUpAndByDown() throws Exception {
        byte[] key = X25519Keys.generatePrivateKey(RANDOM);
        byte[] peerKey = X25519Keys.generatePrivateKey(RANDOM);
        try (TestNamespace ns = TestNamespace.create("upk")) {
            ns.exec("ip", "link", "set", "lo", "up");
            NodeFiles node = write(ns, "k", "alpha", key, "1", peerKey, "beta", "127.0.0.1", "2");
            try {
                Process up = cli(ns, node, "up", "--config", node.config().toString());
                String upOut = finish(up, 60);
                assertEquals(0, up.exitValue(), upOut + log(node));
                // Kill the node, then the next up takes over; kill that one, then down cleans up.
                for (String verb : List.of("up", "down")) {
                    ProcessHandle nodeProcess = ProcessHandle.of(pid(node)).orElseThrow();
                    ProcessHandle dataPlane = nodeProcess.children().findFirst().orElseThrow();
                    assertTrue(nodeProcess.destroyForcibly());
                    nodeProcess.onExit().get(10, TimeUnit.SECONDS);
                    assertTrue(dataPlane.isAlive(), "the data plane went with its node; nothing to test");

                    Process next = cli(ns, node, verb, "--config", node.config().toString());
                    String out = finish(next, 60);
                    assertFalse(dataPlane.isAlive(), verb + " left the old data plane running: " + out + log(node));
                    if (verb.equals("up")) {
                        assertEquals(0, next.exitValue(), out + log(node));
                        assertTrue(log(node).contains("a data plane of an earlier node (pid " + dataPlane.pid()
                                + ") still runs; stopping it"), log(node));
                    } else {
                        assertEquals(1, next.exitValue(), out);
                        assertTrue(out.contains("ipop0 is not up (its node was gone; stopped the data plane it left"
                                + " running, pid " + dataPlane.pid() + ")"), out);
                    }
                }
                assertEquals("", TestNamespace.Cmd.run("ip", "netns", "pids", ns.name()).strip());
                assertTrue(ns.execAllowingFailure(5, "ip", "link", "show", "ipop0").exitCode() != 0);
                assertFalse(Files.exists(node.aeronDir()), "left behind: " + node.aeronDir());
                assertFalse(Files.exists(node.counters()), "left behind: " + node.counters());
                assertFalse(Files.exists(node.runDir().resolve("ipop0.pid")), "pid file left behind");
                assertFalse(Files.exists(node.runDir().resolve("ipop0.dataplane.pid")), "pid file left behind");
            } finally {
                removeLeftovers(node);
            }
        }
    }

    /** CPU time of a process and its children so far, in ms. */
    private static long cpuMs(ProcessHandle process) {
        long ms = process.info().totalCpuDuration().orElseThrow().toMillis();
        for (ProcessHandle child : process.children().toList()) {
            ms += child.info().totalCpuDuration().orElseThrow().toMillis();
        }
        return ms;
    }

    /** {@code ipop down}: exit 0, then nothing of the node is left. */
    private static void down(TestNamespace ns, NodeFiles node, long pid) throws Exception {
        Process down = cli(ns, node, "down", "--config", node.config().toString());
        String out = finish(down, 30);
        assertEquals(0, down.exitValue(), out + log(node));
        assertTrue(out.contains("ipop0 down"), out);
        assertFalse(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false), "node " + pid + " still runs");
        assertEquals("", TestNamespace.Cmd.run("ip", "netns", "pids", ns.name()).strip(),
                "processes left in " + ns.name());
        TestNamespace.Cmd.Result link = ns.execAllowingFailure(5, "ip", "link", "show", "ipop0");
        assertTrue(link.exitCode() != 0, "TUN device left behind: " + link.output());
        assertFalse(Files.exists(node.aeronDir()), "left behind: " + node.aeronDir());
        assertFalse(Files.exists(node.counters()), "left behind: " + node.counters());
        assertFalse(Files.exists(node.runDir().resolve("ipop0.pid")), "pid file left behind");
        assertFalse(Files.exists(node.runDir().resolve("ipop0.dataplane.pid")), "data plane pid file left behind");
        String log = Files.readString(node.runDir().resolve("ipop0.log"));
        assertTrue(log.contains("ipop-node: stopped"), log);
        assertTrue(log.contains("ipop-dataplane: stopped"), log);
    }

    private static void underlay(TestNamespace a, TestNamespace b) throws IOException {
        a.exec("ip", "link", "add", "veth-a", "type", "veth", "peer", "name", "veth-b", "netns", b.name());
        a.exec("ip", "addr", "add", UNDERLAY_A + "/24", "dev", "veth-a");
        b.exec("ip", "addr", "add", UNDERLAY_B + "/24", "dev", "veth-b");
        a.exec("ip", "link", "set", "veth-a", "up");
        b.exec("ip", "link", "set", "veth-b", "up");
    }

    private NodeFiles write(TestNamespace ns, String tag, String name, byte[] key, String self, byte[] peerKey,
                            String peerName, String peerUnderlay, String peer) throws IOException {
        Path dir = Files.createDirectories(temp.resolve(tag));
        Path keyFile = dir.resolve(name + ".key");
        Files.writeString(keyFile, X25519Keys.toBase64(key) + "\n");
        Files.setPosixFilePermissions(keyFile, PosixFilePermissions.fromString("rw-------"));
        Path aeron = Path.of("/dev/shm", "ipopt-" + ns.name() + "-" + tag);
        Path counters = dir.resolve("ipop0.counters");
        Path config = dir.resolve("node.yaml");
        Files.writeString(config, """
                node:
                  name: %s
                  privateKeyFile: %s
                interface:
                  name: ipop0
                  addresses: [192.0.2.%s/24]
                listen:
                  port: 51820
                dataplane:
                  countersFile: %s
                  aeronDirectory: %s
                peers:
                  - name: %s
                    publicKey: %s
                    endpoint: %s:51820
                    allowedAddresses: [192.0.2.%s/32]
                """.formatted(name, keyFile, self, counters, aeron, peerName,
                X25519Keys.toBase64(X25519Keys.publicKey(peerKey)), peerUnderlay, peer));
        return new NodeFiles(config, dir.resolve("run"), aeron, counters);
    }

    /** Starts the CLI as the launcher would, inside {@code ns}, with the node's own run directory. */
    static Process cli(TestNamespace ns, NodeFiles node, String... args) throws IOException {
        List<String> command = new ArrayList<>();
        command.add(ProcessHandle.current().info().command().orElseThrow());
        command.addAll(NodeMain.JVM_FLAGS);
        String classPath = System.getProperty("java.class.path");
        command.addAll(List.of("-cp", classPath, "-D" + NodeMain.DATAPLANE_CLASSPATH_PROPERTY + "=" + classPath,
                "-D" + NodeMain.RUN_DIRECTORY_PROPERTY + "=" + node.runDir(), "net.ipop.cli.IpopCommand"));
        command.addAll(List.of(args));
        return ns.start(command.toArray(String[]::new));
    }

    /** Waits for the process and returns its output. */
    static String finish(Process p, int seconds) throws Exception {
        if (!p.waitFor(seconds, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("did not finish in " + seconds + " s: "
                    + new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
        }
        return new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    }

    private static long pid(NodeFiles node) throws IOException {
        return Long.parseLong(Files.readString(node.runDir().resolve("ipop0.pid")).strip());
    }

    private static String log(NodeFiles node) {
        try {
            return "\nlog:\n" + Files.readString(node.runDir().resolve("ipop0.log"));
        } catch (IOException e) {
            return "\n(no log: " + e + ")";
        }
    }

    private static void removeLeftovers(NodeFiles node) throws IOException {
        if (Files.exists(node.aeronDir())) {
            try (var walk = Files.walk(node.aeronDir())) {
                for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }
}
