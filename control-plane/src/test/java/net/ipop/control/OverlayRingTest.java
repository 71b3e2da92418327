package net.ipop.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import net.ipop.control.signal.ProsodyServer;
import net.ipop.control.status.JsonText;
import net.ipop.control.topology.Plan;
import net.ipop.control.topology.TopologyManager;
import net.ipop.control.topology.TopologyPlanner;
import net.ipop.crypto.cert.IpPrefix;
import net.ipop.crypto.cert.NodeCertificate;
import net.ipop.crypto.cert.OverlayCa;
import net.ipop.crypto.cert.X25519Keys;
import net.ipop.ffm.testing.Privileged;
import net.ipop.ffm.testing.TestNamespace;
import net.ipop.ipc.counters.CountersFileReader;
import net.ipop.ipc.counters.GlobalCounter;

/**
 * Issue 5's topology for overlay nodes: eight {@code ipop up} nodes in overlay mode (a CA, a certificate each,
 * signalling through Prosody in the "internet" namespace, ICE over host candidates) on one bridge, with
 * {@code topology.maxMeshSize} below eight, so they form a ring: each runs ICE and handshakes only with its planned
 * neighbours and reaches the others through forwarding, and still every pair pings. A node leaves ({@code ipop
 * down}: its presence goes) and the seven others re-plan and keep pinging; a ninth joins and every pair pings.
 *
 * <p>Sixteen JVMs on a shared two-core machine: waits are generous and pings run in parallel.
 */
@Privileged
@Tag("slow")
@Timeout(value = 1500, unit = TimeUnit.SECONDS)
class OverlayRingTest {
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final String OVERLAY = "ring";
    private static final String SERVER = "198.51.100.1";
    private static final int NODES = 8;
    private static final int MAX_MESH = 4;
    private static final int SUCCESSORS = 1;
    private static final int PING_SECONDS = 300;
    private static final int STATUS_SECONDS = 120;
    /**
     * Nodes start in waves of this many: eight JVM pairs starting at once on two cores shared with other work were
     * seen to outlast {@code ipop up}'s own readiness timeout.
     */
    private static final int WAVE = 4;

    @TempDir
    Path temp;

    private record Node(int index, String name, byte[] publicKey, TestNamespace ns, Path config, Path runDir,
                        Path aeronDir, Path counters) {
        String address() {
            return "192.0.2." + (index + 1);
        }

        String memberId() {
            return TopologyManager.memberId(publicKey);
        }
    }

