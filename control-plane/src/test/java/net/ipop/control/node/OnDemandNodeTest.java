package net.ipop.control.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

import net.ipop.control.config.NodeConfig;
import net.ipop.control.config.PeerConfig;
import net.ipop.control.config.TopologyConfig;
import net.ipop.control.topology.Plan;
import net.ipop.control.topology.TopologyManager;
import net.ipop.control.topology.TopologyPlanner;
import net.ipop.crypto.Suite;
import net.ipop.crypto.cert.IpPrefix;
import net.ipop.crypto.noise.NoiseKeyPair;

/**
 * Static nodes with topology managers over fake data planes joined by a {@link FakeLink}: five members in a ring
 * (mesh up to 2), so one pair is forwarded. A traffic report at one end makes its node handshake with the other
 * and route to it directly; the other end accepts it directly and keeps its planned route; idleness routes it
 * back and retires the sessions through the node (RetireSession reaches the data plane).
 */
class OnDemandNodeTest {
    private static final long MS = 1_000_000L;
    private static final long S = 1_000_000_000L;
    private static final int COUNT = 5;
    private static final int IDLE_MS = 5_000;

    private final FakeClock clock = new FakeClock();
    private final FakeLink link = new FakeLink(clock);
    private final List<StaticNode> nodes = new ArrayList<>();
    private final List<FakePort> ports = new ArrayList<>();
    private final List<TopologyManager> managers = new ArrayList<>();

    private static InetSocketAddress underlay(int i) {
        return Nodes.endpoint("198.51.100." + (10 + i), 51820);
    }

    private static IpPrefix prefix(int i) {
        return IpPrefix.parse("192.0.2." + (i + 1) + "/32");
    }

    /** Node {@code i}'s peer id for node {@code j}: its peers are the others in index order, ids from 1. */
    private static int peerId(int i, int j) {
        return j < i ? j + 1 : j;
    }

    @Test
    void aReportLinksAForwardedPairDirectlyAndIdlenessRetiresTheLinkThroughTheNode() {
        NoiseKeyPair[] keys = new NoiseKeyPair[COUNT];
        int[] pair = null;
        for (int attempt = 0; pair == null; attempt++) {
            assertTrue(attempt < 200, "no key set left a pair of 5 unlinked");
            for (int i = 0; i < COUNT; i++) {
                keys[i] = NoiseKeyPair.generate(Nodes.RANDOM);
            }
            pair = unlinked(keys);
        }
        int a = pair[0];
        int d = pair[1];
        TopologyConfig topology = new TopologyConfig(2, 1, 30_000, 1_000_000, 1_000, IDLE_MS);
        for (int i = 0; i < COUNT; i++) {
            List<PeerConfig> peers = new ArrayList<>();
            for (int j = 0; j < COUNT; j++) {
                if (j != i) {
                    peers.add(Nodes.peer("n" + j, keys[j], underlay(j), prefix(j).toString(), Suite.AES256GCM));
                }
            }
            NodeConfig config = Nodes.config("n" + i, keys[i], "192.0.2." + (i + 1) + "/24", Suite.AES256GCM,
                    peers.toArray(new PeerConfig[0]));
            FakePort port = new FakePort(underlay(i));
            StaticNode node = new StaticNode(config, keys[i], port, clock, Nodes.RANDOM);
            TopologyManager m = new TopologyManager(topology, TopologyManager.memberId(keys[i].publicKey()), port);
            for (int j = 0; j < COUNT; j++) {
                if (j != i) {
                    m.addMember(peerId(i, j), TopologyManager.memberId(keys[j].publicKey()), List.of(prefix(j)), 0);
                }
            }
            node.useLinkPolicy(m);
            link.attach(port, node);
            nodes.add(node);
            ports.add(port);
            managers.add(m);
        }
        for (StaticNode n : nodes) {
            n.start();
        }
        link.run(3 * S, 10 * MS);
        FakePort portA = ports.get(a);
        FakePort portD = ports.get(d);
        int dAtA = peerId(a, d);
        int aAtD = peerId(d, a);
        assertTrue(portA.commands.contains("traffic report 1000000 1000"), portA.commands.toString());
        int hop = portA.routes.get(prefix(d));
        assertNotEquals(dAtA, hop, "the pair is linked by the plan");
        assertFalse(nodes.get(a).hasSession(dAtA));
        int routeAtD = portD.routes.get(prefix(a));
        assertNotEquals(aAtD, routeAtD);

        // The data plane reports heavy traffic to d through the relay.
        nodes.get(a).onTrafficReport(prefix(d), hop, 5_000_000, 1_000);
        link.run(2 * S, 10 * MS);
        assertTrue(nodes.get(a).hasSession(dAtA), "no handshake with the busy destination");
        assertEquals(dAtA, portA.routes.get(prefix(d)), "not routed directly");
        assertTrue(portA.sources.contains(List.of(prefix(d), dAtA)));
        assertTrue(portD.sources.contains(List.of(prefix(a), aAtD)), "the far end drops the direct packets");
        assertEquals(routeAtD, portD.routes.get(prefix(a)), "the far end re-routed without traffic of its own");
        assertEquals("DIRECT", managers.get(a).onDemandState(dAtA));
        assertEquals("ANSWERED", managers.get(d).onDemandState(aAtD));

        // Reports keep it up; then no report for the idle time tears it down.
        link.run(3 * S, 100 * MS);
        nodes.get(a).onTrafficReport(prefix(d), dAtA, 5_000_000, 1_000);
        link.run(IDLE_MS * MS - S, 100 * MS);
        assertEquals(dAtA, portA.routes.get(prefix(d)), "torn down while in use");
        int retiredBefore = portA.retired.size();
        link.run(2 * S, 100 * MS);
        assertEquals(hop, portA.routes.get(prefix(d)), "not routed back through the plan");
        assertFalse(portA.sources.contains(List.of(prefix(d), dAtA)));
        assertFalse(nodes.get(a).hasSession(dAtA), "sessions kept after the teardown");
        assertTrue(portA.retired.size() > retiredBefore);
        assertTrue(portA.retired.subList(retiredBefore, portA.retired.size()).stream()
                .allMatch(r -> r.peerId() == dAtA), portA.retired.toString());
        assertEquals(null, managers.get(a).onDemandState(dAtA));
        assertEquals(1, managers.get(a).onDemandTeardowns());
        // Nobody wants the link any more: no new handshake with d.
        int installed = portA.installed.size();
        link.run(30 * S, 500 * MS);
        assertFalse(nodes.get(a).hasSession(dAtA), "the torn-down link came back");
        assertTrue(portA.installed.stream().skip(installed).noneMatch(i -> i.peerId() == dAtA));
    }

    /** Indices of two members the ring (mesh up to 2, one successor) leaves unlinked, or null. */
    private static int[] unlinked(NoiseKeyPair[] keys) {
        List<String> ids = new ArrayList<>();
        for (NoiseKeyPair k : keys) {
            ids.add(TopologyManager.memberId(k.publicKey()));
        }
        TopologyPlanner planner = new TopologyPlanner(2, 1);
        for (int i = 0; i < keys.length; i++) {
            Plan p = planner.plan(ids, ids.get(i));
            for (int j = 0; j < keys.length; j++) {
                if (j != i && !p.links().contains(ids.get(j))) {
                    return new int[] {i, j};
                }
            }
        }
        return null;
    }
}
