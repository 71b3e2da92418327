package net.ipop.control.overlay;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.junit.jupiter.api.Test;

import net.ipop.control.config.TopologyConfig;
import net.ipop.control.node.DataPlanePort;
import net.ipop.control.topology.Plan;
import net.ipop.control.topology.TopologyManager;
import net.ipop.control.topology.TopologyPlanner;
import net.ipop.crypto.Suite;
import net.ipop.crypto.cert.IpPrefix;
import net.ipop.crypto.noise.SessionKeys;
import net.ipop.ipc.sbe.RouteKind;

class OverlayTopologyTest {
    private static final long MS = 1_000_000L;
    private static final int DOWN_AFTER_MS = 10_000;
    private static final byte[] SELF = key(0);

    /** The data plane's tables as the commands leave them. */
    private static final class TablePort implements DataPlanePort {
        /** ROUTE_ONLY and ROUTE_AND_SOURCE routes: prefix -> peer. */
        final Map<IpPrefix, Integer> routes = new HashMap<>();
        /** Source entries as (prefix, peer). */
        final Set<List<Object>> sources = new HashSet<>();
        final List<String> plain = new ArrayList<>();

        @Override
        public void configureInterface(int mtu, List<IpPrefix> addresses) {
        }

        @Override
        public void addPeer(int peerId, String name, Suite suite, int keepaliveMs, byte[] staticKey) {
        }

        @Override
        public void removePeer(int peerId) {
            // As the data plane does: the peer's routes and source entries go with it.
            routes.values().removeIf(id -> id == peerId);
            sources.removeIf(e -> e.get(1).equals(peerId));
        }

        @Override
        public void setEndpoint(int peerId, InetSocketAddress endpoint) {
        }

        @Override
        public void setTrafficReport(long thresholdBytes, int intervalMs) {
        }

        @Override
        public void setRelayedEndpoint(int peerId, InetSocketAddress turnServer, int channel,
                InetSocketAddress peerRelayed) {
        }

        @Override
        public void addRoute(IpPrefix prefix, int peerId) {
            plain.add(prefix + " " + peerId);
            routes.put(prefix, peerId);
            sources.add(List.of(prefix, peerId));
        }

        @Override
        public void removeRoute(IpPrefix prefix) {
            plain.add("-" + prefix);
            Integer was = routes.remove(prefix);
            sources.remove(List.of(prefix, was == null ? -1 : was));
        }

        @Override
        public void addRoute(IpPrefix prefix, int peerId, RouteKind kind) {
            switch (kind) {
                case ROUTE_ONLY -> routes.put(prefix, peerId);
                case SOURCE_ONLY -> assertTrue(sources.add(List.of(prefix, peerId)), "source added twice");
                default -> addRoute(prefix, peerId);
            }
        }

        @Override
        public void removeRoute(IpPrefix prefix, RouteKind kind, int peerId) {
            switch (kind) {
                case ROUTE_ONLY -> assertEquals(peerId, routes.remove(prefix));
                case SOURCE_ONLY -> assertTrue(sources.remove(List.of(prefix, peerId)), "no such source");
                default -> throw new AssertionError(kind.toString());
            }
        }

        @Override
        public void installSession(int peerId, SessionKeys keys) {
        }

        @Override
        public void retireSession(int peerId, int localIndex) {
        }

        @Override
        public void inject(InetSocketAddress to, byte[] bytes, int off, int len) {
        }
    }

    /** What {@link OverlayTopology#follow} asked for, in order. */
    private static final class Links {
        final List<String> linked = new ArrayList<>();
        final List<String> unlinked = new ArrayList<>();

        int follow(OverlayTopology t, Map<Integer, OverlayPeer> peers) {
            return t.follow(peers.values(), p -> linked.add(p.name), p -> unlinked.add(p.name));
        }
    }

    private static byte[] key(int i) {
        byte[] k = new byte[32];
        k[0] = (byte) (i + 1);
        k[31] = 0x42;
        return k;
    }

    private static String id(int i) {
        return TopologyManager.memberId(key(i));
    }

