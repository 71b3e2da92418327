package net.ipop.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;

import net.ipop.control.topology.Plan;
import net.ipop.control.topology.TopologyManager;
import net.ipop.control.topology.TopologyPlanner;
import net.ipop.crypto.cert.X25519Keys;
import net.ipop.ffm.testing.Privileged;
import net.ipop.ffm.testing.TestNamespace;
import net.ipop.ipc.counters.CountersFileReader;
import net.ipop.ipc.counters.GlobalCounter;

/**
 * Issue 5's overlay test in static mode: real nodes ({@code ipop up}), each in its own namespace, all on one
 * bridge (a hub namespace), every node listing every other as a peer with only its own addresses. With
 * {@code topology.maxMeshSize} below the member count the topology manager forms a ring: some pairs have no
 * link and their packets cross other nodes' data planes, and still every pair pings. With a large
 * {@code maxMeshSize} the same nodes form a full mesh and nothing is forwarded; a node leaves and the others keep
 * pinging; a ninth node (listed from the start, absent until now) joins and pings everyone.
 *
 * <p>Sixteen JVMs on a shared two-core machine: waits are generous and pings run in parallel. The times to
 * converge are written as section {@code convergence-8} of the document {@code perf/overlay-figures.sh} names
 * (otherwise only printed); that script also sets {@value #SIXTEEN_PROPERTY}, which runs a ring of sixteen nodes
 * (32 JVMs, section {@code convergence-16}) that the ordinary suite leaves out for its minutes.
 */
@Privileged
@Timeout(value = 1500, unit = TimeUnit.SECONDS)
class TopologyTest {
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final int NODES = 8;
    private static final int ALL = NODES + 1;
    private static final int PING_SECONDS = 240;
    static final String SIXTEEN_PROPERTY = "ipop.topology.sixteen";
    private static final int WAVE = 4;

    @TempDir
    Path temp;

    /**
     * Nodes an {@code ipop up} was started for and no {@code ipop down} has stopped since: only these are stopped
     * in cleanup (an {@code ipop down} per node that is not up costs a JVM start each, sequentially).
     */
    private static final java.util.Set<Node> MAYBE_UP = java.util.concurrent.ConcurrentHashMap.newKeySet();

    private record Node(int index, String name, byte[] key, TestNamespace ns, Path config, Path runDir,
                        Path aeronDir, Path counters) {
        String address() {
            return "192.0.2." + (index + 1);
        }

        String memberId() {
            return TopologyManager.memberId(X25519Keys.publicKey(key));
        }
    }