    @Test
    void eightOverlayNodesFormARingForwardAndReplanWhenMembersLeaveAndJoin() throws Exception {
        List<TestNamespace> namespaces = new ArrayList<>();
        List<Node> nodes = new ArrayList<>();
        ExecutorService pool = Executors.newFixedThreadPool(16);
        try (TestNamespace internet = TestNamespace.create("ovr");
             ProsodyServer xmpp = ProsodyServer.on(internet, Files.createDirectories(temp.resolve("xmpp")),
                     SERVER)) {
            internet.exec("ip", "link", "add", "br0", "type", "bridge");
            internet.exec("ip", "addr", "add", SERVER + "/24", "dev", "br0");
            internet.exec("ip", "link", "set", "br0", "up");
            internet.exec("ip", "link", "set", "lo", "up");
            Instant notBefore = Instant.now().minusSeconds(3600);
            Instant notAfter = Instant.now().plus(Duration.ofDays(1));
            OverlayCa ca = OverlayCa.create("ring-ca", List.of(IpPrefix.parse("192.0.2.0/24")), notBefore, notAfter,
                    RANDOM);
            Path caFile = Files.writeString(temp.resolve("ring-ca.pem"), ca.certificate().toPem());
            for (int i = 0; i <= NODES; i++) {
                nodes.add(node(i, internet, namespaces, xmpp, ca, caFile, notBefore, notAfter));
            }
            xmpp.start();
            try {
                List<Node> eight = nodes.subList(0, NODES);
                List<List<Node>> unlinked = unlinkedPairs(eight);
                assertFalse(unlinked.isEmpty(), "the plan links every pair: nothing would be forwarded");

                long started = System.nanoTime();
                long up = 0;
                for (int i = 0; i < NODES; i += WAVE) {
                    up = upAll(pool, eight.subList(i, i + WAVE));
                }
                long converged = pingAllPairs(pool, eight, nodes);
                System.out.printf("overlay ring of %d (%d of %d pairs without a link): ipop up (waves of %d) %d ms,"
                        + " every pair pings %d ms after the last ipop up returned%n", NODES, unlinked.size(),
                        NODES * (NODES - 1) / 2, WAVE, TimeUnit.NANOSECONDS.toMillis(up - started),
                        TimeUnit.NANOSECONDS.toMillis(converged - up));
                assertForwardedAsPlanned(unlinked, eight, nodes);
                long forwarded = 0;
                for (Node n : eight) {
                    forwarded += forwarded(n);
                }
                assertTrue(forwarded > 0, "no node forwarded anything in the ring" + logs(nodes));

                // A member leaves: its presence goes, the seven re-plan and still reach each other.
                Node leaving = eight.get(NODES - 1);
                stop(leaving);
                List<Node> seven = new ArrayList<>(eight.subList(0, NODES - 1));
                long left = System.nanoTime();
                long replanned = pingAllPairs(pool, seven, nodes);
                System.out.printf("a member leaves: every pair of %d pings %d ms after its ipop down returned%n",
                        seven.size(), TimeUnit.NANOSECONDS.toMillis(replanned - left));

                // A ninth member joins and everyone reaches everyone.
                List<Node> now = new ArrayList<>(seven);
                now.add(nodes.get(NODES));
                long joinUp = upAll(pool, List.of(nodes.get(NODES)));
                long joined = pingAllPairs(pool, now, nodes);
                System.out.printf("a ninth member joins: every pair of %d pings %d ms after its ipop up returned%n",
                        now.size(), TimeUnit.NANOSECONDS.toMillis(joined - joinUp));
                // The paths follow the plan over the new member set.
                List<List<Node>> unlinkedNow = unlinkedPairs(now);
                assertFalse(unlinkedNow.isEmpty(), "still a ring after the changes");
                assertForwardedAsPlanned(unlinkedNow, now, nodes);
            } finally {
                pool.shutdownNow();
                for (Node n : nodes) {
                    try {
                        if (Files.exists(n.runDir().resolve("ipop0.pid"))) {
                            ipop(n, 90, "down", "--config", n.config().toString());
                        }
                    } catch (Exception | AssertionError e) {
                        System.out.println("down " + n.name() + " in cleanup: " + e);
                    }
                    removeAeronDir(n);
                }
                for (TestNamespace ns : namespaces) {
                    ns.close();
                }
            }
        }
    }

    /** The pairs the planner gives no direct link among {@code members}, as every node computes it. */
    private static List<List<Node>> unlinkedPairs(List<Node> members) {
        TopologyPlanner planner = new TopologyPlanner(MAX_MESH, SUCCESSORS);
        List<String> ids = members.stream().map(Node::memberId).toList();
        List<List<Node>> unlinked = new ArrayList<>();
        for (Node a : members) {
            Plan p = planner.plan(ids, a.memberId());
            assertFalse(p.mesh());
            for (Node b : members) {
                if (a.index() < b.index() && !p.links().contains(b.memberId())) {
                    unlinked.add(List.of(a, b));
                }
            }
        }
        return unlinked;
    }

    /**
     * For each pair without a link, {@code ipop status --json} of its first node shows the other as forwarded via
     * the next hop the plan over all members gives; the first node's planned neighbours show a direct path. A node
     * may still hold a slow member as down for a while ({@code downAfterMs}), so each is asked again for up to
     * {@link #STATUS_SECONDS}.
     */
    private static void assertForwardedAsPlanned(List<List<Node>> unlinked, List<Node> members, List<Node> all)
            throws Exception {
        TopologyPlanner planner = new TopologyPlanner(MAX_MESH, SUCCESSORS);
        List<String> ids = members.stream().map(Node::memberId).toList();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(STATUS_SECONDS);
        for (List<Node> pair : unlinked) {
            Node a = pair.get(0);
            Node b = pair.get(1);
            String hop = nameOf(members, planner.plan(ids, a.memberId()).nextHop().get(b.memberId()));
            awaitPath(a, b, "forwarded", hop, deadline, all);
            System.out.printf("%s -> %s: forwarded via %s%n", a.name(), b.name(), hop);
        }
        Node a = members.get(0);
        for (String linked : planner.plan(ids, a.memberId()).links()) {
            awaitPath(a, nodeOf(members, linked), "direct", null, deadline, all);
        }
    }

    private static Node nodeOf(List<Node> members, String memberId) {
        return members.stream().filter(n -> n.memberId().equals(memberId)).findFirst().orElseThrow();
    }

