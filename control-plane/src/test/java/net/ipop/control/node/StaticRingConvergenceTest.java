package net.ipop.control.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;

import org.junit.jupiter.api.Test;

import net.ipop.control.config.IceServersConfig;
import net.ipop.control.config.LogConfig;
import net.ipop.control.config.MetricsConfig;
import net.ipop.control.config.NodeConfig;
import net.ipop.control.config.PeerConfig;
import net.ipop.control.config.TopologyConfig;
import net.ipop.control.topology.TopologyManager;
import net.ipop.crypto.Suite;
import net.ipop.crypto.cert.IpPrefix;
import net.ipop.crypto.noise.NoiseKeyPair;

/**
 * {@code TopologyTest#sixteenNodesConvergeAsARing} on fake time, without namespaces: sixteen static nodes, each
 * with its {@link TopologyManager} ({@code maxMeshSize} 4, one successor), started in waves of four a long
 * {@code ipop up} apart, over a {@link DelayLine} whose delays (up to seconds) stand for a loaded host. After the
 * last wave every node must plan with every member live, and every ordered pair must "ping": the walk along each
 * node's routes reaches the destination, every hop sending on a session the next holds, and every hop accepting
 * the inner source from the one before. Keys and delays come from fixed seeds: the same run every time.
 */
class StaticRingConvergenceTest {
    private static final long MS = 1_000_000L;
    private static final long S = 1_000 * MS;
    private static final int NODES = 16;
    private static final int WAVE = 4;
    private static final Suite SUITE = Suite.AES256GCM;

    private final FakeClock clock = new FakeClock();
    private final DelayLine line = new DelayLine(clock);
    private final List<FakePort> ports = new ArrayList<>();
    private final List<StaticNode> nodes = new ArrayList<>();
    private final List<TopologyManager> managers = new ArrayList<>();

    @Test
    void sixteenNodesStartedInWavesConvergeAndEveryPairReachesEveryOther() throws Exception {
        SecureRandom seeded = SecureRandom.getInstance("SHA1PRNG");
        seeded.setSeed(16);
        List<NoiseKeyPair> keys = new ArrayList<>();
        for (int i = 0; i < NODES; i++) {
            keys.add(NoiseKeyPair.generate(seeded));
        }
        for (int i = 0; i < NODES; i++) {
            List<PeerConfig> peers = new ArrayList<>();
            for (int j = 0; j < NODES; j++) {
                if (j != i) {
                    peers.add(Nodes.peer("node" + j, keys.get(j), underlay(j), overlay(j) + "/32", SUITE));
                }
            }
            NodeConfig c = Nodes.config("node" + i, keys.get(i), overlay(i) + "/24", SUITE,
                    peers.toArray(new PeerConfig[0]));
            NodeConfig ring = new NodeConfig(c.name(), c.privateKeyFile(), c.publicKey(), c.iface(), c.listen(),
                    c.suite(), c.dataPlane(), c.peers(), List.of(), IceServersConfig.NONE,
                    new TopologyConfig(4, 1, 30_000), MetricsConfig.OFF, LogConfig.DEFAULT);
            FakePort port = new FakePort(underlay(i));
            StaticNode node = new StaticNode(ring, keys.get(i), port, clock, seeded);
            TopologyManager manager = TopologyManager.forStaticPeers(ring, port);
            node.useLinkPolicy(manager);
            ports.add(port);
            nodes.add(node);
            managers.add(manager);
        }
        // A loaded host: most handshake messages take tens of milliseconds, some seconds.
        Random delays = new Random(5);
        line.delay = (port, bytes) -> delays.nextInt(10) == 0 ? delays.nextInt(4_000) * MS : 20 * MS;

        // Waves of four, each ipop up 50 s after the previous wave's: a node not started yet receives nothing.
        for (int i = 0; i < NODES; i++) {
            line.attach(ports.get(i), nodes.get(i));
            nodes.get(i).start();
            if (i % WAVE == WAVE - 1) {
                line.run(50 * S, 200 * MS);
            }
        }
        // TopologyTest pings for 240 s after the last ipop up returned (the real ring converged in about 30 s):
        // converged two minutes after the last wave, and kept for a minute.
        line.run(120 * S, 200 * MS);
        for (int second = 120; second < 180; second += 10) {
            line.run(10 * S, 200 * MS);
            assertConverged("at " + (second + 10) + " s after the last wave");
        }
    }

    private void assertConverged(String when) {
        for (int i = 0; i < NODES; i++) {
            TopologyManager m = managers.get(i);
            Set<Integer> down = new TreeSet<>();
            for (int peer = 1; peer < NODES; peer++) {
                if (m.down(peer)) {
                    down.add(node(i, peer));
                }
            }
            assertEquals(Set.of(), down, when + ": node" + i + " plans without these nodes");
            assertEquals(NODES, m.plan().ring().size(), when + ": node" + i + "'s plan");
        }
        List<String> failed = new ArrayList<>();
        for (int a = 0; a < NODES; a++) {
            for (int b = 0; b < NODES; b++) {
                if (a != b) {
                    String why = walk(a, b);
                    if (why != null) {
                        failed.add("node" + a + " -> node" + b + ": " + why);
                    }
                }
            }
        }
        assertTrue(failed.isEmpty(), when + ", " + failed.size() + " of " + NODES * (NODES - 1)
                + " directed pairs fail:\n" + String.join("\n", failed));
    }

    /** Follows the routes from {@code a} to {@code b}; null when a packet would arrive, else why not. */
    private String walk(int a, int b) {
        IpPrefix dest = IpPrefix.parse(overlay(b) + "/32");
        IpPrefix source = IpPrefix.parse(overlay(a) + "/32");
        int at = a;
        List<Integer> path = new ArrayList<>(List.of(a));
        for (int hops = 0; hops < NODES; hops++) {
            Integer hopPeer = ports.get(at).routes.get(dest);
            if (hopPeer == null) {
                return "node" + at + " has no route, path " + path;
            }
            int next = node(at, hopPeer);
            FakePort.Installed sending = ports.get(at).current.get(hopPeer);
            if (sending == null) {
                return "node" + at + " has no session with its next hop node" + next + ", path " + path;
            }
            FakePort to = ports.get(next);
            int back = peerId(next, at);
            FakePort.Installed current = to.current.get(back);
            FakePort.Installed previous = to.previous.get(back);
            if ((current == null || current.localIndex() != sending.remoteIndex())
                    && (previous == null || previous.localIndex() != sending.remoteIndex())) {
                return "node" + next + " does not hold node" + at + "'s sending session, path " + path;
            }
            if (!to.sources.contains(List.of(source, back))) {
                return "node" + next + " does not accept node" + a + "'s packets from node" + at + ", path " + path;
            }
            path.add(next);
            if (next == b) {
                return null;
            }
            at = next;
        }
        return "a loop: " + path;
    }

    /** The node that node {@code at} calls peer {@code peerId} (its config lists the others in order). */
    private static int node(int at, int peerId) {
        int index = peerId - 1;
        return index < at ? index : index + 1;
    }

    /** Node {@code at}'s peer id of node {@code other}. */
    private static int peerId(int at, int other) {
        return other < at ? other + 1 : other;
    }

    private static InetSocketAddress underlay(int i) {
        return Nodes.endpoint("198.51.100." + (10 + i), 51820);
    }

    private static String overlay(int i) {
        return "192.0.2." + (i + 1);
    }
}
