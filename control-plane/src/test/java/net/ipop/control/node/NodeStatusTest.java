package net.ipop.control.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.net.InetSocketAddress;
import java.util.List;

import org.junit.jupiter.api.Test;

import net.ipop.control.status.NodeSnapshot;
import net.ipop.control.status.PeerPath;
import net.ipop.control.status.PeerSnapshot;
import net.ipop.control.status.StatusBoard;
import net.ipop.crypto.Suite;
import net.ipop.crypto.cert.X25519Keys;
import net.ipop.crypto.noise.NoiseKeyPair;

/** What a {@link StaticNode} publishes for {@code ipop status}, on fake time through fake data planes. */
class NodeStatusTest {
    private static final long MS = 1_000_000L;
    private static final InetSocketAddress ADDRESS_A = Nodes.endpoint("198.51.100.1", 51820);
    private static final InetSocketAddress ADDRESS_B = Nodes.endpoint("203.0.113.2", 51820);

    private final FakeClock clock = new FakeClock();
    private final FakeLink link = new FakeLink(clock);
    private final NoiseKeyPair[] keys = Nodes.orderedPair();
    private final FakePort portA = new FakePort(ADDRESS_A);
    private final FakePort portB = new FakePort(ADDRESS_B);
    private final StatusBoard boardA = new StatusBoard();
    private final StatusBoard boardB = new StatusBoard();

    private long epochMs() {
        return clock.epochNanos() / MS;
    }

    @Test
    void theSnapshotShowsPeersEndpointsTheHandshakeAndItsRoundTrip() {
        // A (the smaller key) initiates at start; B does not know A's endpoint and only answers.
        StaticNode a = new StaticNode(Nodes.config("alpha", keys[0], "192.0.2.1/24", Suite.AES256GCM,
                Nodes.peer("beta", keys[1], ADDRESS_B, "192.0.2.2/32", Suite.AES256GCM)), keys[0], portA, clock,
                Nodes.RANDOM);
        StaticNode b = new StaticNode(Nodes.config("beta", keys[1], "192.0.2.2/24", Suite.AES256GCM,
                Nodes.peer("alpha", keys[0], null, "192.0.2.1/32", Suite.AES256GCM)), keys[1], portB, clock,
                Nodes.RANDOM);
        link.attach(portA, a);
        link.attach(portB, b);
        a.setStatusListener(boardA);
        b.setStatusListener(boardB);
        assertNull(boardA.current(), "nothing is published before the node's thread runs");

        a.start();
        b.start();
        long sentMs = epochMs();
        NodeSnapshot before = boardA.current();
        assertEquals("alpha", before.name());
        assertEquals(List.of("192.0.2.1/24"), before.addresses());
        assertEquals(X25519Keys.toBase64(keys[0].publicKey()), before.publicKey());
        assertEquals("0.0.0.0:51820", before.listen());
        PeerSnapshot beta = before.peers().get(0);
        assertEquals(new PeerSnapshot(1, "beta", X25519Keys.toBase64(keys[1].publicKey()), List.of("192.0.2.2/32"), "203.0.113.2:51820",
                PeerPath.DIRECT, null, PeerSnapshot.NEVER, PeerSnapshot.NOT_MEASURED, PeerSnapshot.NEVER), beta);
        PeerSnapshot alphaUnknown = boardB.current().peers().get(0);
        assertNull(alphaUnknown.endpoint());
        assertEquals(PeerPath.NONE, alphaUnknown.path());

        // The initiation is in flight for 7 ms of fake time: that is the round trip A measures.
        clock.advance(7 * MS);
        link.pump();
        PeerSnapshot after = boardA.current().peers().get(0);
        assertEquals(7_000, after.rttMicros());
        assertEquals(sentMs + 7, after.lastHandshakeMs());
        assertEquals(sentMs + 7, after.sessionStartMs());
        PeerSnapshot alpha = boardB.current().peers().get(0);
        assertEquals("198.51.100.1:51820", alpha.endpoint(), "B learnt A's endpoint from the initiation");
        assertEquals(PeerPath.DIRECT, alpha.path());
        assertEquals(PeerSnapshot.NOT_MEASURED, alpha.rttMicros(), "the responder measures nothing");
        assertEquals(sentMs + 7, alpha.lastHandshakeMs());

        // Nothing changed: the node publishes nothing new (no snapshot per duty cycle).
        NodeSnapshot settled = boardA.current();
        clock.advance(10 * MS);
        a.doWork();
        assertSame(settled, boardA.current());
        assertNotSame(before, settled);
    }

    @Test
    void aRelayedEndpointAndAPeerReachedThroughAnotherShowTheirPaths() {
        NoiseKeyPair gamma = Nodes.orderedPair()[1];
        StaticNode a = new StaticNode(Nodes.config("alpha", keys[0], "192.0.2.1/24", Suite.AES256GCM,
                Nodes.peer("beta", keys[1], ADDRESS_B, "192.0.2.2/32", Suite.AES256GCM),
                Nodes.peer("gamma", gamma, null, "192.0.2.3/32", Suite.AES256GCM)), keys[0], portA, clock,
                Nodes.RANDOM);
        // A topology that links alpha to beta only and reaches gamma (peer 2) through beta (peer 1).
        a.useLinkPolicy(new LinkPolicy() {
            @Override public void start(long nowNanos) { }
            @Override public boolean wantsLink(int peerId) { return peerId == 1; }
            @Override public void sessionInstalled(int peerId, long nowNanos) { }
            @Override public void rekeyDue(int peerId, long nowNanos) { }
            @Override public void memberChanged(int peerId, byte[] key, List<net.ipop.crypto.cert.IpPrefix> prefixes,
                                                long nowNanos) { }
            @Override public void memberRemoved(int peerId, long nowNanos) { }
            @Override public int nextHop(int peerId) { return 1; }
            @Override public int doWork(long nowNanos) { return 0; }
        });
        link.attach(portA, a); // beta's end is not attached: its initiation goes nowhere
        a.setStatusListener(boardA);
        a.start();
        PeerSnapshot gammaSeen = boardA.current().peers().get(1);
        assertEquals(PeerPath.FORWARDED, gammaSeen.path());
        assertEquals("beta", gammaSeen.via());
        assertEquals(PeerPath.DIRECT, boardA.current().peers().get(0).path());

        // ICE chose a pair through a TURN server for beta.
        a.setEndpoint(1, Nodes.endpoint("203.0.113.9", 49152), true);
        a.doWork();
        PeerSnapshot betaSeen = boardA.current().peers().get(0);
        assertEquals(PeerPath.RELAYED, betaSeen.path());
        assertEquals("203.0.113.9:49152", betaSeen.endpoint());
        assertNull(betaSeen.via());
    }
}
