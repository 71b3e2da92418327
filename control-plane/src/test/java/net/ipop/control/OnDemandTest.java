package net.ipop.control;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import net.ipop.control.TopologyNodes.Member;
import net.ipop.control.topology.TopologyPlanner;
import net.ipop.crypto.cert.X25519Keys;
import net.ipop.ffm.testing.Privileged;
import net.ipop.ffm.testing.TestNamespace;

/**
 * Issue 5's on-demand links with real nodes ({@code ipop up}), each in its own namespace on one bridge, in static
 * mode (overlay mode: {@link OverlayMeshRingTest}): five members with {@code topology.maxMeshSize: 2} form a ring,
 * so some pair has no planned link and its packets are forwarded. {@link TopologyNodes#onDemand} checks that
 * iperf3 between such a pair links it directly ({@code ipop status --json} shows the path go from
 * {@code forwarded} to {@code direct}), that idleness tears the link down after {@code onDemandIdleMs} and not
 * before, and that a ping every 200 ms is answered throughout.
 */
@Privileged
@Timeout(value = 600, unit = TimeUnit.SECONDS)
class OnDemandTest {
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final int NODES = 5;
    private static final int THRESHOLD_BYTES = 200_000;
    private static final int IDLE_MS = 4_000;
    private static final int IPERF_SECONDS = 6;

    @TempDir
    Path temp;

    @Test
    void heavyTrafficBetweenAForwardedPairLinksItDirectlyAndIdlenessUnlinksItWhilePingsGoOn() throws Exception {
        List<TestNamespace> namespaces = new ArrayList<>();
        List<Member> nodes = new ArrayList<>();
        ExecutorService pool = Executors.newFixedThreadPool(2 * NODES);
        try (TestNamespace hub = TestNamespace.create("odh")) {
            hub.exec("ip", "link", "add", "br0", "type", "bridge");
            hub.exec("ip", "link", "set", "br0", "up");
            for (int i = 0; i < NODES; i++) {
                TestNamespace ns = TestNamespace.create("od" + i);
                namespaces.add(ns);
                hub.exec("ip", "link", "add", "h" + i, "type", "veth", "peer", "name", "u" + i, "netns", ns.name());
                hub.exec("ip", "link", "set", "h" + i, "master", "br0");
                hub.exec("ip", "link", "set", "h" + i, "up");
                ns.exec("ip", "addr", "add", underlay(i) + "/24", "dev", "u" + i);
                ns.exec("ip", "link", "set", "u" + i, "up");
                ns.exec("ip", "link", "set", "lo", "up");
            }
            try {
                // Keys whose ring leaves a pair without a planned link (the ring's chords may link everyone).
                List<List<Member>> unlinked = List.of();
                for (int attempt = 0; unlinked.isEmpty(); attempt++) {
                    assertTrue(attempt < 200, "no key set in 200 left a pair of 5 unlinked");
                    nodes.clear();
                    for (int i = 0; i < NODES; i++) {
                        nodes.add(node(i, namespaces.get(i)));
                    }
                    unlinked = TopologyNodes.unlinkedPairs(new TopologyPlanner(2, 1), nodes);
                }
                Member a = unlinked.get(0).get(0);
                Member b = unlinked.get(0).get(1);
                for (Member n : nodes) {
                    writeConfig(n, nodes);
                }
                long started = System.nanoTime();
                long up = TopologyNodes.upAll(pool, nodes);
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(180);
                while (a.ns().execAllowingFailure(10, "ping", "-c", "1", "-W", "2", b.address()).exitCode() != 0) {
                    assertTrue(System.nanoTime() - deadline < 0, a.name() + " never reached " + b.name()
                            + TopologyNodes.logs(nodes));
                    Thread.sleep(200);
                }
                long reached = System.nanoTime();
                TopologyNodes.OnDemand o = TopologyNodes.onDemand(pool, a, b, IPERF_SECONDS, IDLE_MS, nodes);
                System.out.printf("on-demand (static): %d ipop up %d ms, %s reaches %s %d ms later; direct %d ms"
                        + " after iperf3 started, forwarded again %d ms after it stopped (idle time %d ms); of %d"
                        + " pings %d lost before the link was up, %d after; phase %d ms%n", NODES,
                        TimeUnit.NANOSECONDS.toMillis(up - started), a.name(), b.name(),
                        TimeUnit.NANOSECONDS.toMillis(reached - up), o.toDirectMs(), o.backMs(), IDLE_MS,
                        o.pingsSent(), o.congestedLost(), o.pingsLost(),
                        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - reached));
            } finally {
                pool.shutdownNow();
                TopologyNodes.downAll(nodes);
                for (TestNamespace ns : namespaces) {
                    ns.close();
                }
            }
        }
    }

    private static String underlay(int i) {
        return "198.51.100." + (10 + i);
    }

    private Member node(int i, TestNamespace ns) throws IOException {
        byte[] key = X25519Keys.generatePrivateKey(RANDOM);
        Member n = TopologyNodes.member(temp, i, X25519Keys.publicKey(key), ns);
        Path keyFile = n.dir().resolve(n.name() + ".key");
        Files.writeString(keyFile, X25519Keys.toBase64(key) + "\n");
        Files.setPosixFilePermissions(keyFile, PosixFilePermissions.fromString("rw-------"));
        return n;
    }

    private static void writeConfig(Member n, List<Member> members) throws IOException {
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
                  maxMeshSize: 2
                  successors: 1
                  downAfterMs: 30000
                  onDemandThresholdBytes: %d
                  onDemandIntervalMs: 1000
                  onDemandIdleMs: %d
                peers:
                """.formatted(n.name(), n.dir().resolve(n.name() + ".key"), n.address(), n.counters(),
                n.aeronDir(), THRESHOLD_BYTES, IDLE_MS) + peers);
    }
}