    private static IpPrefix address(int i) {
        return IpPrefix.parse("192.0.2." + i + "/32");
    }

    private static OverlayTopology topology(TablePort port, int maxMesh, String... overlays) {
        return new OverlayTopology(new TopologyConfig(maxMesh, 1, DOWN_AFTER_MS), SELF, port, List.of(overlays));
    }

    /** Members 1..n of {@code overlay}, peer id i, name "m" + i, offering when i is odd. */
    private static Map<Integer, OverlayPeer> admit(OverlayTopology t, String overlay, int from, int to, long now) {
        Map<Integer, OverlayPeer> peers = new LinkedHashMap<>();
        for (int i = from; i <= to; i++) {
            t.admit(overlay, i, key(i), List.of(address(i)), now);
            peers.put(i, new OverlayPeer(overlay, "m" + i, null, i, i % 2 == 1));
        }
        return peers;
    }

    private static List<String> ids(int... members) {
        List<String> ids = new ArrayList<>();
        for (int i : members) {
            ids.add(id(i));
        }
        return ids;
    }

    private static int[] range(int from, int to) {
        int[] r = new int[to - from + 1];
        for (int i = from; i <= to; i++) {
            r[i - from] = i;
        }
        return r;
    }

    @Test
    void upToTheMeshSizeEveryMemberIsLinkedAndRoutedToItself() {
        TablePort port = new TablePort();
        OverlayTopology t = topology(port, 8, "lab");
        t.start(0);
        Map<Integer, OverlayPeer> peers = admit(t, "lab", 1, 4, 0);
        for (int i = 1; i <= 4; i++) {
            assertFalse(t.wantsLink(i), "nothing is wanted before the plan: the offer waits for it");
        }
        assertTrue(t.doWork(MS) > 0);
        Links links = new Links();
        assertEquals(4, links.follow(t, peers));
        assertEquals(List.of("m1", "m2", "m3", "m4"), links.linked);
        assertEquals(0, links.follow(t, peers), "nothing changed: nothing to do");
        for (int i = 1; i <= 4; i++) {
            assertTrue(peers.get(i).linked);
            assertEquals(i, t.nextHop(i));
            assertEquals(i, port.routes.get(address(i)));
            assertEquals(Set.of(List.of(address(i), i)), sourcesOf(port, address(i)));
        }
        assertTrue(t.plan("lab").mesh());
    }

    @Test
    void aboveTheMeshSizeOnlyPlannedNeighboursGetLinksAndTheOthersGoThroughThem() {
        TablePort port = new TablePort();
        OverlayTopology t = topology(port, 4, "lab");
        t.start(0);
        Map<Integer, OverlayPeer> peers = admit(t, "lab", 1, 9, 0);
        t.doWork(MS);
        Links links = new Links();
        links.follow(t, peers);

        Plan expected = new TopologyPlanner(4, 1).plan(ids(range(0, 9)), id(0));
        assertFalse(expected.mesh());
        Set<String> linked = new HashSet<>();
        int forwarded = 0;
        for (int i = 1; i <= 9; i++) {
            OverlayPeer p = peers.get(i);
            boolean neighbour = expected.links().contains(id(i));
            assertEquals(neighbour, p.linked, p.name);
            assertEquals(neighbour, t.wantsLink(i), p.name);
            if (neighbour) {
                linked.add(p.name);
                assertEquals(i, t.nextHop(i));
            } else {
                forwarded++;
                int hop = t.nextHop(i);
                assertNotEquals(i, hop, p.name + " is no neighbour: its packets go through one");
                assertTrue(peers.get(hop).linked, "the next hop of " + p.name + " is a neighbour");
                assertEquals(id(hop), expected.nextHop().get(id(i)));
            }
            assertEquals(t.nextHop(i), port.routes.get(address(i)), "route of " + p.name);
            Set<List<Object>> want = new HashSet<>();
            for (String from : expected.acceptsFrom(id(i))) {
                want.add(List.of(address(i), indexOf(from)));
            }
            assertEquals(want, sourcesOf(port, address(i)), "sources of " + p.name);
        }
        assertTrue(forwarded > 0, "the ring links everyone: the test proves nothing");
        assertEquals(linked, new HashSet<>(links.linked));
        assertTrue(links.unlinked.isEmpty());
    }

