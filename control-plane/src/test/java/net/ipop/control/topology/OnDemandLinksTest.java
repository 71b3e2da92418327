package net.ipop.control.topology;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.junit.jupiter.api.Test;

import net.ipop.control.config.TopologyConfig;
import net.ipop.control.node.DataPlanePort;
import net.ipop.crypto.Suite;
import net.ipop.crypto.cert.IpPrefix;
import net.ipop.crypto.noise.SessionKeys;
import net.ipop.ipc.sbe.RouteKind;

/**
 * The topology manager's on-demand decisions, against a fake data plane that keeps the route and source tables the
 * commands leave behind: a report for a forwarded member asks for a link, its session routes it directly, idleness
 * routes it back and retires the sessions once; the far end accepts directly while it holds a session; planned
 * and down members, unknown prefixes, failed handshakes (with back-off) and a data plane restart.
 */
class OnDemandLinksTest {
    private static final long MS = 1_000_000L;
    private static final int DOWN_AFTER_MS = 10_000;
    private static final long THRESHOLD = 1_000_000;
    private static final int INTERVAL_MS = 1_000;
    private static final int IDLE_MS = 5_000;

    /** The data plane's tables as the manager's commands leave them. */
    private static final class TablePort implements DataPlanePort {
        final Map<IpPrefix, Integer> routes = new HashMap<>();
        final Set<List<Object>> sources = new HashSet<>();
        final List<String> reportSettings = new ArrayList<>();

        @Override
        public void configureInterface(int mtu, List<IpPrefix> addresses) {
        }

        @Override
        public void addPeer(int peerId, String name, Suite suite, int keepaliveMs, byte[] staticKey) {
        }

        @Override
        public void removePeer(int peerId) {
        }

        @Override
        public void setEndpoint(int peerId, InetSocketAddress endpoint) {
        }

        @Override
        public void setRelayedEndpoint(int peerId, InetSocketAddress turnServer, int channel,
                InetSocketAddress peerRelayed) {
        }

        @Override
        public void addRoute(IpPrefix prefix, int peerId) {
            throw new AssertionError("the manager routes with explicit kinds");
        }

