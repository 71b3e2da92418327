package net.ipop.dataplane.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import net.ipop.ffm.testing.Privileged;
import net.ipop.ffm.testing.TestNamespace;

/**
 * Two data planes that can reach each other only through coturn, each through its own TURN allocation
 * and channel, so every datagram either sends is ChannelData to the server and every one it receives is
 * ChannelData from it:
 * <pre>
 *  A 203.0.113.1/30 ── 203.0.113.2 [turn: coturn on 203.0.113.100, no forwarding] 203.0.113.6 ── 203.0.113.5/30 B
 * </pre>
 * The allocations and channels are set up by {@link TestTurnClient} from the data planes' own address and
 * port before the data planes bind it (the control plane's ice4j does this in the product); the data planes
 * are then given the TURN server, the channel and the peer's relayed address, as SetEndpoint does.
 */
@Privileged
class RelayTunnelTest {
    private static final String A = "203.0.113.1";
    private static final String B = "203.0.113.5";
    private static final InetSocketAddress TURN = new InetSocketAddress("203.0.113.100", 3478);
    private static final int CHANNEL_A = 0x4001;
    private static final int CHANNEL_B = 0x4ABC;
    private static final String USER = "ipop";

    @ParameterizedTest
    @EnumSource(TunnelNode.Engine.class)
    @Timeout(120)
    void pingAndTcpCrossTwoDataPlanesThroughCoturnAsChannelData(TunnelNode.Engine engine) throws Exception {
        byte[] r = new byte[12];
        new SecureRandom().nextBytes(r);
        String password = HexFormat.of().formatHex(r);
        Path dir = Files.createTempDirectory("ipop-relay-");
        Process turnserver = null;
        try (TestNamespace turn = TestNamespace.create("turn");
             TestNamespace nsA = TestNamespace.create("rla");
             TestNamespace nsB = TestNamespace.create("rlb")) {
            link(turn, "ta", nsA, A, "203.0.113.2", 30);
            link(turn, "tb", nsB, B, "203.0.113.6", 30);
            turn.exec("sysctl", "-qw", "net.ipv4.ip_forward=0");
            // The server's own address, reached from both sides (a dummy device would need a module we lack).
            turn.exec("ip", "link", "set", "lo", "up");
            turn.exec("ip", "addr", "add", TURN.getHostString() + "/32", "dev", "lo");
            turnserver = startCoturn(turn, dir, password);
            TestNamespace.Cmd.Result direct = nsA.execAllowingFailure(10, "ping", "-c", "1", "-W", "1", B);
            assertNotEquals(0, direct.exitCode(), "A reaches B without the relay:\n" + direct.output());

            InetSocketAddress relayedA;
            InetSocketAddress relayedB;
            try (DatagramSocket sa = nsA.call(() -> new DatagramSocket(new InetSocketAddress(A, TunnelNode.PORT)));
                 DatagramSocket sb = nsB.call(() -> new DatagramSocket(new InetSocketAddress(B, TunnelNode.PORT)))) {
                TestTurnClient clientA = new TestTurnClient(sa, TURN, USER, password);
                TestTurnClient clientB = new TestTurnClient(sb, TURN, USER, password);
                relayedA = clientA.allocate();
                relayedB = clientB.allocate();
                clientA.bindChannel(CHANNEL_A, relayedB);
                clientB.bindChannel(CHANNEL_B, relayedA);
            }
            try (TunnelNode a = new TunnelNode(nsA, engine, true, A, relayedB,
                    new TunnelNode.Relay(TURN, CHANNEL_A), TunnelNode.MTU, TunnelNode.MTU);
                 TunnelNode b = new TunnelNode(nsB, engine, false, B, relayedA,
                         new TunnelNode.Relay(TURN, CHANNEL_B), TunnelNode.MTU, TunnelNode.MTU)) {
                TestNamespace.Cmd.Result ping = nsA.execAllowingFailure(30, "ping", "-c", "5", "-i", "0.2", "-W", "5",
                        "192.0.2.2");
                String failure = ping.output() + "\ncoturn log:\n" + tail(dir.resolve("turnserver.log"));
                assertTrue(ping.output().contains("5 received"), failure);
                Process server = nsB.start("iperf3", "-s", "-1", "-B", "192.0.2.2");
                TestNamespace.Cmd.Result iperf;
                try {
                    iperf = iperfClient(nsA);
                } finally {
                    server.destroyForcibly();
                    server.waitFor(10, TimeUnit.SECONDS);
                }
                a.stop();
                b.stop();
                PathStats sa = a.agent.stats();
                PathStats sb = b.agent.stats();
                String both = "A: " + sa + " peer tx/rx " + a.peerTraffic.sent + "/" + a.peerTraffic.received
                        + "\nB: " + sb + " peer tx/rx " + b.peerTraffic.sent + "/" + b.peerTraffic.received;
                System.out.println("relayed through coturn (" + engine + "):\n" + both + "\n" + iperf.output());
                assertEquals(0, iperf.exitCode(), () -> iperf.output() + "\n" + both);
                assertTrue(a.errors.isEmpty() && b.errors.isEmpty(), () -> a.errors + " " + b.errors);
                // Everything one side opened came from the other through coturn, and nothing was dropped by
                // a data plane. At full TCP speed coturn and the socket buffers lose some datagrams (TCP
                // retransmits them): at most half is a generous bound for a loaded 2-core machine.
                assertBetween(sa.datagramsSent() / 2, sb.messagesOpened(), sa.datagramsSent(), both);
                assertBetween(sb.datagramsSent() / 2, sa.messagesOpened(), sb.datagramsSent(), both);
                assertEquals(0, sa.totalDrops() + sb.totalDrops(), both);
                assertEquals(0, sa.roams() + sb.roams(), both);
                // The peer counters: each side received what the other sent of the peer's inner bytes, less losses.
                assertTrue(a.peerTraffic.sent > 1_000_000, both);
                assertBetween(a.peerTraffic.sent / 2, b.peerTraffic.received, a.peerTraffic.sent, both);
                assertBetween(b.peerTraffic.sent / 2, a.peerTraffic.received, b.peerTraffic.sent, both);
                // TCP through TSO: super-packets went out as GSO slots of several ChannelData datagrams.
                assertTrue(sa.datagramsSent() > sa.slotsSent(), both);
            }
        } finally {
            if (turnserver != null) {
                turnserver.destroyForcibly();
                turnserver.waitFor(10, TimeUnit.SECONDS);
            }
            try (Stream<Path> files = Files.walk(dir)) {
                for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }

    private static void assertBetween(long low, long value, long high, String context) {
        assertTrue(value >= low && value <= high, value + " outside [" + low + ", " + high + "]\n" + context);
    }

    /** 2 s of TCP from A to B; the server may need a moment to listen. */
    private static TestNamespace.Cmd.Result iperfClient(TestNamespace ns) throws Exception {
        TestNamespace.Cmd.Result result = null;
        for (int i = 0; i < 20; i++) {
            result = ns.execAllowingFailure(30, "iperf3", "-c", "192.0.2.2", "-t", "2", "-f", "m");
            if (result.exitCode() == 0 || !result.output().contains("Connection refused")) {
                return result;
            }
            Thread.sleep(200);
        }
        return result;
    }

    /** A veth from {@code turn} ({@code turnSide}) to {@code site} (eth0, default route via the turn side). */
    private static void link(TestNamespace turn, String port, TestNamespace site, String siteAddress,
            String turnSide, int prefix) throws IOException {
        turn.exec("ip", "link", "add", port, "type", "veth", "peer", "name", "eth0", "netns", site.name());
        turn.exec("ip", "addr", "add", turnSide + "/" + prefix, "dev", port);
        turn.exec("ip", "link", "set", port, "up");
        site.exec("ip", "addr", "add", siteAddress + "/" + prefix, "dev", "eth0");
        site.exec("ip", "link", "set", "eth0", "up");
        site.exec("ip", "route", "add", "default", "via", turnSide);
    }

    private static Process startCoturn(TestNamespace ns, Path dir, String password)
            throws IOException, InterruptedException {
        Path conf = dir.resolve("turnserver.conf");
        Files.writeString(conf, """
                listening-ip=%1$s
                relay-ip=%1$s
                listening-port=%2$d
                min-port=49152
                max-port=65535
                realm=ipop.test
                lt-cred-mech
                user=%3$s:%4$s
                no-tcp
                no-tls
                no-dtls
                no-tcp-relay
                no-cli
                no-multicast-peers
                no-software-attribute
                userdb=%5$s
                pidfile=%6$s
                log-file=%7$s
                simple-log
                no-stdout-log
                """.formatted(TURN.getHostString(), TURN.getPort(), USER, password, dir.resolve("turndb"),
                dir.resolve("turnserver.pid"), dir.resolve("turnserver.log")));
        Process p = ns.start("turnserver", "-c", conf.toString());
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (System.nanoTime() < end) {
            if (!p.isAlive()) {
                throw new IOException("turnserver exited with " + p.exitValue() + ": " + tail(dir.resolve("turnserver.log")));
            }
            if (ns.exec("ss", "-uln").contains(TURN.getHostString() + ":" + TURN.getPort())) {
                return p;
            }
            Thread.sleep(100);
        }
        p.destroyForcibly();
        throw new IOException("turnserver did not listen within 20 s: " + tail(dir.resolve("turnserver.log")));
    }

    private static String tail(Path log) throws IOException {
        if (!Files.exists(log)) {
            return "(no log)";
        }
        String text = Files.readString(log);
        return text.length() > 4000 ? text.substring(text.length() - 4000) : text;
    }
}