    private static int indexOf(String memberId) {
        for (int i = 0; i < 100; i++) {
            if (id(i).equals(memberId)) {
                return i;
            }
        }
        throw new AssertionError(memberId);
    }

    private static Set<List<Object>> sourcesOf(TablePort port, IpPrefix prefix) {
        Set<List<Object>> s = new HashSet<>();
        for (List<Object> e : port.sources) {
            if (e.get(0).equals(prefix)) {
                s.add(e);
            }
        }
        return s;
    }

    @Test
    void aMemberLeavingAndOneJoiningReplanTheLinks() {
        TablePort port = new TablePort();
        OverlayTopology t = topology(port, 4, "lab");
        t.start(0);
        Map<Integer, OverlayPeer> peers = admit(t, "lab", 1, 8, 0);
        t.doWork(MS);
        new Links().follow(t, peers);

        // Remove the member the most others route through: it must be the cause of some link changes.
        int leaving = 1;
        for (int i = 1; i <= 8; i++) {
            if (peers.get(i).linked) {
                leaving = i;
            }
        }
        port.removePeer(leaving);
        t.leave(leaving, 2 * MS);
        peers.get(leaving).gone = true;
        OverlayPeer gone = peers.remove(leaving);
        t.doWork(3 * MS);
        Links links = new Links();
        links.follow(t, peers);
        assertFalse(links.linked.contains(gone.name) || links.unlinked.contains(gone.name));
        List<Integer> rest = new ArrayList<>(List.of(0, 1, 2, 3, 4, 5, 6, 7, 8));
        rest.remove(Integer.valueOf(leaving));
        Plan expected = new TopologyPlanner(4, 1).plan(ids(rest.stream().mapToInt(Integer::intValue).toArray()),
                id(0));
        assertLinksFollow(expected, t, peers);
        assertFalse(port.routes.containsKey(address(leaving)), "the leaver's route is gone");
        assertFalse(port.routes.containsValue(leaving), "nothing routes through the leaver");

        // A ninth member joins.
        peers.putAll(admit(t, "lab", 9, 9, 4 * MS));
        t.doWork(5 * MS);
        new Links().follow(t, peers);
        rest.add(9);
        expected = new TopologyPlanner(4, 1).plan(ids(rest.stream().mapToInt(Integer::intValue).toArray()), id(0));
        assertLinksFollow(expected, t, peers);
        assertEquals(t.nextHop(9), port.routes.get(address(9)));
    }

    private static void assertLinksFollow(Plan expected, OverlayTopology t, Map<Integer, OverlayPeer> peers) {
        for (OverlayPeer p : peers.values()) {
            assertEquals(expected.links().contains(id(p.peerId)), p.linked, p.name);
            String hop = expected.nextHop().get(id(p.peerId));
            assertEquals(indexOf(hop), t.nextHop(p.peerId), "next hop to " + p.name);
        }
    }