        @Override
        public void addRoute(IpPrefix prefix, int peerId, RouteKind kind) {
            switch (kind) {
                case ROUTE_ONLY -> routes.put(prefix, peerId);
                case SOURCE_ONLY -> assertTrue(sources.add(List.of(prefix, peerId)), "source added twice");
                default -> throw new AssertionError(kind.toString());
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
        public void setTrafficReport(long thresholdBytes, int intervalMs) {
            reportSettings.add(thresholdBytes + "/" + intervalMs);
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

        boolean accepts(int member, int from) {
            return sources.contains(List.of(prefix(member), from));
        }
    }

    private static String id(int i) {
        return "member-" + i;
    }

    private static IpPrefix prefix(int i) {
        return IpPrefix.parse("192.0.2." + i + "/32");
    }

    private static int peer(String id) {
        return Integer.parseInt(id.substring("member-".length()));
    }

    /** Self is member 0 of a ring of 20 (mesh up to 8, one successor); members 1..19 are peers 1..19. */
    private static TopologyManager manager(TablePort port, long threshold) {
        TopologyManager m = new TopologyManager(new TopologyConfig(8, 1, DOWN_AFTER_MS, threshold, INTERVAL_MS,
                IDLE_MS), id(0), port);
        for (int i = 1; i < 20; i++) {
            m.addMember(i, id(i), List.of(prefix(i)), 0);
        }
        return m;
    }

    /** Starts the manager at time 0 with a session with every planned neighbour (none goes down meanwhile). */
    private static void start(TopologyManager m) {
        m.start(0);
        for (String linked : m.plan().links()) {
            m.sessionInstalled(peer(linked), 0);
        }
    }

    /** A member the plan reaches through another. */
    private static int forwarded(TopologyManager m) {
        for (int i = 1; i < 20; i++) {
            if (!m.plan().links().contains(id(i))) {
                return i;
            }
        }
        throw new AssertionError("a ring of 20 links everyone");
    }

    private static void report(TopologyManager m, int member, long nowNanos) {
        m.trafficReport(prefix(member), m.nextHop(member), 2 * THRESHOLD, INTERVAL_MS, nowNanos);
    }

    @Test
    void heavyTrafficToAForwardedMemberLinksItDirectlyAndIdlenessRoutesItBackAndRetiresTheSessionsOnce() {
        TablePort port = new TablePort();
        TopologyManager m = manager(port, THRESHOLD);
        start(m);
        assertEquals(List.of(THRESHOLD + "/" + INTERVAL_MS), port.reportSettings, "reports not asked for");
        int d = forwarded(m);
        int hop = peer(m.plan().nextHop().get(id(d)));
        assertEquals(hop, port.routes.get(prefix(d)));
        assertFalse(m.wantsLink(d));

        report(m, d, 1_000 * MS);
        assertTrue(m.wantsLink(d), "no handshake wanted after a report over the threshold");
        assertEquals("REQUESTED", m.onDemandState(d));
        assertEquals(hop, port.routes.get(prefix(d)), "routed directly before a session exists");
        assertEquals(hop, m.nextHop(d));
        assertTrue(port.accepts(d, d), "not accepted directly while the handshake runs");

        m.sessionInstalled(d, 1_100 * MS);
        assertEquals("DIRECT", m.onDemandState(d));
        assertEquals(d, port.routes.get(prefix(d)), "not routed directly once the session is installed");
        assertTrue(port.accepts(d, d), "its packets are not accepted directly");
        for (String c : m.plan().acceptsFrom(id(d))) {
            assertTrue(port.accepts(d, peer(c)), "the planned source entry from " + c + " went");
        }
        assertEquals(d, m.nextHop(d), "status would still say forwarded");

        // Reports keep it; the idle time counts from the last one.
        report(m, d, 5_000 * MS);
        m.doWork(5_000 * MS + IDLE_MS * MS - 1);
        assertEquals("DIRECT", m.onDemandState(d), "torn down while in use");
        assertFalse(m.retireSessions(d));

        assertTrue(m.doWork(5_000 * MS + IDLE_MS * MS) > 0);
        assertNull(m.onDemandState(d));
        assertEquals(hop, port.routes.get(prefix(d)), "not routed back through the plan");
        assertFalse(port.accepts(d, d), "still accepted directly");
        assertFalse(m.wantsLink(d));
        assertEquals(hop, m.nextHop(d));
        assertTrue(m.retireSessions(d), "the link's sessions are not retired");
        assertFalse(m.retireSessions(d), "retired twice");
        assertEquals(1, m.onDemandRequests());
        assertEquals(1, m.onDemandTeardowns());
        m.sessionsGone(d, 10_001 * MS);
        assertNull(m.onDemandState(d));
    }

    @Test
    void theFarEndAcceptsAnUnplannedMembersPacketsDirectlyWhileItHoldsASessionButRoutesAsPlanned() {
        TablePort port = new TablePort();
        TopologyManager m = manager(port, THRESHOLD);
        start(m);
        int a = forwarded(m);
        int hop = port.routes.get(prefix(a));
        m.sessionInstalled(a, 10 * MS);
        assertEquals("ANSWERED", m.onDemandState(a));
        assertTrue(port.accepts(a, a), "the requester's packets would be dropped as foreign sources");
        assertEquals(hop, port.routes.get(prefix(a)), "the answerer re-routed");
        assertFalse(m.wantsLink(a), "the answerer initiates or rekeys a link it did not ask for");

        m.sessionsGone(a, 200_000 * MS);
        assertNull(m.onDemandState(a));
        assertFalse(port.accepts(a, a), "still accepted directly without a session");

        int planned = peer(m.plan().links().iterator().next());
        m.sessionInstalled(planned, 300_000 * MS);
        assertNull(m.onDemandState(planned), "a planned link became on-demand");
    }

    @Test
    void withOnDemandLinksOffNothingIsAskedForRequestedOrAnswered() {
        TablePort port = new TablePort();
        TopologyManager m = manager(port, 0);
        start(m);
        assertEquals(List.of(), port.reportSettings, "reports asked for with on-demand links off");
        int d = forwarded(m);
        report(m, d, MS);
        assertFalse(m.wantsLink(d));
        m.sessionInstalled(d, 2 * MS);
        assertNull(m.onDemandState(d));
        assertFalse(port.accepts(d, d), "accepted directly with on-demand links off");
    }

    @Test
    void plannedDownAndUnknownDestinationsAreNotLinkedOnDemand() {
        TablePort port = new TablePort();
        TopologyManager m = manager(port, THRESHOLD);
        m.start(0);
        int planned = peer(m.plan().links().iterator().next());
        report(m, planned, MS);
        assertNull(m.onDemandState(planned));
        m.trafficReport(IpPrefix.parse("203.0.113.0/24"), 1, 10 * THRESHOLD, INTERVAL_MS, MS);
        assertEquals(0, m.onDemandRequests(), "a prefix of no member was linked");

        // A planned neighbour that never answers goes down; reports for it ask for nothing.
        for (int i = 1; i < 20; i++) {
            if (i != planned) {
                m.sessionInstalled(i, 2 * MS);
            }
        }
        m.doWork(DOWN_AFTER_MS * MS + MS);
        assertTrue(m.down(planned));
        report(m, planned, DOWN_AFTER_MS * MS + 2 * MS);
        assertNull(m.onDemandState(planned));
        assertEquals(0, m.onDemandRequests());
    }

    @Test
    void aHandshakeThatDoesNotCompleteIsGivenUpWithoutMarkingTheMemberDownAndBacksOff() {
        TablePort port = new TablePort();
        TopologyManager m = manager(port, THRESHOLD);
        start(m);
        int d = forwarded(m);
        int hop = port.routes.get(prefix(d));
        report(m, d, MS);
        assertTrue(m.wantsLink(d));
        m.doWork(MS + DOWN_AFTER_MS * MS);
        assertNull(m.onDemandState(d));
        assertFalse(m.wantsLink(d), "still handshaking after giving up");
        assertFalse(m.down(d), "a member unreachable directly is planned around");
        assertEquals(hop, port.routes.get(prefix(d)));

        report(m, d, 2 * MS + DOWN_AFTER_MS * MS);
        assertFalse(m.wantsLink(d), "asked again within the back-off");
        report(m, d, 2 * MS + (DOWN_AFTER_MS + IDLE_MS) * MS);
        assertTrue(m.wantsLink(d), "never asked again after the back-off");
        assertEquals(2, m.onDemandRequests());
    }

    @Test
    void aDataPlaneRestartForgetsTheLinksAndAsksForReportsAgain() {
        TablePort port = new TablePort();
        TopologyManager m = manager(port, THRESHOLD);
        start(m);
        int d = forwarded(m);
        report(m, d, MS);
        m.sessionInstalled(d, 2 * MS);
        assertEquals(d, port.routes.get(prefix(d)));
        port.routes.clear();
        port.sources.clear();
        m.start(3 * MS);
        assertNull(m.onDemandState(d));
        assertEquals(peer(m.plan().nextHop().get(id(d))), port.routes.get(prefix(d)));
        assertEquals(2, port.reportSettings.size());
    }
}