    private static String nameOf(List<Node> members, String memberId) {
        return nodeOf(members, memberId).name();
    }

    /** Asks {@code a} until its status shows {@code b} with this path and via ({@code null}: none). */
    private static void awaitPath(Node a, Node b, String path, String via, long deadline, List<Node> all)
            throws Exception {
        while (true) {
            Map<?, ?> peer = statusOf(a, b.name());
            if (path.equals(peer.get("path")) && Objects.equals(via, peer.get("via"))) {
                return;
            }
            assertTrue(System.nanoTime() - deadline < 0, a.name() + " -> " + b.name() + ": " + peer + " is not "
                    + path + (via == null ? "" : " via " + via) + logs(all));
            Thread.sleep(1000);
        }
    }

    /** The peer named {@code peer} in {@code n}'s {@code ipop status --json}. */
    private static Map<?, ?> statusOf(Node n, String peer) throws Exception {
        TestNamespace.Cmd.Result r = ipop(n, 90, "status", "--json", "--config", n.config().toString());
        assertEquals(0, r.exitCode(), r.output());
        List<String> lines = r.output().lines().filter(l -> l.startsWith("{")).toList();
        assertEquals(1, lines.size(), r.output());
        for (Object o : (List<?>) ((Map<?, ?>) JsonText.parse(lines.get(0))).get("peers")) {
            Map<?, ?> p = (Map<?, ?>) o;
            if (peer.equals(p.get("name"))) {
                return p;
            }
        }
        throw new AssertionError(n.name() + " has no peer " + peer + ": " + r.output());
    }

    /** A node namespace on the internet's bridge, its key, certificate, XMPP account and config. */
    private Node node(int i, TestNamespace internet, List<TestNamespace> namespaces, ProsodyServer xmpp,
                      OverlayCa ca, Path caFile, Instant notBefore, Instant notAfter) throws IOException {
        TestNamespace ns = TestNamespace.create("ovr" + i);
        namespaces.add(ns);
        internet.exec("ip", "link", "add", "h" + i, "type", "veth", "peer", "name", "u" + i, "netns", ns.name());
        internet.exec("ip", "link", "set", "h" + i, "master", "br0");
        internet.exec("ip", "link", "set", "h" + i, "up");
        ns.exec("ip", "addr", "add", "198.51.100." + (10 + i) + "/24", "dev", "u" + i);
        ns.exec("ip", "link", "set", "u" + i, "up");
        ns.exec("ip", "link", "set", "lo", "up");

        String name = "node" + i;
        Path dir = Files.createDirectories(temp.resolve(name));
        byte[] key = X25519Keys.generatePrivateKey(RANDOM);
        byte[] publicKey = X25519Keys.publicKey(key);
        Path keyFile = secret(dir.resolve(name + ".key"), X25519Keys.toBase64(key));
        Node n = new Node(i, name, publicKey, ns, dir.resolve("node.yaml"), dir.resolve("run"),
                Path.of("/dev/shm", "ipopt-" + ns.name() + "-" + i), dir.resolve("ipop0.counters"));
        NodeCertificate cert = ca.issue(name, publicKey, List.of(IpPrefix.parse(n.address() + "/32")),
                List.of(OVERLAY), notBefore, notAfter, RANDOM);
        Path certFile = Files.writeString(dir.resolve(name + ".pem"), cert.toPem());
        String password = "pw-" + Long.toHexString(RANDOM.nextLong());
        xmpp.register(name, password);
        Path passwordFile = secret(dir.resolve("xmpp.password"), password);
        Files.writeString(n.config(), """
                node:
                  name: %s
                  privateKeyFile: %s
                interface:
                  name: ipop0
                  addresses: [%s/24]
                listen:
                  port: 51820
                dataplane:
                  countersFile: %s
                  aeronDirectory: %s
                  deadPeerAfterMs: 5000
                signalling:
                  - overlay: %s
                    account: %s@%s
                    passwordFile: %s
                    server: %s
                    tls: plain
                    certificateFile: %s
                    caFile: %s
                    allowedGroups: [%s]
                topology:
                  maxMeshSize: %d
                  successors: %d
                  downAfterMs: 30000
                """.formatted(name, keyFile, n.address(), n.counters(), n.aeronDir(), OVERLAY, name,
                ProsodyServer.DOMAIN, passwordFile, SERVER, certFile, caFile, OVERLAY, MAX_MESH, SUCCESSORS));
        return n;
    }

    private static Path secret(Path file, String text) throws IOException {
        Files.writeString(file, text + "\n");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        return file;
    }

