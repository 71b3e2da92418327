package net.ipop.control.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import org.junit.jupiter.api.Test;

import net.ipop.control.config.PeerConfig;
import net.ipop.crypto.Suite;
import net.ipop.crypto.cert.IpPrefix;
import net.ipop.crypto.noise.NoiseKeyPair;
import net.ipop.crypto.noise.PeerTimers;

/** What a node reports to its observer, and peer changes applied while it runs (a config reload). */
class StaticNodeReconfigureTest {
    private static final long MS = 1_000_000L;
    private static final long S = 1_000 * MS;
    private static final InetSocketAddress ADDRESS_A = Nodes.endpoint("198.51.100.1", 51820);
    private static final InetSocketAddress ADDRESS_B = Nodes.endpoint("203.0.113.2", 51820);
    private static final InetSocketAddress ADDRESS_B2 = Nodes.endpoint("203.0.113.20", 51821);

    private final FakeClock clock = new FakeClock();
    private final FakeLink link = new FakeLink(clock);
    private final NoiseKeyPair[] keys = Nodes.orderedPair();
    private final NoiseKeyPair keyA = keys[0];
    private final NoiseKeyPair keyB = keys[1];
    private final FakePort portA = new FakePort(ADDRESS_A);
    private final FakePort portB = new FakePort(ADDRESS_B);
    private final Recording seenA = new Recording();
    private final Recording seenB = new Recording();
    private StaticNode a;
    private StaticNode b;
    private PeerConfig beta;

    /** Records observer calls as text. */
    static final class Recording implements NodeObserver {
        final List<String> events = new ArrayList<>();
        long roundTrip = -2;

        @Override
        public void handshakeStarted(String peer) {
            events.add("started " + peer);
        }

        @Override
        public void handshakeCompleted(String peer, long roundTripNanos) {
            events.add("completed " + peer + (roundTripNanos < 0 ? " as responder" : ""));
            roundTrip = roundTripNanos;
        }

        @Override
        public void handshakeFailed(String peer) {
            events.add("failed " + peer);
        }

        @Override
        public void linkChanged(String peer, boolean up) {
            events.add(peer + (up ? " up" : " down"));
        }

        @Override
        public void peersChanged(List<String> names) {
            events.add("peers " + names);
        }
    }

    private void start() {
        beta = Nodes.peer("beta", keyB, ADDRESS_B, "192.0.2.2/32", Suite.AES256GCM);
        a = new StaticNode(Nodes.config("alpha", keyA, "192.0.2.1/24", Suite.AES256GCM, beta), keyA, portA, clock,
                Nodes.RANDOM);
        b = new StaticNode(Nodes.config("beta", keyB, "192.0.2.2/24", Suite.AES256GCM,
                Nodes.peer("alpha", keyA, ADDRESS_A, "192.0.2.1/32", Suite.AES256GCM)), keyB, portB, clock,
                Nodes.RANDOM);
        a.observe(seenA);
        b.observe(seenB);
        link.attach(portA, a);
        link.attach(portB, b);
        a.start();
        b.start();
        link.pump();
    }

    @Test
    void handshakesAndLinksAreReportedWithTheRoundTrip() {
        // Each packet takes 7 ms to cross (the link has no latency of its own).
        link.loss = (port, bytes) -> {
            clock.advance(7 * MS);
            return false;
        };
        start();
        link.run(StaticNode.START_DEFER_NANOS + PeerTimers.REKEY_TIMEOUT_NANOS, 1 * MS);
        assertEquals(List.of("peers [beta]", "started beta", "beta up", "completed beta"), seenA.events);
        assertEquals(14 * MS, seenA.roundTrip, "one way and back on the fake link");
        assertEquals(List.of("peers [alpha]", "alpha up", "completed alpha as responder"), seenB.events);
    }

    @Test
    void anAttemptGivenUpIsReportedFailed() {
        link.loss = (from, bytes) -> true;
        start();
        link.run(PeerTimers.REKEY_ATTEMPT_TIME_NANOS + S, 100 * MS);
        assertEquals(List.of("peers [beta]", "started beta", "failed beta"), seenA.events,
                "retransmissions are not new attempts");
    }

