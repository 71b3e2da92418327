package net.ipop.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import net.ipop.control.status.JsonText;
import net.ipop.control.status.StatusClient;
import net.ipop.control.status.StatusServer;
import net.ipop.control.topology.Plan;
import net.ipop.control.topology.TopologyManager;
import net.ipop.control.topology.TopologyPlanner;
import net.ipop.crypto.cert.X25519Keys;
import net.ipop.ffm.testing.TestNamespace;
import net.ipop.ipc.counters.CountersFileReader;
import net.ipop.ipc.counters.GlobalCounter;

/**
 * What the topology tests ({@link TopologyTest}, {@link OverlayMeshRingTest}, {@link OnDemandTest}) do with their
 * nodes: one node per
 * namespace, started and stopped with the CLI ({@code ipop up}/{@code down}), asked for the status document
 * {@code ipop status --json} prints (straight from the node's status socket: no CLI JVM per question), pinged
 * pairwise in parallel, and an on-demand link made and torn down between a forwarded pair ({@link #onDemand}).
 * Stateless: every method may be called from any thread.
 */
final class TopologyNodes {
    static final String INTERFACE = "ipop0";
    private static final Duration STATUS_TIMEOUT = Duration.ofSeconds(20);

    private TopologyNodes() {
    }

    /**
     * One node of a test: overlay address 192.0.2.(index+1).
     *
     * @param publicKey its static public key (its member id derives from it)
     * @param config    its node.yaml (the caller writes it)
     * @param runDir    the CLI's run directory: pid file, log, status socket
     */
    record Member(int index, String name, byte[] publicKey, TestNamespace ns, Path config, Path runDir,
                  Path aeronDir, Path counters) {
        String address() {
            return "192.0.2." + (index + 1);
        }

        String memberId() {
            return TopologyManager.memberId(publicKey);
        }

        /** The directory holding its files (key, config, run directory). */
        Path dir() {
            return runDir.getParent();
        }
    }

    /** A member named node{index} whose files live in {@code temp/node{index}} (created). */
    static Member member(Path temp, int index, byte[] publicKey, TestNamespace ns) throws IOException {
        String name = "node" + index;
        Path dir = Files.createDirectories(temp.resolve(name));
        return new Member(index, name, publicKey, ns, dir.resolve("node.yaml"), dir.resolve("run"),
                Path.of("/dev/shm", "ipopt-" + ns.name() + "-" + index), dir.resolve(INTERFACE + ".counters"));
    }

    /**
     * {@code count} node namespaces (named {@code prefix}0, 1, ...) on one bridge in {@code hub}, node {@code i}
     * at {@link #underlay underlay(i)}, each added to {@code namespaces} as soon as it exists: the caller closes
     * them, also when this fails half-way.
     */
    static void bridge(TestNamespace hub, String prefix, int count, List<TestNamespace> namespaces) throws Exception {
        hub.exec("ip", "link", "add", "br0", "type", "bridge");
        hub.exec("ip", "link", "set", "br0", "up");
        for (int i = 0; i < count; i++) {
            TestNamespace ns = TestNamespace.create(prefix + i);
            namespaces.add(ns);
            hub.exec("ip", "link", "add", "h" + i, "type", "veth", "peer", "name", "u" + i, "netns", ns.name());
            hub.exec("ip", "link", "set", "h" + i, "master", "br0");
            hub.exec("ip", "link", "set", "h" + i, "up");
            ns.exec("ip", "addr", "add", underlay(i) + "/24", "dev", "u" + i);
            ns.exec("ip", "link", "set", "u" + i, "up");
            ns.exec("ip", "link", "set", "lo", "up");
        }
    }

    /** The underlay address of the {@code i}th node on a {@link #bridge}. */
    static String underlay(int i) {
        return "198.51.100." + (10 + i);
    }

