package net.ipop.dataplane.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import net.ipop.ffm.testing.Privileged;
import net.ipop.ffm.testing.TestNamespace;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The headline: two namespaces joined by a veth underlay, each with a TUN and a pipeline, and real
 * traffic (ping, iperf3) through the encrypted tunnel.
 */
@Privileged
class TunnelTest {
    private static final String UNDERLAY_A = "198.51.100.1";
    private static final String UNDERLAY_B = "198.51.100.2";

    /** Both namespaces with the veth underlay up. */
    private static void underlay(TestNamespace a, TestNamespace b) throws IOException {
        a.exec("ip", "link", "add", "veth-a", "type", "veth", "peer", "name", "veth-b", "netns", b.name());
        a.exec("ip", "addr", "add", UNDERLAY_A + "/24", "dev", "veth-a");
        b.exec("ip", "addr", "add", UNDERLAY_B + "/24", "dev", "veth-b");
        a.exec("ip", "link", "set", "veth-a", "up");
        b.exec("ip", "link", "set", "veth-b", "up");
    }

    private static void ping(TestNamespace ns, String... target) throws IOException {
        String[] cmd = new String[5 + target.length];
        System.arraycopy(new String[] {"ping", "-c", "3", "-i", "0.2"}, 0, cmd, 0, 5);
        System.arraycopy(target, 0, cmd, 5, target.length);
        TestNamespace.Cmd.Result r = ns.execAllowingFailure(20, cmd);
        assertEquals(0, r.exitCode(), () -> String.join(" ", cmd) + ":\n" + r.output());
        assertTrue(r.output().contains("3 received"), r.output());
    }

    @ParameterizedTest
    @EnumSource(TunnelNode.Engine.class)
    @Timeout(60)
    void pingCrossesTheEncryptedTunnelBothFamilies(TunnelNode.Engine engine) throws Exception {
        try (TestNamespace nsA = TestNamespace.create("dpa");
             TestNamespace nsB = TestNamespace.create("dpb")) {
            underlay(nsA, nsB);
            try (TunnelNode a = new TunnelNode(nsA, engine, true, UNDERLAY_A, UNDERLAY_B);
                 TunnelNode b = new TunnelNode(nsB, engine, false, UNDERLAY_B, UNDERLAY_A)) {
                ping(nsA, "192.0.2.2");
                ping(nsA, "-6", "2001:db8::2");
                // Idle pipelines block in poll: a busy-spinning one would burn a whole second here.
                long cpuBefore = a.pipelineCpuNanos() + b.pipelineCpuNanos();
                Thread.sleep(1000);
                long idleCpuMs = (a.pipelineCpuNanos() + b.pipelineCpuNanos() - cpuBefore) / 1_000_000;
                assertTrue(idleCpuMs < 100, "two idle pipelines used " + idleCpuMs + " ms CPU in 1 s");
                a.stop();
                b.stop();
                PathStats sa = a.agent.stats();
                PathStats sb = b.agent.stats();
                String both = "A: " + sa + "\nB: " + sb;
                assertTrue(a.errors.isEmpty() && b.errors.isEmpty(), () -> a.errors + " " + b.errors);
                assertEquals(6, sa.datagramsSent(), both); // 3 echo requests per family
                assertEquals(sa.datagramsSent(), sb.messagesOpened(), both);
                assertEquals(sb.datagramsSent(), sa.messagesOpened(), both);
                assertEquals(6, sb.packetsDelivered(), both);
                assertEquals(6, sa.packetsDelivered(), both);
                assertEquals(0, sa.totalDrops() + sb.totalDrops(), both);
                if (engine == TunnelNode.Engine.URING) {
                    assertTrue(a.uringEnters() > 0 && b.uringEnters() > 0, both);
                }
                System.out.println("tunnel ping counters (" + engine + ", idle CPU " + idleCpuMs + " ms/s)\n" + both);
            }
        }
    }

