package net.ipop.control.ipc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import net.ipop.ffm.testing.Privileged;
import net.ipop.ffm.testing.TestNamespace;
import net.ipop.ipc.counters.CountersFileReader;
import net.ipop.ipc.counters.CountersSnapshot;
import net.ipop.ipc.counters.DropReason;
import net.ipop.ipc.counters.GlobalCounter;
import net.ipop.ipc.counters.PeerTotals;
import net.ipop.ipc.sbe.PathKind;
import net.ipop.ipc.sbe.Result;
import net.ipop.ipc.sbe.Suite;

/**
 * Two data plane processes ({@code net.ipop.dataplane.DataPlaneMain}), one per namespace, joined by a veth
 * pair, configured from this JVM through {@link DataPlaneConnection} with static matching keys: ping crosses
 * the encrypted tunnel in both families, the responder's data plane reports its session CONFIRMED over Aeron,
 * QueryState and the counters file show the traffic, SIGTERM leaves nothing behind, and a data plane killed
 * with SIGKILL and started again carries traffic once its commands are re-sent.
 */
@Privileged
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class DataPlaneTunnelTest {
    private static final Duration ANSWER = Duration.ofSeconds(10);
    private static final String UNDERLAY_A = "198.51.100.1";
    private static final String UNDERLAY_B = "198.51.100.2";
    private static final int PORT = 51820;
    private static final String DATA_PLANE_MAIN = "net.ipop.dataplane.DataPlaneMain";
    /** Inner packets and bytes one way: two rounds of 3 IPv4 pings (84 bytes) and one of 3 IPv6 (104 bytes). */
    private static final long ECHO_PACKETS = 9;
    private static final long ECHO_BYTES = 6 * 84 + 3 * 104;
    private static final Pattern RTT = Pattern.compile("rtt min/avg/max/mdev = [0-9.]+/([0-9.]+)/");

    @TempDir
    Path temp;

    /** The keys and indices a handshake would have produced: A's send key is B's receive key. */
    private record Keys(byte[] aToB, byte[] bToA, int indexA, int indexB) {
        static Keys random() {
            SecureRandom r = new SecureRandom();
            byte[] ab = new byte[32];
            byte[] ba = new byte[32];
            r.nextBytes(ab);
            r.nextBytes(ba);
            int a = r.nextInt(1, Integer.MAX_VALUE);
            int b = r.nextInt(1, Integer.MAX_VALUE);
            return new Keys(ab, ba, a, b == a ? a + 1 : b);
        }
    }

    @Test
    void pingCrossesTheTunnelBetweenTwoProcessesAndACleanStopLeavesNothing() throws Exception {
        Keys keys = Keys.random();
        try (TestNamespace nsA = TestNamespace.create("dma");
                TestNamespace nsB = TestNamespace.create("dmb")) {
            underlay(nsA, nsB);
            try (Node a = new Node(nsA, "a", UNDERLAY_A, temp);
                    Node b = new Node(nsB, "b", UNDERLAY_B, temp)) {
                a.configure(true, keys);
                b.configure(false, keys);
                Reply routed = a.connection.call(p -> p.addRoute(InetAddress.ofLiteral("203.0.113.0"), 24, 2), ANSWER);
                assertEquals(Result.OK, routed.result(), routed.detail());
                String kernelRoute = nsA.exec("ip", "route", "show", "203.0.113.0/24");
                assertTrue(kernelRoute.contains("dev ipop0"), "kernel route: " + kernelRoute);
                double rttMs = ping(nsA, "192.0.2.2");
                ping(nsA, "2001:db8::2");
                double underlayMs = ping(nsA, UNDERLAY_B);
                double warmMs = ping(nsA, "192.0.2.2");
                System.out.println("ping over the data plane processes: avg rtt " + rttMs + " ms cold, " + warmMs
                        + " ms on the second round (underlay " + underlayMs + " ms)");

                // B holds the responder's keys: A's first data packet confirmed them, and B's data plane says so
                // to its control plane over Aeron. A initiated, so its keys need no confirmation.
                RecordingEvents sessionEvents = new RecordingEvents();
                String confirmed = "SessionEvent 1 local " + Integer.toUnsignedLong(keys.indexB()) + " CONFIRMED";
                long confirmDeadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                while (!sessionEvents.events.contains(confirmed)) {
                    assertTrue(System.nanoTime() - confirmDeadline < 0, "no '" + confirmed + "' from B's data plane: "
                            + sessionEvents.events);
                    if (b.connection.pollEvents(sessionEvents, 10) == 0) {
                        Thread.sleep(1);
                    }
                }
                RecordingEvents eventsOfA = new RecordingEvents();
                a.connection.pollEvents(eventsOfA, 10);
                assertEquals(List.of(), eventsOfA.events, "A's data plane sent events");
                assertEquals(List.of(confirmed), sessionEvents.events, "B's data plane sent other events");

                // Idle, nothing may spin: the conductor parks, pipelines block in poll, the driver backs off.
                Duration cpuBefore = a.cpu().plus(b.cpu());
                Thread.sleep(1000);
                long idleCpuMs = a.cpu().plus(b.cpu()).minus(cpuBefore).toMillis();
                System.out.println("two idle data plane processes used " + idleCpuMs + " ms CPU in 1 s");
                assertTrue(idleCpuMs < 300, "two idle data planes used " + idleCpuMs + " ms CPU in 1 s");

                // A handshake message injected by B's control plane leaves B's socket and is punted by A's
                // pipeline to A's control plane, with B's socket as its source.
                byte[] handshake = new byte[148];
                handshake[0] = 1; // WireGuard handshake initiation, type 1 little-endian
                handshake[147] = 0x5a;
                Reply injected = b.connection.call(p -> p.injectPacket(new InetSocketAddress(UNDERLAY_A, PORT),
                        new UnsafeBuffer(handshake), 0, handshake.length), ANSWER);
                assertEquals(Result.OK, injected.result(), injected.detail());
                RecordingEvents punts = new RecordingEvents();
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                while (punts.events.stream().noneMatch(e -> e.startsWith("PuntedPacket"))) {
                    assertTrue(System.nanoTime() - deadline < 0, "no punt reached A's control plane");
                    if (a.connection.pollEvents(punts, 10) == 0) {
                        Thread.sleep(1);
                    }
                }
                String punt = punts.events.stream().filter(e -> e.startsWith("PuntedPacket")).findFirst().orElseThrow();
                assertTrue(punt.contains("from IPV4 " + UNDERLAY_B + " port " + PORT + " to " + PORT + " payload "), punt);

                RecordingEvents states = new RecordingEvents();
                Reply q = a.connection.call(p -> p.queryState(), ANSWER, states);
                assertEquals(Result.OK, q.result(), q.detail());
                String peerState = states.events.stream().filter(e -> e.startsWith("PeerState")).findFirst()
                        .orElseThrow(() -> new AssertionError("no PeerState: " + states.events));
                Matcher m = Pattern.compile("tx (\\d+)/(\\d+) rx (\\d+)/(\\d+)").matcher(peerState);
                assertTrue(m.find(), peerState);
                // 3 + 3 IPv4 echo requests of 84 bytes, 3 IPv6 ones of 104 bytes; as many replies.
                assertEquals(ECHO_PACKETS, Long.parseLong(m.group(2)), peerState);
                assertEquals(ECHO_BYTES, Long.parseLong(m.group(1)), peerState);
                assertEquals(ECHO_PACKETS, Long.parseLong(m.group(4)), peerState);
                assertEquals(ECHO_BYTES, Long.parseLong(m.group(3)), peerState);
                assertTrue(peerState.contains("session " + Integer.toUnsignedLong(keys.indexA())), peerState);
                assertTrue(states.events.stream().anyMatch(e -> e.startsWith("StateDone") && e.endsWith("peers 1")),
                        states.events.toString());

                CountersSnapshot snapshot = CountersFileReader.open(a.counters).snapshot(System.currentTimeMillis());
                assertEquals(1, snapshot.peers().size(), snapshot.toString());
                PeerTotals totals = snapshot.peers().get(0);
                assertEquals(2, totals.peerId());
                assertEquals(ECHO_PACKETS, totals.txPackets(), snapshot.toString());
                assertEquals(ECHO_PACKETS, totals.rxPackets(), snapshot.toString());
                assertEquals(ECHO_BYTES, totals.txBytes(), snapshot.toString());
                assertEquals(ECHO_BYTES, totals.rxBytes(), snapshot.toString());
                assertEquals(1, snapshot.globals().get(GlobalCounter.PUNTED), snapshot.toString());

                // A datagram of no known type is dropped by A's pipeline and shows as a MALFORMED drop.
                byte[] junk = {0x63, 0, 0, 0, 1, 2, 3, 4};
                Reply sentJunk = b.connection.call(p -> p.injectPacket(new InetSocketAddress(UNDERLAY_A, PORT),
                        new UnsafeBuffer(junk), 0, junk.length), ANSWER);
                assertEquals(Result.OK, sentJunk.result(), sentJunk.detail());
                long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                while (CountersFileReader.open(a.counters).snapshot(System.currentTimeMillis()).drops()
                        .get(DropReason.MALFORMED) < 1) {
                    assertTrue(System.nanoTime() - until < 0, "the junk datagram was not counted as malformed");
                    Thread.sleep(10);
                }
                assertEquals(1, CountersFileReader.open(a.counters).snapshot(System.currentTimeMillis()).drops()
                        .get(DropReason.MALFORMED));

                a.stopCleanly();
                b.stopCleanly();
            }
        }
    }

    @Test
    void anUnconfiguredDataPlaneStopsCleanlyToo() throws Exception {
        try (TestNamespace nsA = TestNamespace.create("dta")) {
            try (Node a = new Node(nsA, "a", "127.0.0.1", temp)) {
                a.stopCleanly();
            }
        }
    }

    @Test
    void aDataPlaneKilledAndRestartedCarriesTrafficOnceItsCommandsAreResent() throws Exception {
        Keys keys = Keys.random();
        try (TestNamespace nsA = TestNamespace.create("dra");
                TestNamespace nsB = TestNamespace.create("drb")) {
            underlay(nsA, nsB);
            try (Node a = new Node(nsA, "a", UNDERLAY_A, temp)) {
                a.configure(true, keys);
                try (Node b = new Node(nsB, "b", UNDERLAY_B, temp)) {
                    b.configure(false, keys);
                    ping(nsA, "192.0.2.2");
                    b.kill();
                }
                // The killed process left its driver directory and counters file (its TUN went with its fds); the
                // new one takes them over. A restarted sealer would count from zero again, so re-sending the old
                // keys would reuse nonces (and A would drop the datagrams as replays): as after any restart, the
                // control plane hands both sides the keys of a fresh handshake, a rekey for A.
                Keys fresh = Keys.random();
                try (Node b = new Node(nsB, "b", UNDERLAY_B, temp)) {
                    b.configure(false, fresh);
                    a.installSession(true, fresh);
                    ping(nsA, "192.0.2.2");
                    ping(nsA, "2001:db8::2");
                    b.stopCleanly();
                }
                a.stopCleanly();
            }
        }
    }

    @Test
    @Timeout(120)
    void twoQueuesASideCarryManyFlowsWithoutReplayDrops() throws Exception {
        Keys keys = Keys.random();
        try (TestNamespace nsA = TestNamespace.create("dqa");
                TestNamespace nsB = TestNamespace.create("dqb")) {
            underlay(nsA, nsB);
            try (Node a = new Node(nsA, "a", UNDERLAY_A, temp, 2);
                    Node b = new Node(nsB, "b", UNDERLAY_B, temp, 2)) {
                a.configure(true, keys);
                b.configure(false, keys);
                assertTrue(a.allOutput.stream().anyMatch(l -> l.contains("queues 2")), a.allOutput.toString());
                String queues = nsA.exec("ls", "/sys/class/net/ipop0/queues");
                assertTrue(queues.contains("tx-1"), "TUN queues: " + queues);
                ping(nsA, "192.0.2.2");
                // Eight flows: the kernel spreads their first packets over both TUN queues by hash (then moves each
                // to queue 0, where B's replies are written), so both of A's pipelines seal for the one peer with the
                // session's shared counter; B must accept every datagram.
                iperf3(nsA, nsB, "-P", "8");
                CountersSnapshot atB = CountersFileReader.open(b.counters).snapshot(System.currentTimeMillis());
                assertEquals(0, atB.drops().get(DropReason.REPLAY), atB.toString());
                assertEquals(0, atB.drops().get(DropReason.AUTH_FAILED), atB.toString());
                assertTrue(atB.peers().get(0).rxPackets() > 1_000, atB.toString());
                // Both sealing threads of A worked (pipeline threads are named for their queue).
                assertTrue(threadCpuMs(a, "pipeline-1") > 0, "pipeline-1 of A did nothing");
                a.stopCleanly();
                b.stopCleanly();
            }
        }
    }

    @Test
    @Timeout(120)
    void withoutIoUringAndOffloadsPacketsMoveOneByOneAndStillCarryPingAndTcp() throws Exception {
        Keys keys = Keys.random();
        try (TestNamespace nsA = TestNamespace.create("dpa");
                TestNamespace nsB = TestNamespace.create("dpb")) {
            underlay(nsA, nsB);
            try (Node a = new Node(nsA, "a", UNDERLAY_A, temp, 1, "--io-uring", "false", "--offloads", "false");
                    Node b = new Node(nsB, "b", UNDERLAY_B, temp, 1)) {
                a.configure(true, keys);
                b.configure(false, keys);
                assertTrue(a.allOutput.stream().anyMatch(l -> l.contains("io_uring false, offloads false")),
                        a.allOutput.toString());
                // IFF_VNET_HDR (0x4000) is what the offloads hang on; A's device has none, B's (the default) has.
                assertEquals(0, tunFlags(nsA) & IFF_VNET_HDR, "A's TUN flags");
                assertEquals(IFF_VNET_HDR, tunFlags(nsB) & IFF_VNET_HDR, "B's TUN flags");
                assertEquals(0, ioUrings(a), "A holds an io_uring");
                assertTrue(ioUrings(b) > 0, "B holds no io_uring");
                ping(nsA, "192.0.2.2");
                iperf3(nsA, nsB);
                CountersSnapshot atB = CountersFileReader.open(b.counters).snapshot(System.currentTimeMillis());
                assertEquals(0, atB.drops().get(DropReason.AUTH_FAILED), atB.toString());
                assertEquals(0, atB.drops().get(DropReason.MALFORMED), atB.toString());
                // Without TSO every TUN read at A is one packet, sealed into one datagram: at least as many reads
                // as datagrams sent, but for the few keepalives (with offloads, one read is a 64 KiB super-packet).
                CountersSnapshot atA = CountersFileReader.open(a.counters).snapshot(System.currentTimeMillis());
                long sent = atA.peers().get(0).txPackets();
                assertTrue(sent > 1_000, atA.toString());
                assertTrue(atA.globals().get(GlobalCounter.TUN_READS) + 16 >= sent, atA.toString());
                a.stopCleanly();
                b.stopCleanly();
            }
        }
    }

    /** A 2 s iperf3 TCP run from A to B's overlay address (more client options after the defaults); must succeed. */
    private static void iperf3(TestNamespace nsA, TestNamespace nsB, String... options) throws Exception {
        Process server = nsB.start("iperf3", "-s", "-1", "-B", "192.0.2.2");
        try {
            List<String> client = new ArrayList<>(List.of("iperf3", "-c", "192.0.2.2", "-t", "2", "-f", "m"));
            client.addAll(List.of(options));
            TestNamespace.Cmd.Result r = null;
            for (int attempt = 0; attempt < 20; attempt++) {
                r = nsA.execAllowingFailure(30, client.toArray(String[]::new));
                if (r.exitCode() == 0 || !r.output().contains("Connection refused")) {
                    break;
                }
                Thread.sleep(100);
            }
            assertEquals(0, r.exitCode(), r.output());
            assertTrue(r.output().contains("receiver"), r.output());
            assertTrue(server.waitFor(20, TimeUnit.SECONDS), "iperf3 server did not finish");
        } finally {
            server.destroyForcibly();
        }
    }

    private static final int IFF_VNET_HDR = 0x4000;

    private static int tunFlags(TestNamespace ns) throws IOException {
        return Integer.decode(ns.exec("cat", "/sys/class/net/ipop0/tun_flags").trim());
    }

    /** io_uring instances the data plane process holds open. */
    private static long ioUrings(Node node) throws IOException {
        long n = 0;
        try (var fds = Files.list(Path.of("/proc", Long.toString(node.process.pid()), "fd"))) {
            for (Path fd : fds.toList()) {
                try {
                    if (Files.readSymbolicLink(fd).toString().contains("io_uring")) {
                        n++;
                    }
                } catch (IOException e) {
                    // closed meanwhile
                }
            }
        }
        return n;
    }

    /** CPU milliseconds the data plane's thread named {@code name} used, from /proc (0 if none). */
    private static long threadCpuMs(Node node, String name) throws IOException {
        long ticks = 0;
        try (var tasks = Files.list(Path.of("/proc", Long.toString(node.process.pid()), "task"))) {
            for (Path task : tasks.toList()) {
                if (Files.readString(task.resolve("comm")).trim().equals(name)) {
                    String[] f = Files.readString(task.resolve("stat")).split("\\) ", 2)[1].split(" ");
                    ticks += Long.parseLong(f[11]) + Long.parseLong(f[12]);
                }
            }
        }
        return ticks * 10;
    }

    private static void underlay(TestNamespace a, TestNamespace b) throws IOException {
        a.exec("ip", "link", "add", "veth-a", "type", "veth", "peer", "name", "veth-b", "netns", b.name());
        a.exec("ip", "addr", "add", UNDERLAY_A + "/24", "dev", "veth-a");
        b.exec("ip", "addr", "add", UNDERLAY_B + "/24", "dev", "veth-b");
        a.exec("ip", "link", "set", "veth-a", "up");
        b.exec("ip", "link", "set", "veth-b", "up");
    }

    /** Pings 3 times (must all come back) and returns the average RTT in ms. */
    private static double ping(TestNamespace ns, String target) throws IOException {
        TestNamespace.Cmd.Result r = ns.execAllowingFailure(20, "ping", "-c", "3", "-i", "0.2", "-W", "2", target);
        assertEquals(0, r.exitCode(), "ping " + target + ":\n" + r.output());
        assertTrue(r.output().contains("3 received"), r.output());
        Matcher m = RTT.matcher(r.output());
        assertTrue(m.find(), r.output());
        return Double.parseDouble(m.group(1));
    }

    /** One data plane process in a namespace, and this JVM's connection to it. */
    private static final class Node implements AutoCloseable {
        final String name;
        final TestNamespace ns;
        final Path aeronDir;
        final Path counters;
        final Process process;
        final BlockingQueue<String> output = new LinkedBlockingQueue<>();
        final List<String> allOutput = new ArrayList<>();
        final Thread reader;
        DataPlaneConnection connection;

        Node(TestNamespace ns, String name, String underlay, Path temp) throws Exception {
            this(ns, name, underlay, temp, 1);
        }

        Node(TestNamespace ns, String name, String underlay, Path temp, int queues, String... options)
                throws Exception {
            this.name = name;
            this.ns = ns;
            this.aeronDir = Path.of("/dev/shm", "ipopt-" + ns.name() + "-" + name);
            this.counters = temp.resolve(name + ".counters");
            List<String> command = new ArrayList<>();
            command.add(ProcessHandle.current().info().command().orElseThrow());
            command.addAll(List.of("--enable-native-access=ALL-UNNAMED",
                    "--add-exports", "java.base/jdk.internal.misc=ALL-UNNAMED",
                    "--sun-misc-unsafe-memory-access=allow",
                    "-cp", System.getProperty("java.class.path"), DATA_PLANE_MAIN,
                    "--interface", "ipop0", "--listen", underlay + ":" + PORT, "--queues", Integer.toString(queues),
                    "--aeron-dir", aeronDir.toString(), "--counters", counters.toString()));
            command.addAll(List.of(options));
            process = ns.start(command.toArray(String[]::new));
            reader = new Thread(() -> {
                try (BufferedReader in = new BufferedReader(
                        new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                    for (String line = in.readLine(); line != null; line = in.readLine()) {
                        output.add(line);
                    }
                } catch (IOException ignored) {
                    // The process is gone.
                }
            }, "dataplane-" + name + "-output");
            reader.setDaemon(true);
            reader.start();
            try {
                awaitLine("ipop-dataplane: started");
                connection = DataPlaneConnection.connect(aeronDir, Duration.ofSeconds(10));
            } catch (Exception | Error e) {
                close();
                throw e;
            }
        }

        private void awaitLine(String prefix) throws InterruptedException {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (true) {
                String line = output.poll(100, TimeUnit.MILLISECONDS);
                if (line != null) {
                    allOutput.add(line);
                    if (line.contains(prefix)) { // after the time stamp
                        return;
                    }
                }
                assertTrue(System.nanoTime() - deadline < 0 && (line != null || process.isAlive()),
                        "data plane " + name + " printed no '" + prefix + "': " + allOutput);
            }
        }

        /** Sends this side's commands; {@code isA} is overlay .1 with peer 2, else .2 with peer 1. */
        void configure(boolean isA, Keys keys) throws IOException {
            String self = isA ? "1" : "2";
            String other = isA ? "2" : "1";
            long peerId = isA ? 2 : 1;
            InetAddress v4 = InetAddress.getByName("192.0.2." + self);
            InetAddress v6 = InetAddress.getByName("2001:db8::" + self);
            ok(connection.call(p -> p.configureInterface(1420,
                    List.of(new OverlayAddress(v4, 24), new OverlayAddress(v6, 64))), ANSWER));
            ok(connection.call(p -> p.addPeer(peerId, Suite.AES256GCM, 0, new byte[32], isA ? "b" : "a"), ANSWER));
            InetSocketAddress endpoint = new InetSocketAddress(isA ? UNDERLAY_B : UNDERLAY_A, PORT);
            ok(connection.call(p -> p.setEndpoint(peerId, endpoint, PathKind.DIRECT), ANSWER));
            InetAddress otherV4 = InetAddress.getByName("192.0.2." + other);
            InetAddress otherV6 = InetAddress.getByName("2001:db8::" + other);
            ok(connection.call(p -> p.addRoute(otherV4, 32, peerId), ANSWER));
            ok(connection.call(p -> p.addRoute(otherV6, 128, peerId), ANSWER));
            installSession(isA, keys);
        }

        /** Installs this side's session of {@code keys}. */
        void installSession(boolean isA, Keys keys) {
            long peerId = isA ? 2 : 1;
            long local = Integer.toUnsignedLong(isA ? keys.indexA() : keys.indexB());
            long remote = Integer.toUnsignedLong(isA ? keys.indexB() : keys.indexA());
            byte[] send = isA ? keys.aToB() : keys.bToA();
            byte[] receive = isA ? keys.bToA() : keys.aToB();
            ok(connection.call(p -> p.installSession(peerId, local, remote, Suite.AES256GCM, isA, System.nanoTime(),
                    send, receive), ANSWER));
        }

        /** CPU time the process has used so far. */
        Duration cpu() {
            return process.toHandle().info().totalCpuDuration().orElseThrow();
        }

        private void ok(Reply reply) {
            assertEquals(Result.OK, reply.result(), name + ": " + reply.detail());
        }

        /** SIGTERM: exits 0 and removes its driver directory, counters file and TUN device. */
        void stopCleanly() throws Exception {
            connection.close();
            connection = null;
            // Through the handle: Process.destroy() would also close our end of its output, losing the last lines.
            assertTrue(process.toHandle().destroy(), "could not signal " + name);
            assertTrue(process.waitFor(30, TimeUnit.SECONDS), "data plane " + name + " ignored SIGTERM");
            reader.join(TimeUnit.SECONDS.toMillis(10));
            drainRest();
            assertEquals(0, process.exitValue(), "exit code of " + name + ": " + allOutput);
            assertTrue(allOutput.stream().anyMatch(l -> l.contains("stopped")), allOutput.toString());
            assertFalse(Files.exists(aeronDir), "left behind: " + aeronDir);
            assertFalse(Files.exists(counters), "left behind: " + counters);
            assertFalse(process.toHandle().isAlive());
            assertEquals("", TestNamespace.Cmd.run("ip", "netns", "pids", ns.name()).strip(), "processes left in " + ns.name());
            TestNamespace.Cmd.Result link = ns.execAllowingFailure(5, "ip", "link", "show", "ipop0");
            assertTrue(link.exitCode() != 0, "TUN device left behind: " + link.output());
        }

        /** SIGKILL: nothing is cleaned up by the process. */
        void kill() throws Exception {
            connection.close();
            connection = null;
            process.destroyForcibly();
            assertTrue(process.waitFor(10, TimeUnit.SECONDS), "data plane " + name + " survived SIGKILL");
        }

        private void drainRest() {
            output.drainTo(allOutput);
        }

        @Override
        public void close() throws IOException {
            if (connection != null) {
                connection.close();
            }
            process.destroyForcibly();
            try {
                process.waitFor(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            if (Files.exists(aeronDir)) {
                try (var walk = Files.walk(aeronDir)) {
                    for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
                        Files.deleteIfExists(p);
                    }
                }
            }
            Files.deleteIfExists(counters);
        }
    }
}