    /** A {@link #member} with a fresh static key, its private key written to {@code <name>.key} (mode 600). */
    static Member keyed(Path temp, int index, TestNamespace ns, SecureRandom random) throws IOException {
        byte[] key = X25519Keys.generatePrivateKey(random);
        Member n = member(temp, index, X25519Keys.publicKey(key), ns);
        Path keyFile = n.dir().resolve(n.name() + ".key");
        Files.writeString(keyFile, X25519Keys.toBase64(key) + "\n");
        Files.setPosixFilePermissions(keyFile, PosixFilePermissions.fromString("rw-------"));
        return n;
    }

    /**
     * A static-mode node.yaml for a {@link #keyed} member on a {@link #bridge}: every other member a peer at its
     * underlay address with only its own overlay address, the topology section's sizes, and {@code topologyExtra}
     * (further lines of that section, indented two spaces, or "").
     */
    static void writeStaticConfig(Member n, List<Member> members, int maxMeshSize, int successors,
                                  String topologyExtra) throws IOException {
        StringBuilder peers = new StringBuilder();
        for (Member m : members) {
            if (m != n) {
                peers.append("""
                          - name: %s
                            publicKey: %s
                            endpoint: %s:51820
                            allowedAddresses: [%s/32]
                            keepaliveIntervalMs: 5000
                        """.formatted(m.name(), X25519Keys.toBase64(m.publicKey()), underlay(m.index()),
                        m.address()));
            }
        }
        Files.writeString(n.config(), nodeSections(n) + """
                topology:
                  maxMeshSize: %d
                  successors: %d
                  downAfterMs: 30000
                """.formatted(maxMeshSize, successors) + topologyExtra + "peers:\n" + peers);
    }

    /**
     * The node's own sections of its node.yaml (node, interface, listen, dataplane with a 5 s dead-peer interval),
     * its private key in {@code <name>.key}; the caller appends the rest.
     */
    static String nodeSections(Member n) {
        return """
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
                """.formatted(n.name(), n.dir().resolve(n.name() + ".key"), n.address(), n.counters(), n.aeronDir());
    }

    /** Runs the CLI in the node's namespace, its output going to a file (no pipe for the JDK's reaper to close). */
    static TestNamespace.Cmd.Result ipop(Member n, int seconds, String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of("ip", "netns", "exec", n.ns().name(),
                ProcessHandle.current().info().command().orElseThrow()));
        command.addAll(NodeMain.JVM_FLAGS);
        String classPath = System.getProperty("java.class.path");
        command.addAll(List.of("-cp", classPath, "-D" + NodeMain.DATAPLANE_CLASSPATH_PROPERTY + "=" + classPath,
                "-D" + NodeMain.RUN_DIRECTORY_PROPERTY + "=" + n.runDir(), "net.ipop.cli.IpopCommand"));
        command.addAll(List.of(args));
        Files.createDirectories(n.dir());
        Path out = Files.createTempFile(n.dir(), "cli-", ".out");
        Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(out.toFile()).start();
        if (!p.waitFor(seconds, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("ipop " + String.join(" ", args) + " on " + n.name() + " did not finish in "
                    + seconds + " s: " + Files.readString(out));
        }
        return new TestNamespace.Cmd.Result(p.exitValue(), Files.readString(out));
    }

    /** Starts the nodes in parallel; returns when the last {@code ipop up} returned (System.nanoTime). */
    static long upAll(ExecutorService pool, List<Member> nodes) throws Exception {
        List<Future<?>> ups = new ArrayList<>();
        for (Member n : nodes) {
            ups.add(pool.submit(() -> {
                TestNamespace.Cmd.Result r = ipop(n, 240, "up", "--config", n.config().toString());
                assertEquals(0, r.exitCode(), "ipop up " + n.name() + ": " + r.output() + log(n));
                return null;
            }));
        }
        for (Future<?> f : ups) {
            f.get(300, TimeUnit.SECONDS);
        }
        return System.nanoTime();
    }