    @ParameterizedTest
    @EnumSource(TunnelNode.Engine.class)
    @Timeout(60)
    void packetsAbovePathMtuGetIcmpErrorsTheKernelAccepts(TunnelNode.Engine engine) throws Exception {
        try (TestNamespace nsA = TestNamespace.create("dpa");
             TestNamespace nsB = TestNamespace.create("dpb")) {
            underlay(nsA, nsB);
            try (TunnelNode a = new TunnelNode(nsA, engine, true, UNDERLAY_A, UNDERLAY_B, 1500, 1400);
                 TunnelNode b = new TunnelNode(nsB, engine, false, UNDERLAY_B, UNDERLAY_A, 1500, 1400)) {
                TestNamespace.Cmd.Result big = nsA.execAllowingFailure(20,
                        "ping", "-c", "2", "-i", "0.3", "-M", "do", "-s", "1450", "192.0.2.2");
                TestNamespace.Cmd.Result big6 = nsA.execAllowingFailure(20,
                        "ping", "-6", "-c", "2", "-i", "0.3", "-M", "do", "-s", "1450", "2001:db8::2");
                ping(nsA, "-M", "do", "-s", "1300", "192.0.2.2");
                String route = nsA.exec("ip", "route", "get", "192.0.2.2");
                a.stop();
                b.stop();
                String both = "A: " + a.agent.stats() + "\nB: " + b.agent.stats();
                System.out.println("too big: " + big.output() + big6.output() + route + both);
                assertTrue(a.agent.stats().drops(DropReason.TOO_BIG) >= 2, both);
                assertTrue(a.agent.stats().icmpSent() >= 2, both);
                // The kernel took our "fragmentation needed" and learnt the path MTU of the tunnel.
                assertTrue(route.contains("mtu 1400"), route);
                assertTrue(big.output().contains("1400"), big.output());
                assertTrue(big6.output().contains("mtu=1400") || big6.output().contains("mtu: 1400"), big6.output());
            }
        }
    }