    /** Starts the nodes in parallel; returns when the last {@code ipop up} returned (System.nanoTime). */
    private static long upAll(ExecutorService pool, List<Node> nodes) throws Exception {
        List<Future<String>> ups = new ArrayList<>();
        for (Node n : nodes) {
            ups.add(pool.submit(() -> {
                TestNamespace.Cmd.Result r = ipop(n, 240, "up", "--config", n.config().toString());
                assertEquals(0, r.exitCode(), "ipop up " + n.name() + ": " + r.output() + log(n));
                return r.output();
            }));
        }
        for (Future<String> f : ups) {
            f.get(300, TimeUnit.SECONDS);
        }
        return System.nanoTime();
    }

    /**
     * Every unordered pair pings (one echo answered proves both directions), in parallel, each retrying until
     * {@link #PING_SECONDS}; returns when the last pair first succeeded (System.nanoTime).
     */
    private static long pingAllPairs(ExecutorService pool, List<Node> nodes, List<Node> all) throws Exception {
        List<Future<Long>> pings = new ArrayList<>();
        List<String> pairs = new ArrayList<>();
        for (Node a : nodes) {
            for (Node b : nodes) {
                if (a.index() < b.index()) {
                    pairs.add(a.name() + " -> " + b.name());
                    pings.add(pool.submit(() -> {
                        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(PING_SECONDS);
                        while (a.ns().execAllowingFailure(10, "ping", "-c", "1", "-W", "2", b.address())
                                .exitCode() != 0) {
                            if (System.nanoTime() - deadline > 0) {
                                return -1L;
                            }
                            Thread.sleep(300);
                        }
                        return System.nanoTime();
                    }));
                }
            }
        }
        long last = 0;
        List<String> failed = new ArrayList<>();
        for (int k = 0; k < pings.size(); k++) {
            long t = pings.get(k).get(PING_SECONDS + 60, TimeUnit.SECONDS);
            if (t < 0) {
                failed.add(pairs.get(k));
            }
            last = Math.max(last, t);
        }
        assertTrue(failed.isEmpty(), "no ping reply in " + PING_SECONDS + " s: " + failed + logs(all));
        return last;
    }

    private static long forwarded(Node n) throws IOException {
        return CountersFileReader.open(n.counters()).snapshot(System.currentTimeMillis()).globals()
                .getOrDefault(GlobalCounter.FORWARDED, 0L);
    }

    /** Runs the CLI in the node's namespace, its output going to a file (no pipe for the JDK's reaper to close). */
    private static TestNamespace.Cmd.Result ipop(Node n, int seconds, String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of("ip", "netns", "exec", n.ns().name(),
                ProcessHandle.current().info().command().orElseThrow()));
        command.addAll(NodeMain.JVM_FLAGS);
        String classPath = System.getProperty("java.class.path");
        command.addAll(List.of("-cp", classPath, "-D" + NodeMain.DATAPLANE_CLASSPATH_PROPERTY + "=" + classPath,
                "-D" + NodeMain.RUN_DIRECTORY_PROPERTY + "=" + n.runDir(), "net.ipop.cli.IpopCommand"));
        command.addAll(List.of(args));
        Path out = Files.createTempFile(n.runDir().getParent(), "cli-", ".out");
        Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(out.toFile()).start();
        if (!p.waitFor(seconds, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("ipop " + String.join(" ", args) + " on " + n.name() + " did not finish in "
                    + seconds + " s: " + Files.readString(out));
        }
        return new TestNamespace.Cmd.Result(p.exitValue(), Files.readString(out));
    }

    private static void stop(Node n) throws Exception {
        TestNamespace.Cmd.Result r = ipop(n, 240, "down", "--config", n.config().toString());
        assertEquals(0, r.exitCode(), r.output() + log(n));
    }

    private static String log(Node n) {
        try {
            String text = Files.readString(n.runDir().resolve("ipop0.log"));
            return "\nlog of " + n.name() + ":\n" + text.substring(Math.max(0, text.length() - 6000));
        } catch (IOException e) {
            return "\n(no log of " + n.name() + ": " + e + ")";
        }
    }

    private static String logs(List<Node> nodes) {
        StringBuilder sb = new StringBuilder();
        for (Node n : nodes) {
            sb.append(log(n));
        }
        return sb.toString();
    }

    private static void removeAeronDir(Node n) throws IOException {
        if (Files.exists(n.aeronDir())) {
            try (var walk = Files.walk(n.aeronDir())) {
                for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }
}