    @Test
    void aRingForwardsBetweenUnlinkedPairsAMeshDoesNotAndMembersLeaveAndJoin() throws Exception {
        List<TestNamespace> namespaces = new ArrayList<>();
        List<Node> nodes = new ArrayList<>();
        ExecutorService pool = Executors.newFixedThreadPool(16);
        try (TestNamespace hub = TestNamespace.create("tph")) {
            bridge(hub, ALL, namespaces, nodes);
            List<Node> eight = nodes.subList(0, NODES);
            try {
                // Ring: 8 members, mesh only up to 4, one successor each.
                for (Node n : eight) {
                    writeConfig(n, eight, 4, 1);
                }
                TopologyPlanner planner = new TopologyPlanner(4, 1);
                List<String> ids = eight.stream().map(Node::memberId).toList();
                List<List<Node>> unlinked = new ArrayList<>();
                for (Node a : eight) {
                    Plan p = planner.plan(ids, a.memberId());
                    assertFalse(p.mesh());
                    for (Node b : eight) {
                        if (a.index() < b.index() && !p.links().contains(b.memberId())) {
                            unlinked.add(List.of(a, b));
                        }
                    }
                }
                assertFalse(unlinked.isEmpty(), "the ring links every pair: nothing would be forwarded");
                long upStart = System.nanoTime();
                long upDone = upAll(pool, eight);
                long converged = pingAllPairs(pool, eight, nodes);
                long ringUp = upDone - upStart;
                long ring = converged - upDone;
                System.out.printf("ring of %d (%d of %d pairs without a link): every pair pings %d ms after the"
                        + " last ipop up returned%n", NODES, unlinked.size(), NODES * (NODES - 1) / 2,
                        TimeUnit.NANOSECONDS.toMillis(ring));
                long forwarded = 0;
                for (Node n : eight) {
                    forwarded += forwarded(n);
                }
                assertTrue(forwarded > 0, "no node forwarded anything in the ring" + logs(nodes));
                downAll(pool, eight);

                // Mesh: every member lists all nine (the ninth absent for now); mesh up to 16.
                for (Node n : nodes) {
                    writeConfig(n, nodes, 16, 2);
                }
                upStart = System.nanoTime();
                upDone = upAll(pool, eight);
                converged = pingAllPairs(pool, eight, nodes);
                long meshUp = upDone - upStart;
                long mesh = converged - upDone;
                System.out.printf("mesh of %d: every pair pings %d ms after the last ipop up returned%n", NODES,
                        TimeUnit.NANOSECONDS.toMillis(converged - upDone));
                for (Node n : eight) {
                    assertEquals(0, forwarded(n), n.name() + " forwarded in a full mesh" + logs(nodes));
                }

                // A member leaves: the other seven still reach each other.
                Node leaving = eight.get(NODES - 1);
                stop(leaving);
                List<Node> seven = eight.subList(0, NODES - 1);
                pingAllPairs(pool, seven, nodes);

                // The ninth member joins and reaches every node up.
                List<Node> now = new ArrayList<>(seven);
                Node joining = nodes.get(ALL - 1);
                now.add(joining);
                long joinStart = upAll(pool, List.of(joining));
                long joined = pingAllPairs(pool, now, nodes);
                System.out.printf("a ninth member joins: every pair of %d pings %d ms after its ipop up returned%n",
                        now.size(), TimeUnit.NANOSECONDS.toMillis(joined - joinStart));
                downAll(pool, now);
                ReliabilityReport.publish("convergence-8", header()
                        + row("ring of 8 (`maxMeshSize: 4`, %d of 28 pairs without a link)".formatted(unlinked.size()),
                                ringUp, ring)
                        + row("full mesh of 8 (`maxMeshSize: 16`)", meshUp, mesh)
                        + "| a ninth node joins 7 running ones (its `ipop up` alone) | – | "
                        + seconds(joined - joinStart) + " |\n");
            } finally {
                cleanUp(pool, nodes, namespaces);
            }
        }
    }

    /**
     * Sixteen nodes as a ring (mesh only up to 4, one successor and the planner's chords): the time from the last
     * {@code ipop up} returning until every one of the 120 pairs has pinged. Only on request: 32 JVMs. They start
     * in waves of {@value #WAVE}: sixteen JVM pairs starting at once on two cores outlast {@code ipop up}'s own
     * readiness timeout.
     */
    @Test
    @EnabledIfSystemProperty(named = SIXTEEN_PROPERTY, matches = "true")
    void sixteenNodesConvergeAsARing() throws Exception {
        int count = 16;
        List<TestNamespace> namespaces = new ArrayList<>();
        List<Node> nodes = new ArrayList<>();
        ExecutorService pool = Executors.newFixedThreadPool(2 * count);
        try (TestNamespace hub = TestNamespace.create("tph")) {
            bridge(hub, count, namespaces, nodes);
            try {
                for (Node n : nodes) {
                    writeConfig(n, nodes, 4, 1);
                }
                TopologyPlanner planner = new TopologyPlanner(4, 1);
                List<String> ids = nodes.stream().map(Node::memberId).toList();
                int unlinked = 0;
                for (Node a : nodes) {
                    Plan p = planner.plan(ids, a.memberId());
                    assertFalse(p.mesh());
                    for (Node b : nodes) {
                        if (a.index() < b.index() && !p.links().contains(b.memberId())) {
                            unlinked++;
                        }
                    }
                }
                long upStart = System.nanoTime();
                long upDone = 0;
                for (int i = 0; i < count; i += WAVE) {
                    upDone = upAll(pool, nodes.subList(i, i + WAVE));
                }
                long converged = pingAllPairs(pool, nodes, nodes);
                System.out.printf("ring of %d: every pair pings %d ms after the last ipop up returned%n", count,
                        TimeUnit.NANOSECONDS.toMillis(converged - upDone));
                downAll(pool, nodes);
                ReliabilityReport.publish("convergence-16", header()
                        + row("ring of 16 (`maxMeshSize: 4`, %d of 120 pairs without a link; started in waves of %d)"
                                .formatted(unlinked, WAVE),
                                upDone - upStart, converged - upDone));
            } finally {
                cleanUp(pool, nodes, namespaces);
            }
        }
    }