    @ParameterizedTest
    @EnumSource(TunnelNode.Engine.class)
    @Timeout(90)
    void iperf3ThroughTheTunnel(TunnelNode.Engine engine) throws Exception {
        try (TestNamespace nsA = TestNamespace.create("dpa");
             TestNamespace nsB = TestNamespace.create("dpb")) {
            underlay(nsA, nsB);
            try (TunnelNode a = new TunnelNode(nsA, engine, true, UNDERLAY_A, UNDERLAY_B);
                 TunnelNode b = new TunnelNode(nsB, engine, false, UNDERLAY_B, UNDERLAY_A)) {
                Process server = nsB.start("iperf3", "-s", "-1", "-B", "192.0.2.2");
                try {
                    TestNamespace.Cmd.Result r = null;
                    for (int attempt = 0; attempt < 20; attempt++) {
                        // The server needs a moment to listen; a refused connect exits at once.
                        r = nsA.execAllowingFailure(30, "iperf3", "-c", "192.0.2.2", "-t", "3", "-f", "m");
                        if (r.exitCode() == 0 || !r.output().contains("refused")) {
                            break;
                        }
                        Thread.sleep(100);
                    }
                    TestNamespace.Cmd.Result done = r;
                    assertEquals(0, done.exitCode(), done::output);
                    Matcher m = Pattern.compile("([0-9.]+) Mbits/sec.*receiver").matcher(done.output());
                    assertTrue(m.find(), done.output());
                    // The one-shot server still talks to the client over the tunnel after the
                    // client has printed its result: only then may the tunnel stop.
                    assertTrue(server.waitFor(20, TimeUnit.SECONDS), "iperf3 server did not finish");
                    a.stop();
                    b.stop();
                    System.out.println("iperf3 TCP through the tunnel (" + engine + "): " + m.group(1) + " Mbit/s\nA: "
                            + a.agent.stats() + a.ioCounters() + "\nB: " + b.agent.stats() + b.ioCounters());
                    assertTrue(a.errors.isEmpty() && b.errors.isEmpty(), () -> a.errors + " " + b.errors);
                    // The receiving side merged segments: fewer TUN writes than packets delivered.
                    assertTrue(b.agent.stats().tunWrites() < b.agent.stats().packetsDelivered(),
                            () -> b.agent.stats().toString());
                    assertEquals(0, a.agent.stats().drops(DropReason.AUTH_FAILED)
                            + b.agent.stats().drops(DropReason.AUTH_FAILED));
                } finally {
                    server.destroyForcibly();
                }
            }
        }
    }
    /**
     * UDP datagrams of one flow, sent in bursts (each a run of full datagrams and a short one, as an
     * application sends a message cut into pieces): the receiving side merges them into UDP
     * super-packets for its TUN, and the kernel hands the socket every datagram as it was sent,
     * whole and in order.
     */
    @ParameterizedTest
    @EnumSource(TunnelNode.Engine.class)
    @Timeout(60)
    void udpDatagramsArriveWholeAndInOrderThroughUdpSuperPackets(TunnelNode.Engine engine) throws Exception {
        int bursts = 60;
        int perBurst = 64;
        try (TestNamespace nsA = TestNamespace.create("dpa");
             TestNamespace nsB = TestNamespace.create("dpb")) {
            underlay(nsA, nsB);
            try (TunnelNode a = new TunnelNode(nsA, engine, true, UNDERLAY_A, UNDERLAY_B);
                 TunnelNode b = new TunnelNode(nsB, engine, false, UNDERLAY_B, UNDERLAY_A);
                 DatagramChannel receiver = nsB.call(() -> DatagramChannel.open(StandardProtocolFamily.INET));
                 DatagramChannel sender = nsA.call(() -> DatagramChannel.open(StandardProtocolFamily.INET))) {
                ping(nsA, "192.0.2.2");
                receiver.setOption(StandardSocketOptions.SO_RCVBUF, 8 << 20);
                receiver.bind(new InetSocketAddress("192.0.2.2", 5301));
                receiver.configureBlocking(false);
                sender.connect(new InetSocketAddress("192.0.2.2", 5301));
                long deliveredBefore = b.agent.stats().packetsDelivered();
                long writesBefore = b.agent.stats().tunWrites();
                CompletableFuture<Void> sending = CompletableFuture.runAsync(() -> {
                    try {
                        ByteBuffer out = ByteBuffer.allocate(1200);
                        for (int seq = 0; seq < bursts * perBurst; seq++) {
                            out.clear().limit(datagramLength(seq, perBurst));
                            fill(out, seq);
                            sender.write(out.flip());
                            if (seq % perBurst == perBurst - 1) {
                                Thread.sleep(5); // the pipelines catch up: nothing overflows a queue
                            }
                        }
                    } catch (IOException | InterruptedException e) {
                        throw new AssertionError(e);
                    }
                });
                ByteBuffer in = ByteBuffer.allocate(2048);
                ByteBuffer expected = ByteBuffer.allocate(1200);
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
                int next = 0;
                while (next < bursts * perBurst && System.nanoTime() < deadline) {
                    if (receiver.receive(in.clear()) == null) {
                        Thread.sleep(1);
                        continue;
                    }
                    in.flip();
                    assertEquals(datagramLength(next, perBurst), in.remaining(), "length of datagram " + next);
                    expected.clear().limit(datagramLength(next, perBurst));
                    fill(expected, next);
                    assertEquals(expected.flip(), in, "datagram " + next + " whole and in order");
                    next++;
                }
                sending.get(10, TimeUnit.SECONDS);
                assertEquals(bursts * perBurst, next, "datagrams received");
                long delivered = b.agent.stats().packetsDelivered() - deliveredBefore;
                long writes = b.agent.stats().tunWrites() - writesBefore;
                assertTrue(delivered >= bursts * perBurst, "delivered " + delivered);
                // Merged: a burst of 64 datagrams reaches the TUN in a few writes, not 64.
                assertTrue(writes * 4 < delivered, writes + " TUN writes for " + delivered + " datagrams");
                a.stop();
                b.stop();
                assertTrue(a.errors.isEmpty() && b.errors.isEmpty(), () -> a.errors + " " + b.errors);
                assertEquals(0, b.agent.stats().drops(DropReason.TUN_WRITE_FAILED));
            }
        }
    }

    /** Each burst: full 1200-byte datagrams, then a 300-byte one. */
    private static int datagramLength(int seq, int perBurst) {
        return seq % perBurst == perBurst - 1 ? 300 : 1200;
    }

    /** The sequence number, then bytes that depend on it and their position. */
    private static void fill(ByteBuffer b, int seq) {
        b.putInt(seq);
        while (b.hasRemaining()) {
            b.put((byte) (seq * 31 + b.position()));
        }
    }
}