    @Test
    void aNeighbourThatNeverAnswersIsPlannedAroundYetProbedAndComesBackWithASession() {
        TablePort port = new TablePort();
        OverlayTopology t = topology(port, 4, "lab");
        t.start(0);
        Map<Integer, OverlayPeer> peers = admit(t, "lab", 1, 8, 0);
        t.doWork(0);
        new Links().follow(t, peers);
        int silent = -1;
        for (OverlayPeer p : peers.values()) {
            if (p.linked && silent < 0) {
                silent = p.peerId;
            } else if (p.linked) {
                t.sessionInstalled(p.peerId, MS);
            }
        }
        t.doWork((DOWN_AFTER_MS - 1) * MS);
        assertEquals(silent, t.nextHop(silent), "not yet down");
        t.doWork((DOWN_AFTER_MS + 1) * MS);
        Links links = new Links();
        links.follow(t, peers);
        assertTrue(t.wantsLink(silent), "still probed: the plan over all members links to it");
        assertTrue(peers.get(silent).linked);
        List<Integer> live = new ArrayList<>(List.of(0, 1, 2, 3, 4, 5, 6, 7, 8));
        live.remove(Integer.valueOf(silent));
        Plan around = new TopologyPlanner(4, 1).plan(ids(live.stream().mapToInt(Integer::intValue).toArray()),
                id(0));
        for (OverlayPeer p : peers.values()) {
            if (p.peerId != silent) {
                assertEquals(indexOf(around.nextHop().get(id(p.peerId))), t.nextHop(p.peerId), p.name);
                assertEquals(around.links().contains(id(p.peerId)), p.linked, p.name + " follows the plan around it");
            }
        }
        assertTrue(sourcesOf(port, address(silent)).isEmpty(), "nothing accepted from a member planned around");

        t.sessionInstalled(silent, (DOWN_AFTER_MS + 2) * MS);
        t.doWork((DOWN_AFTER_MS + 3) * MS);
        new Links().follow(t, peers);
        assertLinksFollow(new TopologyPlanner(4, 1).plan(ids(range(0, 8)), id(0)), t, peers);
        assertFalse(sourcesOf(port, address(silent)).isEmpty(), "planned back in");
    }

    @Test
    void busyPeersAreFollowedOnceTheirIceWorkIsDone() {
        TablePort port = new TablePort();
        OverlayTopology t = topology(port, 8, "lab");
        t.start(0);
        Map<Integer, OverlayPeer> peers = admit(t, "lab", 1, 2, 0);
        t.doWork(MS);
        peers.get(1).busy = true;
        Links links = new Links();
        assertEquals(1, links.follow(t, peers));
        assertEquals(List.of("m2"), links.linked);
        peers.get(1).busy = false;
        assertEquals(1, links.follow(t, peers));
        assertEquals(List.of("m2", "m1"), links.linked);
    }

    @Test
    void staticPeersStayLinkedAndRoutedAsWithoutTopology() {
        TablePort port = new TablePort();
        OverlayTopology t = topology(port, 8, "lab");
        t.staticPeer(1, List.of(IpPrefix.parse("198.51.100.0/24")));
        t.start(0);
        assertTrue(t.wantsLink(1));
        assertEquals(1, t.nextHop(1));
        assertEquals(List.of("198.51.100.0/24 1"), port.plain);
        t.memberChanged(1, key(1), List.of(IpPrefix.parse("203.0.113.0/24")), MS);
        assertEquals(List.of("198.51.100.0/24 1", "-198.51.100.0/24", "203.0.113.0/24 1"), port.plain);
        t.memberRemoved(1, 2 * MS);
        assertFalse(t.wantsLink(1));
    }

    @Test
    void eachOverlayIsPlannedOverItsOwnMembers() {
        TablePort port = new TablePort();
        OverlayTopology t = topology(port, 3, "a", "b");
        t.start(0);
        Map<Integer, OverlayPeer> peers = admit(t, "a", 1, 2, 0);
        peers.putAll(admit(t, "b", 3, 7, 0));
        t.doWork(MS);
        new Links().follow(t, peers);
        assertTrue(t.plan("a").mesh(), "three members in a: a mesh");
        assertTrue(peers.get(1).linked && peers.get(2).linked);
        assertFalse(t.plan("b").mesh(), "six members in b: a ring");
        assertEquals(new TopologyPlanner(3, 1).plan(ids(0, 3, 4, 5, 6, 7), id(0)).links(), t.plan("b").links());
        assertThrows(IllegalArgumentException.class, () -> t.admit("c", 8, key(8), List.of(address(8)), MS));
        assertThrows(IllegalArgumentException.class, () -> t.admit("a", 9, SELF, List.of(address(9)), MS));
    }