    /** {@code ipop down}, which must succeed. */
    static void down(Member n) throws Exception {
        TestNamespace.Cmd.Result r = ipop(n, 240, "down", "--config", n.config().toString());
        assertEquals(0, r.exitCode(), r.output() + log(n));
    }

    /** {@link #down} for each node, in parallel; every one must succeed. */
    static void downEach(ExecutorService pool, List<Member> nodes) throws Exception {
        List<Future<?>> downs = new ArrayList<>();
        for (Member n : nodes) {
            downs.add(pool.submit(() -> {
                down(n);
                return null;
            }));
        }
        for (Future<?> f : downs) {
            f.get(300, TimeUnit.SECONDS);
        }
    }

    /**
     * Every unordered pair of {@code nodes} pings (one echo answered proves both directions), in parallel, each
     * retrying until {@code seconds}; returns when the last pair first succeeded (System.nanoTime). {@code all}
     * are the nodes whose logs a failure shows (their tails) and keeps ({@link #keepLogs}).
     */
    static long pingAllPairs(ExecutorService pool, List<Member> nodes, int seconds, List<Member> all)
            throws Exception {
        List<Future<Long>> pings = new ArrayList<>();
        List<String> pairs = new ArrayList<>();
        for (Member a : nodes) {
            for (Member b : nodes) {
                if (a.index() < b.index()) {
                    pairs.add(a.name() + " -> " + b.name());
                    pings.add(pool.submit(() -> {
                        long start = System.nanoTime();
                        long deadline = start + TimeUnit.SECONDS.toNanos(seconds);
                        int snapshots = 0;
                        while (a.ns().execAllowingFailure(10, "ping", "-c", "1", "-W", "2", b.address())
                                .exitCode() != 0) {
                            if (System.nanoTime() - deadline > 0) {
                                return -1L;
                            }
                            if (snapshots < STALL_SNAPSHOTS.length
                                    && System.nanoTime() - start > STALL_SNAPSHOTS[snapshots].toNanos()) {
                                keepStall(a, b, STALL_SNAPSHOTS[snapshots++], all);
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
            long t = pings.get(k).get(seconds + 60L, TimeUnit.SECONDS);
            if (t < 0) {
                failed.add(pairs.get(k));
            }
            last = Math.max(last, t);
        }
        if (!failed.isEmpty()) {
            keepLogs(all);
        }
        assertTrue(failed.isEmpty(), "no ping reply in " + seconds + " s: " + failed + logs(all));
        return last;
    }

    /** When a pair that still does not ping has the nodes' counters and logs kept ({@link #keepStall}). */
    private static final Duration[] STALL_SNAPSHOTS = {Duration.ofSeconds(20), Duration.ofSeconds(30)};

    /**
     * Keeps every node's counters ({@code ipop stats --json}) and whole log, and both ends' status, in
     * {@code target/topology-logs} while a pair stays unreachable: a pair that recovers later passes the test but
     * should leave evidence of why it was stuck (the drop reasons tell a missing session from failed
     * authentication or a wrong endpoint, and other nodes' totals show whether the trouble is the pair's alone).
     */
    private static void keepStall(Member a, Member b, Duration after, List<Member> all) throws Exception {
        Path dir = Files.createDirectories(Path.of("target", "topology-logs",
                "stall-" + a.name() + "-" + b.name() + "-" + after.toSeconds() + "s"));
        for (Member n : all) {
            Files.writeString(dir.resolve(n.name() + ".stats.json"),
                    ipop(n, 60, "stats", "--json", "--file", n.counters().toString()).output());
            if (n == a || n == b) {
                Files.writeString(dir.resolve(n.name() + ".status.json"),
                        ipop(n, 60, "status", "--json", "--config", n.config().toString()).output());
            }
            Path log = n.runDir().resolve(INTERFACE + ".log");
            if (Files.exists(log)) {
                Files.copy(log, dir.resolve(n.name() + ".log"), StandardCopyOption.REPLACE_EXISTING);
            }
        }
        System.out.println(a.name() + " -> " + b.name() + " still unreachable after " + after.toSeconds()
                + " s: counters, status and logs kept in " + dir.toAbsolutePath());
    }

    /**
     * Copies every node's whole log to {@code target/topology-logs} (a failure message has only their tails; the
     * temporary directory goes with the test).
     */
    static void keepLogs(List<Member> nodes) throws IOException {
        Path dir = Files.createDirectories(Path.of("target", "topology-logs"));
        for (Member n : nodes) {
            Path log = n.runDir().resolve(INTERFACE + ".log");
            if (Files.exists(log)) {
                Files.copy(log, dir.resolve(n.name() + ".log"), StandardCopyOption.REPLACE_EXISTING);
            }
        }
        System.out.println("node logs kept in " + dir.toAbsolutePath());
    }

    /** The peers of the node's status document (what {@code ipop status --json} prints). */
    static List<Map<?, ?>> peers(Member n) throws IOException {
        Path socket = StatusServer.socketFile(n.runDir(), INTERFACE);
        Map<?, ?> doc = (Map<?, ?>) JsonText.parse(StatusClient.ask(socket, "{\"request\":\"status\"}",
                STATUS_TIMEOUT));
        List<Map<?, ?>> peers = new ArrayList<>();
        for (Object o : (List<?>) doc.get("peers")) {
            peers.add((Map<?, ?>) o);
        }
        return peers;
    }

    /** The peer named {@code peer} in {@code n}'s status, or null while the node has not admitted it. */
    static Map<?, ?> peer(Member n, String peer) throws IOException {
        for (Map<?, ?> p : peers(n)) {
            if (peer.equals(p.get("name"))) {
                return p;
            }
        }
        return null;
    }

    /**
     * Asks {@code a} until its status shows {@code b} with this path and via ({@code null}: none), failing at
     * {@code deadlineNanos} with the logs of {@code all}.
     */
    static void awaitPath(Member a, Member b, String path, String via, long deadlineNanos, List<Member> all)
            throws Exception {
        while (true) {
            Object peer;
            try {
                Map<?, ?> p = peer(a, b.name());
                if (p != null && path.equals(p.get("path")) && Objects.equals(via, p.get("via"))) {
                    return;
                }
                peer = p;
            } catch (IOException e) {
                peer = "(no status: " + e + ")"; // a node slow to answer on a loaded machine: ask again
            }
            assertTrue(System.nanoTime() - deadlineNanos < 0, a.name() + " -> " + b.name() + ": " + peer
                    + " is not " + path + (via == null ? "" : " via " + via) + logs(all));
            Thread.sleep(250);
        }
    }

    /** Polls {@code a}'s status until its path to {@code b} is {@code wanted}; returns the last path seen. */
    static String waitForPath(Member a, Member b, String wanted, int seconds) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        String path = null;
        while (System.nanoTime() - deadline < 0) {
            try {
                Map<?, ?> peer = peer(a, b.name());
                path = peer == null ? "(not admitted)" : String.valueOf(peer.get("path"));
                if (wanted.equals(path)) {
                    return path;
                }
            } catch (IOException e) {
                path = "(no status: " + e + ")";
            }
            Thread.sleep(200);
        }
        return path;
    }

    /**
     * The pairs (lower index first) the planner gives no direct link among {@code members}, as every node
     * computes it.
     */
    static List<List<Member>> unlinkedPairs(TopologyPlanner planner, List<Member> members) {
        List<String> ids = members.stream().map(Member::memberId).toList();
        List<List<Member>> unlinked = new ArrayList<>();
        for (Member a : members) {
            Plan p = planner.plan(ids, a.memberId());
            for (Member b : members) {
                if (a.index() < b.index() && !p.links().contains(b.memberId())) {
                    unlinked.add(List.of(a, b));
                }
            }
        }
        return unlinked;
    }

    static Member byId(List<Member> members, String memberId) {
        return members.stream().filter(n -> n.memberId().equals(memberId)).findFirst().orElseThrow();
    }

    /** Packets the node's data plane relayed from one peer to another so far. */
    static long forwarded(Member n) throws IOException {
        return CountersFileReader.open(n.counters()).snapshot(System.currentTimeMillis()).globals()
                .getOrDefault(GlobalCounter.FORWARDED, 0L);
    }

    /**
     * What {@link #onDemand} measured.
     *
     * @param toDirectMs   from the start of iperf3 until {@code a}'s status showed the path direct
     * @param backMs       from iperf3's end until it showed it forwarded again
     * @param pingsSent    echo requests between the first and the last reply
     * @param congestedLost of those, unanswered and sent before the link was up (the relay carrying iperf3)
     * @param pingsLost    unanswered and sent once the link was up: across both path changes
     */
    record OnDemand(long toDirectMs, long backMs, int pingsSent, int congestedLost, int pingsLost) {
    }

    /** The ping interval of {@link #onDemand} ({@code -i 0.2}). */
    private static final int PING_INTERVAL_MS = 200;
    private static final String LINK_UP = "up: routing to it directly";

    /**
     * An on-demand link between the forwarded pair {@code a} -> {@code b}, whose nodes run with
     * {@code onDemandThresholdBytes} of at most 1/5 of 8 Mbit/s per 1 s interval and {@code onDemandIdleMs} of
     * {@code idleMs}: iperf3 (UDP at 8 Mbit/s for {@code iperfSeconds}; the far end sends nearly nothing back, so
     * its own traffic stays far below the threshold) makes {@code a}'s path to {@code b} go from
     * {@code forwarded} to {@code direct}; once the traffic stops and the idle time passes, the link is torn down
     * and the path is {@code forwarded} again, not before. A ping every 200 ms runs across both changes: of those
     * sent once the link was up (the time {@code a} logged it), at most four go unanswered (a path change that
     * drops packets loses a second's worth or more); those sent before may be lost to the relay that carries
     * iperf3 on a loaded machine, which is what the link is for. The logs of both ends name the link's life.
     */
    static OnDemand onDemand(ExecutorService pool, Member a, Member b, int iperfSeconds, int idleMs,
                             List<Member> all) throws Exception {
        assertEquals("forwarded", waitForPath(a, b, "forwarded", 60), "the planned path" + logs(all));
        long toDirect;
        long back;
        try (PingProbe ping = PingProbe.start(a.ns(), b.address(), "0.2")) {
            ping.awaitReplies(1, 30);
            Process server = b.ns().start("iperf3", "-s", "-1", "-B", b.address(), "-p", "5201");
            try {
                Thread.sleep(500);
                long started = System.nanoTime();
                Future<TestNamespace.Cmd.Result> iperf = pool.submit(() -> a.ns().execAllowingFailure(
                        iperfSeconds + 60, "iperf3", "-c", b.address(), "-p", "5201", "-u", "-b", "8M", "-t",
                        String.valueOf(iperfSeconds)));
                String direct = waitForPath(a, b, "direct", iperfSeconds + 30);
                toDirect = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
                assertEquals("direct", direct, "8 Mbit/s (5 times the threshold) for " + iperfSeconds
                        + " s did not link " + a.name() + " to " + b.name() + logs(all));
                TestNamespace.Cmd.Result client = iperf.get(iperfSeconds + 90L, TimeUnit.SECONDS);
                assertEquals(0, client.exitCode(), "iperf3: " + client.output());
            } finally {
                server.destroyForcibly();
                server.waitFor(10, TimeUnit.SECONDS);
            }
            long stopped = System.nanoTime();
            String path = waitForPath(a, b, "forwarded", 60);
            back = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - stopped);
            assertEquals("forwarded", path, "the idle link was not torn down" + logs(all));
            // The last report over the threshold may precede iperf3's end by an interval (1 s) and more on a
            // loaded machine: the bound is the idle time less two seconds.
            assertTrue(back >= idleMs - 2_000, "torn down " + back + " ms after the traffic stopped, before the"
                    + " idle time " + idleMs + " ms");
            int seen = ping.replies();
            ping.awaitReplies(seen + 5, 30); // replies over the planned path again
            String aLog = fullLog(a);
            assertTrue(aLog.contains("on-demand link to") && aLog.contains(LINK_UP),
                    "no on-demand link in the log" + log(a));
            assertTrue(aLog.contains("back to the planned path"), log(a));
            assertTrue(fullLog(b).contains("linked to us on demand"), log(b));
            String upLine = aLog.lines().filter(l -> l.contains(LINK_UP)).reduce((x, y) -> y).orElseThrow();
            long upEpochMs = Instant.parse(upLine.substring(0, upLine.indexOf(' '))).toEpochMilli();
            PingProbe.Outcome o = ping.outcome(0);
            int lost = ping.lostSentAtOrAfter(upEpochMs, PING_INTERVAL_MS);
            assertTrue(lost <= 4, "pings sent once the link was up lost across the path changes: " + lost + " of "
                    + o.requests() + " (" + o.lost() + " in all); replies: " + ping.sample(200) + "\n"
                    + ping.output() + logs(all));
            return new OnDemand(toDirect, back, o.requests(), o.lost() - lost, lost);
        }
    }

    /**
     * Cleanup of every node at once, never throwing: what {@code ipop down} does without a CLI JVM per node (on a
     * loaded machine nine of those took a minute and more). Each node still running gets SIGTERM (it stops its data
     * plane and leaves its rooms), then up to 30 s; a node or data plane still there after that is killed. Then
     * the Aeron directories go.
     */
    static void downAll(List<Member> nodes) {
        List<ProcessHandle> signalled = new ArrayList<>();
        for (Member n : nodes) {
            pidIn(n.runDir().resolve(INTERFACE + ".pid")).ifPresent(h -> {
                h.destroy();
                signalled.add(h);
            });
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        for (ProcessHandle h : signalled) {
            try {
                h.onExit().get(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            } catch (Exception e) {
                System.out.println("node pid " + h.pid() + " did not stop in 30 s; killing it: " + e);
                h.destroyForcibly();
            }
        }
        for (Member n : nodes) {
            pidIn(n.runDir().resolve(INTERFACE + ".dataplane.pid")).ifPresent(ProcessHandle::destroyForcibly);
            try {
                if (Files.exists(n.aeronDir())) {
                    try (var walk = Files.walk(n.aeronDir())) {
                        for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                            Files.deleteIfExists(p);
                        }
                    }
                }
            } catch (IOException e) {
                System.out.println("removing " + n.aeronDir() + ": " + e);
            }
        }
    }

    /** The live process whose pid {@code file} holds, if any. */
    private static Optional<ProcessHandle> pidIn(Path file) {
        try {
            return Files.exists(file) ? ProcessHandle.of(Long.parseLong(Files.readString(file).strip()))
                    : Optional.empty();
        } catch (IOException | NumberFormatException e) {
            return Optional.empty();
        }
    }

    /** The node's whole log ("" if it has none yet). */
    static String fullLog(Member n) throws IOException {
        Path file = n.runDir().resolve(INTERFACE + ".log");
        return Files.exists(file) ? Files.readString(file) : "";
    }

    /** The tail of the node's log, for failure messages. */
    static String log(Member n) {
        try {
            String text = Files.readString(n.runDir().resolve(INTERFACE + ".log"));
            return "\nlog of " + n.name() + ":\n" + text.substring(Math.max(0, text.length() - 8000));
        } catch (IOException e) {
            return "\n(no log of " + n.name() + ": " + e + ")";
        }
    }

    static String logs(List<Member> nodes) {
        StringBuilder sb = new StringBuilder();
        for (Member n : nodes) {
            sb.append(log(n));
        }
        return sb.toString();
    }
}