    @Test
    void aChangedEndpointKeepaliveAndAllowedAddressesReachTheDataPlane() {
        start();
        link.run(StaticNode.START_DEFER_NANOS + PeerTimers.REKEY_TIMEOUT_NANOS, 10 * MS);
        int sessions = portA.installed.size();
        portA.commands.clear();
        PeerConfig moved = new PeerConfig("beta", beta.publicKey(), Optional.of(ADDRESS_B2),
                List.of(IpPrefix.parse("192.0.2.2/32"), IpPrefix.parse("198.51.100.128/25")), 25_000,
                Suite.AES256GCM);
        List<String> changes = a.reconfigure(List.of(moved));
        assertEquals(3, changes.size(), changes.toString());
        assertEquals(List.of("peer 1 beta AES256GCM 25000", "route 198.51.100.128/25 1", "endpoint 1 " + ADDRESS_B2),
                portA.commands);
        assertEquals(ADDRESS_B2, a.endpoint(1));
        assertEquals(sessions, portA.installed.size(), "the session with beta is kept");
        assertTrue(portA.retired.isEmpty(), portA.retired.toString());

        portA.commands.clear();
        a.reconfigure(List.of(new PeerConfig("beta", beta.publicKey(), Optional.of(ADDRESS_B2),
                List.of(IpPrefix.parse("198.51.100.128/25")), 25_000, Suite.AES256GCM)));
        assertEquals(List.of("unroute 192.0.2.2/32"), portA.commands);
        assertTrue(a.reconfigure(List.of(new PeerConfig("beta", beta.publicKey(), Optional.of(ADDRESS_B2),
                List.of(IpPrefix.parse("198.51.100.128/25")), 25_000, Suite.AES256GCM))).isEmpty(), "no change twice");
    }

    @Test
    void peersAreRemovedAndAddedWithNewIds() {
        start();
        link.run(StaticNode.START_DEFER_NANOS + PeerTimers.REKEY_TIMEOUT_NANOS, 10 * MS);
        seenA.events.clear();
        portA.commands.clear();
        NoiseKeyPair keyC = NoiseKeyPair.generate(Nodes.RANDOM);
        PeerConfig gamma = Nodes.peer("gamma", keyC, Nodes.endpoint("203.0.113.3", 51820), "192.0.2.3/32",
                Suite.CHACHA20POLY1305);
        List<String> changes = a.reconfigure(List.of(gamma));
        assertEquals(List.of("peer beta (peer 1) removed", "peer gamma (peer 2) added"), changes);
        assertEquals(List.of("remove 1", "peer 2 gamma CHACHA20POLY1305 0", "route 192.0.2.3/32 2",
                "endpoint 2 /203.0.113.3:51820"), portA.commands);
        assertEquals(List.of("beta down", "peers [gamma]"), seenA.events);
        assertEquals(List.of("gamma"), a.peerNames());
        int injected = portA.injected;
        a.doWork();
        assertEquals(injected + 1, portA.injected, "an initiation to the new peer at once");
        assertEquals(List.of("beta down", "peers [gamma]", "started gamma"), seenA.events);
        assertFalse(a.reconfigure(List.of(gamma, beta)).isEmpty());
        assertEquals(List.of("gamma", "beta"), a.peerNames(), "beta comes back as a new peer (id 3)");
        assertEquals("peers [gamma, beta]", seenA.events.getLast());
        seenA.events.clear();
        assertTrue(a.reconfigure(List.of(gamma, beta)).isEmpty());
        assertFalse(seenA.events.contains("peers [gamma, beta]"), "an unchanged list is not reported again");
    }

    @Test
    void membersAddedAndRemovedAtRunTimeAreReported() {
        start();
        assertEquals("peers [beta]", seenA.events.getFirst(), "the peers at observe()");
        NoiseKeyPair keyC = NoiseKeyPair.generate(Nodes.RANDOM);
        int id = a.addPeer(Nodes.peer("gamma", keyC, null, "192.0.2.3/32", Suite.AES256GCM));
        assertEquals("peers [beta, gamma]", seenA.events.getLast());
        a.removePeer(id);
        assertEquals("peers [beta]", seenA.events.getLast());
    }
}