    @Test
    void aJoinAboveTheMeshSizeTurnsTheMeshIntoARingAndALeaveTurnsItBack() {
        TablePort port = new TablePort();
        OverlayTopology t = topology(port, 8, "lab");
        t.start(0);
        Map<Integer, OverlayPeer> peers = admit(t, "lab", 1, 7, 0);
        t.doWork(MS);
        new Links().follow(t, peers);
        for (OverlayPeer p : peers.values()) {
            assertTrue(p.linked, p.name + ": eight members, a mesh");
            assertEquals(p.peerId, t.nextHop(p.peerId));
        }
        assertTrue(t.plan("lab").mesh());

        // Four join (with these keys this node links to every member of rings of up to eleven).
        peers.putAll(admit(t, "lab", 8, 11, 2 * MS));
        t.doWork(3 * MS);
        Links links = new Links();
        links.follow(t, peers);
        Plan ring = new TopologyPlanner(8, 1).plan(ids(range(0, 11)), id(0));
        assertFalse(t.plan("lab").mesh(), "twelve members above a mesh size of eight: a ring");
        assertLinksFollow(ring, t, peers);
        assertFalse(links.unlinked.isEmpty(), "the ring keeps every link: the test proves nothing");
        for (String name : links.unlinked) {
            int i = Integer.parseInt(name.substring(1));
            assertNotEquals(i, port.routes.get(address(i)), name + " is routed through its next hop");
        }

        for (int leaving = 8; leaving <= 11; leaving++) {
            port.removePeer(leaving);
            t.leave(leaving, 4 * MS);
            peers.remove(leaving).gone = true;
        }
        t.doWork(5 * MS);
        Links back = new Links();
        back.follow(t, peers);
        assertTrue(t.plan("lab").mesh(), "eight again: a mesh");
        assertEquals(new HashSet<>(links.unlinked), new HashSet<>(back.linked), "the unlinked are linked again");
        for (OverlayPeer p : peers.values()) {
            assertTrue(p.linked, p.name);
            assertEquals(p.peerId, port.routes.get(address(p.peerId)), p.name + " routed to itself");
        }
    }

    @Test
    void theRequesterOfAnOnDemandLinkOffersItEvenWhenItsNameMakesItTheAnswerer() {
        TablePort port = new TablePort();
        OverlayTopology t = new OverlayTopology(new TopologyConfig(4, 1, DOWN_AFTER_MS, 1000, 1000, 5000), SELF,
                port, List.of("lab"));
        t.start(0);
        Map<Integer, OverlayPeer> peers = admit(t, "lab", 1, 11, 0);
        t.doWork(MS);
        new Links().follow(t, peers);
        OverlayPeer far = null;
        OverlayPeer plannedAnswerer = null;
        for (OverlayPeer p : peers.values()) {
            if (!p.linked && !p.offerer && far == null) {
                far = p;
            } else if (p.linked && !p.offerer) {
                plannedAnswerer = p;
            }
        }
        assertTrue(far != null && plannedAnswerer != null, "the keys give no unplanned and planned answerer");
        assertFalse(t.offers(far), "no link wanted: nothing to offer");
        assertFalse(t.offers(plannedAnswerer), "a planned link with the offerer at the other end");
        for (OverlayPeer p : peers.values()) {
            if (p.offerer) {
                assertTrue(t.offers(p), p.name);
            }
        }

        int hop = t.nextHop(far.peerId);
        assertNotEquals(far.peerId, hop);
        t.trafficReport(address(far.peerId), hop, 5000, 1000, 2 * MS);
        Links links = new Links();
        links.follow(t, peers);
        assertEquals(List.of(far.name), links.linked, "the busy forwarded member gets a link");
        assertTrue(t.offers(far), "its plan does not link to us: it never offers, so we do");
        t.sessionInstalled(far.peerId, 3 * MS);
        assertEquals(far.peerId, t.nextHop(far.peerId), "direct once the session is installed");
        assertTrue(t.offers(far), "a broken direct link is restarted from this end as well");

        t.doWork(10_000 * MS);
        Links idle = new Links();
        idle.follow(t, peers);
        assertEquals(List.of(far.name), idle.unlinked, "idle: torn down");
        assertEquals(hop, t.nextHop(far.peerId));
        assertFalse(t.offers(far));
    }
}
