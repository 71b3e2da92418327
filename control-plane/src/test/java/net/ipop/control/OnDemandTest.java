package net.ipop.control;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
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
            TopologyNodes.bridge(hub, "od", NODES, namespaces);
            try {
                // Keys whose ring leaves a pair without a planned link (the ring's chords may link everyone).
                List<List<Member>> unlinked = List.of();
                for (int attempt = 0; unlinked.isEmpty(); attempt++) {
                    assertTrue(attempt < 200, "no key set in 200 left a pair of 5 unlinked");
                    nodes.clear();
                    for (int i = 0; i < NODES; i++) {
                        nodes.add(TopologyNodes.keyed(temp, i, namespaces.get(i), RANDOM));
                    }
                    unlinked = TopologyNodes.unlinkedPairs(new TopologyPlanner(2, 1), nodes);
                }
                Member a = unlinked.get(0).get(0);
                Member b = unlinked.get(0).get(1);
                for (Member n : nodes) {
                    TopologyNodes.writeStaticConfig(n, nodes, 2, 1, """
                              onDemandThresholdBytes: %d
                              onDemandIntervalMs: 1000
                              onDemandIdleMs: %d
                            """.formatted(THRESHOLD_BYTES, IDLE_MS));
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
}