    private static String header() {
        return "| overlay | all `ipop up` returned (started in parallel) | every pair pings, after the last `ipop up`"
                + " returned |\n|---|---|---|\n";
    }

    private static String row(String what, long upNanos, long convergedNanos) {
        return "| " + what + " | " + seconds(upNanos) + " | " + seconds(convergedNanos) + " |\n";
    }

    private static String seconds(long nanos) {
        return "%.1f s".formatted(nanos / 1e9);
    }

    /** {@code count} node namespaces on one bridge in {@code hub}, each with its underlay address. */
    private void bridge(TestNamespace hub, int count, List<TestNamespace> namespaces, List<Node> nodes)
            throws Exception {
        hub.exec("ip", "link", "add", "br0", "type", "bridge");
        hub.exec("ip", "link", "set", "br0", "up");
        for (int i = 0; i < count; i++) {
            TestNamespace ns = TestNamespace.create("tp" + i);
            namespaces.add(ns);
            hub.exec("ip", "link", "add", "h" + i, "type", "veth", "peer", "name", "u" + i, "netns", ns.name());
            hub.exec("ip", "link", "set", "h" + i, "master", "br0");
            hub.exec("ip", "link", "set", "h" + i, "up");
            ns.exec("ip", "addr", "add", underlay(i) + "/24", "dev", "u" + i);
            ns.exec("ip", "link", "set", "u" + i, "up");
            ns.exec("ip", "link", "set", "lo", "up");
            nodes.add(node(i, ns));
        }
    }

    private static void cleanUp(ExecutorService pool, List<Node> nodes, List<TestNamespace> namespaces)
            throws IOException {
        pool.shutdownNow();
        for (Node n : nodes) {
            if (MAYBE_UP.remove(n)) {
                try {
                    ipop(n, 90, "down", "--config", n.config().toString());
                } catch (Exception | AssertionError e) {
                    System.out.println("down " + n.name() + " in cleanup: " + e);
                }
            }
            removeLeftovers(n);
        }
        for (TestNamespace ns : namespaces) {
            ns.close();
        }
    }

    private static String underlay(int i) {
        return "198.51.100." + (10 + i);
    }

    private Node node(int i, TestNamespace ns) throws IOException {
        String name = "node" + i;
        Path dir = Files.createDirectories(temp.resolve(name));
        byte[] key = X25519Keys.generatePrivateKey(RANDOM);
        Path keyFile = dir.resolve(name + ".key");
        Files.writeString(keyFile, X25519Keys.toBase64(key) + "\n");
        Files.setPosixFilePermissions(keyFile, PosixFilePermissions.fromString("rw-------"));
        return new Node(i, name, key, ns, dir.resolve("node.yaml"), dir.resolve("run"),
                Path.of("/dev/shm", "ipopt-" + ns.name() + "-" + i), dir.resolve("ipop0.counters"));
    }

