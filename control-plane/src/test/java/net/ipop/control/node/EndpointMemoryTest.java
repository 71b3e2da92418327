package net.ipop.control.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

import net.ipop.crypto.MessageTypes;
import net.ipop.crypto.Suite;
import net.ipop.crypto.noise.NoiseKeyPair;
import net.ipop.crypto.noise.PeerTimers;

/**
 * A node restarted over a new data plane (as NodeMain does after the data plane died) starts its peers at the
 * endpoints an {@link EndpointMemory} kept: a peer behind a NAT, which the configuration gives no endpoint, is
 * initiated to at once instead of waiting for it to notice the dead tunnel. On fake time through fake data planes.
 */
class EndpointMemoryTest {
    private static final long MS = 1_000_000L;
    private static final InetSocketAddress ADDRESS_A = Nodes.endpoint("198.51.100.1", 51820);
    private static final InetSocketAddress ADDRESS_B = Nodes.endpoint("203.0.113.2", 51820);
    /** Where B's NAT mapped it after a roam. */
    private static final InetSocketAddress ROAMED_B = Nodes.endpoint("198.51.100.102", 40001);
    private static final int PEER = 1;

    private final FakeClock clock = new FakeClock();
    private final FakeLink link = new FakeLink(clock);
    private final NoiseKeyPair[] keys = Nodes.orderedPair();
    /** B is the NATed side A does not know; A's config has no endpoint for it. A's key is the greater. */
    private final NoiseKeyPair keyA = keys[1];
    private final NoiseKeyPair keyB = keys[0];

    private StaticNode alpha(FakePort port) {
        return new StaticNode(Nodes.config("alpha", keyA, "192.0.2.1/24", Suite.AES256GCM,
                Nodes.peer("beta", keyB, null, "192.0.2.2/32", Suite.AES256GCM)), keyA, port, clock, Nodes.RANDOM);
    }

    @Test
    void aRestartedNodeInitiatesToTheEndpointItLearnedBeforeAndAFreshOneCannot() {
        EndpointMemory memory = new EndpointMemory();
        FakePort portA = new FakePort(ADDRESS_A);
        FakePort portB = new FakePort(ADDRESS_B);
        StaticNode a = alpha(portA);
        a.rememberEndpoints(memory);
        StaticNode b = new StaticNode(Nodes.config("beta", keyB, "192.0.2.2/24", Suite.AES256GCM,
                Nodes.peer("alpha", keyA, ADDRESS_A, "192.0.2.1/32", Suite.AES256GCM)), keyB, portB, clock,
                Nodes.RANDOM);
        link.attach(portA, a);
        link.attach(portB, b);
        a.start();
        b.start();
        link.run(PeerTimers.REKEY_TIMEOUT_NANOS, 10 * MS);
        assertFalse(a.sessions(PEER).isEmpty(), "B's handshake reached A");
        assertEquals(ADDRESS_B, memory.recall(keyB.publicKey()), "A learned B's endpoint from its handshake");

        // The data plane followed B to a new NAT mapping on a data packet; the tracker reports it.
        long changes = a.endpointChanges();
        a.dataPlaneEndpoint(PEER, ROAMED_B);
        assertEquals(ROAMED_B, a.endpoint(PEER));
        assertEquals(ROAMED_B, memory.recall(keyB.publicKey()));
        assertEquals(changes, a.endpointChanges(), "a report of the data plane is not a change of the node's own");

        // A's data plane died: a new node over a new (empty) data plane.
        List<InetSocketAddress> sentTo = new ArrayList<>();
        List<Byte> types = new ArrayList<>();
        FakePort restarted = new FakePort(ADDRESS_A);
        restarted.wire = (to, bytes) -> {
            sentTo.add(to);
            types.add(bytes[0]);
        };
        StaticNode a2 = alpha(restarted);
        a2.rememberEndpoints(memory);
        a2.start();
        assertTrue(restarted.commands.contains("endpoint 1 " + ROAMED_B), restarted.commands.toString());
        // At once, though A's key is the greater: B kept its session and will not initiate, nothing can cross.
        assertEquals(List.of(ROAMED_B), sentTo, "the restarted node initiates to the remembered endpoint");
        assertEquals(MessageTypes.AES_INITIATION, (byte) types.get(0));

        // Without the memory, the restarted node knows no endpoint and can only wait for B.
        FakePort forgetful = new FakePort(ADDRESS_A);
        forgetful.wire = (to, bytes) -> sentTo.add(to);
        StaticNode a3 = alpha(forgetful);
        a3.start();
        clock.advance(StaticNode.START_DEFER_NANOS + 10 * MS);
        a3.doWork();
        assertEquals(1, sentTo.size(), "nothing sent without an endpoint");
        assertNull(a3.endpoint(PEER));
    }

    @Test
    void aRepushSendsTheStateAgainWithoutTouchingSessions() {
        FakePort portA = new FakePort(ADDRESS_A);
        portA.wire = (to, bytes) -> { };
        StaticNode a = alpha(portA);
        EndpointMemory memory = new EndpointMemory();
        memory.remember(keyB.publicKey(), ROAMED_B);
        a.rememberEndpoints(memory);
        a.start();
        List<String> first = List.copyOf(portA.commands);
        portA.commands.clear();
        a.repush();
        assertEquals(List.of("interface 1420 [192.0.2.1/24]", "peer 1 beta AES256GCM 0", "route 192.0.2.2/32 1",
                "endpoint 1 " + ROAMED_B), portA.commands);
        assertTrue(first.containsAll(portA.commands), first + " vs " + portA.commands);
    }
}
