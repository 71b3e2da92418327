package net.ipop.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import net.ipop.crypto.cert.X25519Keys;
import net.ipop.ffm.testing.Privileged;
import net.ipop.ffm.testing.TestNamespace;
import net.ipop.ipc.counters.CountersFileReader;
import net.ipop.ipc.counters.CountersSnapshot;
import net.ipop.ipc.counters.DropReason;
import net.ipop.ipc.counters.GlobalCounter;

/**
 * Three real nodes ({@code ipop up}, each in its own namespace) in a line: alpha - beta - gamma, joined by two
 * veth pairs, so alpha and gamma have no link of their own. Alpha's config routes gamma's addresses through
 * beta and gamma's routes alpha's through beta; beta is configured with both as ordinary peers. Alpha pings
 * gamma over IPv4 and IPv6 through beta's data plane, which counts them as forwarded; a TTL-1 ping dies at
 * beta as hop_limit and alpha's ping hears beta's time-exceeded. With beta stopped, alpha declares it down within its dead interval and its pings to gamma
 * count as no_route; with beta back, the pings go through again.
 */
@Privileged
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class RelayTest {
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final int DEAD_AFTER_MS = 2500;
    private static final String A4 = "192.0.2.1";
    private static final String C4 = "192.0.2.3";
    private static final String C6 = "2001:db8::3";

    @TempDir
    Path temp;

    private record Node(String tag, TestNamespace ns, Path config, Path runDir, Path aeronDir, Path counters) {
    }

    @Test
    void betaRelaysBetweenAlphaAndGammaAndItsAbsenceCountsAsNoRoute() throws Exception {
        byte[] keyA = X25519Keys.generatePrivateKey(RANDOM);
        byte[] keyB = X25519Keys.generatePrivateKey(RANDOM);
        byte[] keyC = X25519Keys.generatePrivateKey(RANDOM);
        try (TestNamespace nsA = TestNamespace.create("rla");
                TestNamespace nsB = TestNamespace.create("rlb");
                TestNamespace nsC = TestNamespace.create("rlc")) {
            link(nsA, "va", "198.51.100.1", nsB, "vb1", "198.51.100.2");
            link(nsB, "vb2", "203.0.113.2", nsC, "vc", "203.0.113.3");
            Node a = write(nsA, "a", "alpha", keyA, 1, peer("beta", keyB, "198.51.100.2", 2, 3));
            Node b = write(nsB, "b", "beta", keyB, 2, peer("alpha", keyA, "198.51.100.1", 1),
                    peer("gamma", keyC, "203.0.113.3", 3));
            Node c = write(nsC, "c", "gamma", keyC, 3, peer("beta", keyB, "203.0.113.2", 2, 1));
            List<Node> nodes = List.of(a, b, c);
            try {
                List<Process> ups = new ArrayList<>();
                for (Node n : nodes) {
                    ups.add(NodeUpDownTest.cli(n.ns(), files(n), "up", "--config", n.config().toString()));
                }
                for (int i = 0; i < nodes.size(); i++) {
                    String out = NodeUpDownTest.finish(ups.get(i), 90);
                    assertEquals(0, ups.get(i).exitValue(), "ipop up " + nodes.get(i).tag() + ": " + out
                            + log(nodes.get(i)));
                }
                // No direct link: gamma's underlay address is unreachable from alpha's namespace.
                assertTrue(nsA.execAllowingFailure(5, "ping", "-c", "1", "-W", "1", "203.0.113.3").exitCode() != 0);

                awaitPing(nsA, C4, 40, "alpha -> gamma over IPv4 through beta", nodes);
                awaitPing(nsA, C6, 20, "alpha -> gamma over IPv6 through beta", nodes);
                TestNamespace.Cmd.Result ping4 = nsA.execAllowingFailure(20, "ping", "-c", "3", "-i", "0.2", "-W", "2",
                        C4);
                assertTrue(ping4.output().contains("3 received"), ping4.output() + logs(nodes));
                TestNamespace.Cmd.Result ping6 = nsA.execAllowingFailure(20, "ping", "-6", "-c", "3", "-i", "0.2",
                        "-W", "2", C6);
                assertTrue(ping6.output().contains("3 received"), ping6.output() + logs(nodes));
                // Each echo and each reply crossed beta's data plane without its TUN.
                long forwarded = snapshot(b).globals().getOrDefault(GlobalCounter.FORWARDED, 0L);
                assertTrue(forwarded >= 12, "beta forwarded " + forwarded + logs(nodes));
                // Its pipeline timed the cycles that did that work: some, each well under a second.
                Map<GlobalCounter, Long> globalsB = snapshot(b).globals();
                long cycles = globalsB.getOrDefault(GlobalCounter.BUSY_CYCLES, 0L);
                long busy = globalsB.getOrDefault(GlobalCounter.BUSY_NANOS, 0L);
                assertTrue(cycles >= 1 && busy > 0 && busy / cycles < 1_000_000_000L,
                        "beta's busy cycles " + cycles + ", busy ns " + busy);
                String statsB = NodeUpDownTest.finish(NodeUpDownTest.cli(nsB, files(b), "stats", "--json", "--file",
                        b.counters().toString()), 30);
                assertTrue(statsB.contains("\"forwarded\":"), statsB);

                // TTL 1 leaves alpha (it originates the packet) and dies at beta, counted there.
                long hopLimitBefore = drops(b, DropReason.HOP_LIMIT);
                TestNamespace.Cmd.Result ttl1 = nsA.execAllowingFailure(10, "ping", "-c", "1", "-t", "1", "-W", "1",
                        C4);
                assertTrue(ttl1.exitCode() != 0, ttl1.output());
                // Beta answers as a router does: time exceeded, from its own overlay address, through the tunnel.
                assertTrue(ttl1.output().contains("From 192.0.2.2") && ttl1.output().contains("Time to live exceeded"),
                        ttl1.output());
                awaitTrue(() -> drops(b, DropReason.HOP_LIMIT) > hopLimitBefore, 5,
                        "beta did not count the TTL-1 packet as hop_limit" + logs(nodes));

                // Beta goes away: alpha's data to it goes unanswered, then alpha declares it down.
                stop(b);
                long noRouteBefore = drops(a, DropReason.NO_ROUTE);
                long stopped = System.nanoTime();
                long deadline = stopped + TimeUnit.MILLISECONDS.toNanos(4L * DEAD_AFTER_MS + 5_000);
                while (drops(a, DropReason.NO_ROUTE) == noRouteBefore) {
                    assertTrue(System.nanoTime() - deadline < 0, "alpha never counted its pings to gamma as no_route"
                            + " after beta stopped" + logs(nodes));
                    TestNamespace.Cmd.Result lost = nsA.execAllowingFailure(5, "ping", "-c", "1", "-W", "1", C4);
                    assertTrue(lost.exitCode() != 0, "a ping crossed a stopped beta: " + lost.output());
                }
                long declaredMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - stopped);
                System.out.println("after beta stopped, alpha counted pings to gamma as no_route after " + declaredMs
                        + " ms (dead interval " + DEAD_AFTER_MS + " ms)");
                // The data plane's log reaches the node's log file through a pipe: a moment later.
                awaitTrue(() -> log(a).contains("'beta' is down"), 10, "no down line" + log(a));
                long noRouteNow = drops(a, DropReason.NO_ROUTE);
                nsA.execAllowingFailure(10, "ping", "-c", "3", "-i", "0.2", "-W", "1", C4);
                assertTrue(drops(a, DropReason.NO_ROUTE) >= noRouteNow + 3, "each ping is counted: "
                        + snapshot(a).drops());

                // Beta is back: a fresh handshake brings it up at alpha and the relay works again.
                Process again = NodeUpDownTest.cli(nsB, files(b), "up", "--config", b.config().toString());
                String againOut = NodeUpDownTest.finish(again, 90);
                assertEquals(0, again.exitValue(), againOut + log(b));
                long restarted = System.nanoTime();
                awaitPing(nsA, C4, 40, "alpha -> gamma after beta came back", nodes);
                System.out.println("after beta came back, alpha -> gamma pings again after "
                        + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - restarted) + " ms");
                awaitPing(nsA, C6, 20, "alpha -> gamma over IPv6 after beta came back", nodes);
                awaitTrue(() -> log(a).contains("'beta' is up again"), 10, "no up line" + log(a));

                for (Node n : nodes) {
                    stop(n);
                }
            } finally {
                for (Node n : nodes) {
                    removeLeftovers(n);
                }
            }
        }
    }

    private static String[] peer(String name, byte[] key, String underlay, int... hosts) {
        StringBuilder allowed = new StringBuilder();
        for (int h : hosts) {
            allowed.append(allowed.isEmpty() ? "" : ", ").append("192.0.2.").append(h).append("/32, \"2001:db8::")
                    .append(h).append("/128\"");
        }
        return new String[] {name, X25519Keys.toBase64(X25519Keys.publicKey(key)), underlay, allowed.toString()};
    }

    private Node write(TestNamespace ns, String tag, String name, byte[] key, int self, String[]... peers)
            throws IOException {
        Path dir = Files.createDirectories(temp.resolve(tag));
        Path keyFile = dir.resolve(name + ".key");
        Files.writeString(keyFile, X25519Keys.toBase64(key) + "\n");
        Files.setPosixFilePermissions(keyFile, PosixFilePermissions.fromString("rw-------"));
        Path aeron = Path.of("/dev/shm", "ipopt-" + ns.name() + "-" + tag);
        Path counters = dir.resolve("ipop0.counters");
        StringBuilder peerText = new StringBuilder();
        for (String[] p : peers) {
            peerText.append("""
                      - name: %s
                        publicKey: %s
                        endpoint: %s:51820
                        allowedAddresses: [%s]
                        keepaliveIntervalMs: 1000
                    """.formatted(p[0], p[1], p[2], p[3]));
        }
        Path config = dir.resolve("node.yaml");
        Files.writeString(config, """
                node:
                  name: %s
                  privateKeyFile: %s
                interface:
                  name: ipop0
                  addresses: [192.0.2.%d/24, "2001:db8::%d/64"]
                listen:
                  port: 51820
                dataplane:
                  countersFile: %s
                  aeronDirectory: %s
                  deadPeerAfterMs: %d
                peers:
                """.formatted(name, keyFile, self, self, counters, aeron, DEAD_AFTER_MS) + peerText);
        return new Node(tag, ns, config, dir.resolve("run"), aeron, counters);
    }

    private static void link(TestNamespace x, String xName, String xAddress, TestNamespace y, String yName,
                             String yAddress) throws IOException {
        x.exec("ip", "link", "add", xName, "type", "veth", "peer", "name", yName, "netns", y.name());
        x.exec("ip", "addr", "add", xAddress + "/24", "dev", xName);
        y.exec("ip", "addr", "add", yAddress + "/24", "dev", yName);
        x.exec("ip", "link", "set", xName, "up");
        y.exec("ip", "link", "set", yName, "up");
    }

    private static void awaitPing(TestNamespace ns, String to, int seconds, String what, List<Node> nodes)
            throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (ns.execAllowingFailure(5, "ping", "-c", "1", "-W", "1", to).exitCode() != 0) {
            assertTrue(System.nanoTime() - deadline < 0, "no reply in " + seconds + " s: " + what + logs(nodes));
        }
    }

    private interface Condition {
        boolean holds() throws IOException;
    }

    private static void awaitTrue(Condition condition, int seconds, String message) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (!condition.holds()) {
            assertTrue(System.nanoTime() - deadline < 0, message);
            Thread.sleep(50);
        }
    }

    private static CountersSnapshot snapshot(Node n) throws IOException {
        return CountersFileReader.open(n.counters()).snapshot(System.currentTimeMillis());
    }

    private static long drops(Node n, DropReason reason) throws IOException {
        return snapshot(n).drops().getOrDefault(reason, 0L);
    }

    private static NodeUpDownTest.NodeFiles files(Node n) {
        return new NodeUpDownTest.NodeFiles(n.config(), n.runDir(), n.aeronDir(), n.counters());
    }

    /** {@code ipop down}: exit 0 and no process left in the node's namespace. */
    private static void stop(Node n) throws Exception {
        Process down = NodeUpDownTest.cli(n.ns(), files(n), "down", "--config", n.config().toString());
        String out = NodeUpDownTest.finish(down, 60);
        assertEquals(0, down.exitValue(), out + log(n));
        assertEquals("", TestNamespace.Cmd.run("ip", "netns", "pids", n.ns().name()).strip(),
                "processes left in " + n.ns().name());
    }

    private static String log(Node n) {
        try {
            return "\nlog of " + n.tag() + ":\n" + Files.readString(n.runDir().resolve("ipop0.log"));
        } catch (IOException e) {
            return "\n(no log of " + n.tag() + ": " + e + ")";
        }
    }

    private static String logs(List<Node> nodes) {
        StringBuilder sb = new StringBuilder();
        for (Node n : nodes) {
            sb.append(log(n));
        }
        return sb.toString();
    }

    private static void removeLeftovers(Node n) throws IOException {
        if (Files.exists(n.aeronDir())) {
            try (var walk = Files.walk(n.aeronDir())) {
                for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }
}