    private static void writeConfig(Node n, List<Node> members, int maxMeshSize, int successors) throws IOException {
        StringBuilder peers = new StringBuilder();
        for (Node m : members) {
            if (m != n) {
                peers.append("""
                          - name: %s
                            publicKey: %s
                            endpoint: %s:51820
                            allowedAddresses: [%s/32]
                            keepaliveIntervalMs: 5000
                        """.formatted(m.name(), X25519Keys.toBase64(X25519Keys.publicKey(m.key())),
                        underlay(m.index()), m.address()));
            }
        }
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
                topology:
                  maxMeshSize: %d
                  successors: %d
                  downAfterMs: 30000
                peers:
                """.formatted(n.name(), n.runDir().getParent().resolve(n.name() + ".key"), n.address(), n.counters(),
                n.aeronDir(), maxMeshSize, successors) + peers);
    }

    /** Starts the nodes in parallel; returns when the last {@code ipop up} returned (System.nanoTime). */
    private static long upAll(ExecutorService pool, List<Node> nodes) throws Exception {
        List<Future<String>> ups = new ArrayList<>();
        for (Node n : nodes) {
            MAYBE_UP.add(n);
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

    private static void downAll(ExecutorService pool, List<Node> nodes) throws Exception {
        List<Future<Void>> downs = new ArrayList<>();
        for (Node n : nodes) {
            downs.add(pool.submit(() -> {
                stop(n);
                return null;
            }));
        }
        for (Future<Void> f : downs) {
            f.get(300, TimeUnit.SECONDS);
        }
    }

    /**
     * Every unordered pair pings (one echo answered proves both directions), in parallel, each retrying until
     * {@link #PING_SECONDS}; returns when the last pair first succeeded (System.nanoTime).
     */
    private static long pingAllPairs(ExecutorService pool, List<Node> nodes, List<Node> all) throws Exception {
        List<Future<Long>> pings = new ArrayList<>();
        for (Node a : nodes) {
            for (Node b : nodes) {
                if (a.index() < b.index()) {
                    pings.add(pool.submit(() -> {
                        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(PING_SECONDS);
                        while (a.ns().execAllowingFailure(10, "ping", "-c", "1", "-W", "2", b.address())
                                .exitCode() != 0) {
                            if (System.nanoTime() - deadline > 0) {
                                return -1L;
                            }
                            Thread.sleep(200);
                        }
                        return System.nanoTime();
                    }));
                }
            }
        }
        long last = 0;
        List<String> failed = new ArrayList<>();
        int k = 0;
        for (Node a : nodes) {
            for (Node b : nodes) {
                if (a.index() < b.index()) {
                    long t = pings.get(k++).get(PING_SECONDS + 60, TimeUnit.SECONDS);
                    if (t < 0) {
                        failed.add(a.name() + " -> " + b.name());
                    }
                    last = Math.max(last, t);
                }
            }
        }
        if (!failed.isEmpty()) {
            keepLogs(all);
        }
        assertTrue(failed.isEmpty(), "no ping reply in " + PING_SECONDS + " s: " + failed + logs(all));
        return last;
    }

    private static long forwarded(Node n) throws IOException {
        return CountersFileReader.open(n.counters()).snapshot(System.currentTimeMillis()).globals()
                .getOrDefault(GlobalCounter.FORWARDED, 0L);
    }

    /**
     * Runs the CLI as {@link NodeUpDownTest#cli} does, its output going to a file: with sixteen JVMs on two cores
     * the JDK's reaper closing a pipe under a reader ("Stream closed") was seen.
     */
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
        MAYBE_UP.remove(n);
    }

    private static String log(Node n) {
        try {
            String text = Files.readString(n.runDir().resolve("ipop0.log"));
            // The tail is what matters; eight full logs would bury the failure.
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

    /**
     * Copies every node's whole log to {@code target/topology-logs} (the failure message has only their tails;
     * the temporary directory goes with the test).
     */
    private static void keepLogs(List<Node> nodes) throws IOException {
        Path dir = Files.createDirectories(Path.of("target", "topology-logs"));
        for (Node n : nodes) {
            Path log = n.runDir().resolve("ipop0.log");
            if (Files.exists(log)) {
                Files.copy(log, dir.resolve(n.name() + ".log"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            }
        }
        System.out.println("node logs kept in " + dir.toAbsolutePath());
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
