package net.ipop.control.node;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

import net.ipop.crypto.Suite;
import net.ipop.crypto.noise.NoiseKeyPair;
import net.ipop.crypto.noise.PeerTimers;
import net.ipop.ipc.sbe.SessionEventKind;

/**
 * A node whose control plane is replaced while its data plane keeps running: the new {@link StaticNode} adopts
 * the data plane's state (built here from what the fake data plane was told, as QueryState would report it) and
 * carries on, on fake time, against a peer that never noticed.
 */
class AdoptionTest {
    private static final long MS = 1_000_000L;
    private static final long S = 1_000 * MS;
    private static final InetSocketAddress ADDRESS_A = Nodes.endpoint("198.51.100.1", 51820);
    private static final InetSocketAddress ADDRESS_B = Nodes.endpoint("203.0.113.2", 51820);
    /** Where B roamed to while A's control plane was down; the data plane learned it, the config did not. */
    private static final InetSocketAddress ROAMED_B = Nodes.endpoint("203.0.113.9", 40000);
    private static final int PEER = 1;

    private final FakeClock clock = new FakeClock();
    private final FakeLink link = new FakeLink(clock);
    private final NoiseKeyPair[] keys = Nodes.orderedPair();
    /** A's key is the smaller: A initiates the first session, so A rekeys it on age. */
    private final NoiseKeyPair keyA = keys[0];
    private final NoiseKeyPair keyB = keys[1];
    private final FakePort portA = new FakePort(ADDRESS_A);
    private final FakePort portB = new FakePort(ADDRESS_B);

    private StaticNode nodeA(DataPlaneState adopt, FakePort port, String... extraPeers) {
        List<net.ipop.control.config.PeerConfig> peers = new ArrayList<>();
        for (String name : extraPeers) {
            peers.add(Nodes.peer(name, Nodes.orderedPair()[0], null, "192.0.2.9/32", Suite.AES256GCM));
        }
        peers.add(Nodes.peer("beta", keyB, ADDRESS_B, "192.0.2.2/32", Suite.AES256GCM));
        return new StaticNode(Nodes.config("alpha", keyA, "192.0.2.1/24", Suite.AES256GCM,
                peers.toArray(net.ipop.control.config.PeerConfig[]::new)), keyA, port, clock, Nodes.RANDOM,
                System.getLogger(AdoptionTest.class.getName()), adopt);
    }

    /** A and B handshake; returns the time A's session was created. */
    private long establish(StaticNode a) {
        StaticNode b = new StaticNode(Nodes.config("beta", keyB, "192.0.2.2/24", Suite.AES256GCM,
                Nodes.peer("alpha", keyA, ADDRESS_A, "192.0.2.1/32", Suite.AES256GCM)), keyB, portB, clock,
                Nodes.RANDOM);
        link.attach(portA, a);
        link.attach(portB, b);
        long created = clock.nanoTime();
        a.start();
        b.start();
        link.pump();
        assertEquals(1, portA.installed.size(), "A's handshake did not complete");
        assertTrue(portA.installed.get(0).initiator());
        return created;
    }

    /** What the data plane reports after A's installs: B's key, its endpoint, A's sessions. */
    private DataPlaneState state(int peerId, InetSocketAddress endpoint, long createdNanos) {
        List<Session> sessions = new ArrayList<>();
        for (FakePort.Installed s : portA.installed) {
            sessions.add(new Session(s.localIndex(), s.remoteIndex(), s.initiator(), createdNanos));
        }
        return new DataPlaneState(List.of(new DataPlaneState.Peer(peerId, keyB.publicKey(), endpoint, sessions)));
    }

    @Test
    void anAdoptingNodeKeepsTheSessionAndRekeysItOnItsOriginalSchedule() {
        StaticNode a = nodeA(null, portA);
        long created = establish(a);
        FakePort.Installed first = portA.installed.get(0);
        link.run(100 * S, 100 * MS);
        assertEquals(1, portA.installed.size(), "rekeyed before the control plane was replaced");

        // A's control plane is killed; its data plane kept the session and learned B's new address by roaming.
        DataPlaneState state = state(PEER, ROAMED_B, created);
        portA.commands.clear();
        int injectedBefore = portA.injected;
        StaticNode adopted = nodeA(state, portA);
        link.attach(portA, adopted);
        adopted.start();
        link.pump();
        assertFalse(portA.commands.stream().anyMatch(c -> c.startsWith("remove") || c.startsWith("endpoint")),
                "adoption disturbed the peer: " + portA.commands);
        assertTrue(portA.commands.contains("peer 1 beta AES256GCM 0"), portA.commands.toString());
        assertEquals(injectedBefore, portA.injected, "adoption sent a handshake though the session is alive");
        assertEquals(1, portA.installed.size());
        assertEquals(ROAMED_B, adopted.endpoint(PEER), "the data plane's endpoint, not the configured one");
        assertEquals(List.of(new Session(first.localIndex(), first.remoteIndex(), true, created)),
                adopted.sessions(PEER));

        // B is really at its old address in this fake network: point the adopted endpoint back so the rekey arrives.
        portB.address = ROAMED_B;
        long rekeyAt = created + PeerTimers.REKEY_AFTER_TIME_NANOS;
        link.run(rekeyAt - clock.nanoTime() - S, 100 * MS);
        assertEquals(injectedBefore, portA.injected, "rekeyed before its time");
        link.run(2 * S, 100 * MS);
        assertEquals(injectedBefore + 1, portA.injected, "no rekey when the adopted session reached 120 s");
        assertEquals(2, portA.installed.size(), "the rekey did not complete");
        FakePort.Installed second = portA.installed.get(1);
        assertTrue(second.initiator());
        assertNotEquals(first.localIndex(), second.localIndex(), "a new session reused the adopted index");
        FakePort.Installed mirror = portB.installed.stream().filter(s -> s.localIndex() == second.remoteIndex())
                .findFirst().orElseThrow();
        assertArrayEquals(second.send(), mirror.receive());
        assertArrayEquals(second.receive(), mirror.send());

        // The data plane's expiry of the adopted session frees its index: the node knew it.
        adopted.onSessionEvent(PEER, first.localIndex(), SessionEventKind.EXPIRED);
        assertEquals(1, adopted.sessions(PEER).size());
        assertEquals(0, adopted.unknownSessionEvents());
    }

    @Test
    void peersAreMatchedByKeyNewOnesGetFreeIdsAndUnconfiguredOnesAreRemoved() {
        long created = clock.nanoTime();
        // The data plane knows beta as peer 3 and a peer 1 the config no longer lists.
        DataPlaneState state = new DataPlaneState(List.of(
                new DataPlaneState.Peer(1, Nodes.orderedPair()[1].publicKey(), null, List.of()),
                new DataPlaneState.Peer(3, keyB.publicKey(), ADDRESS_B,
                        List.of(new Session(77, 88, false, created)))));
        StaticNode adopted = nodeA(state, portA, "gamma");
        adopted.start();
        List<String> commands = portA.commands;
        assertTrue(commands.contains("peer 3 beta AES256GCM 0"), commands.toString());
        assertTrue(commands.contains("peer 2 gamma AES256GCM 0"), "gamma gets the first id not in use: " + commands);
        assertTrue(commands.contains("remove 1"), commands.toString());
        assertFalse(commands.contains("remove 3"), commands.toString());
        assertEquals(List.of(new Session(77, 88, false, created)), adopted.sessions(3));
        assertEquals(0, portA.injected, "beta has a session; gamma has no endpoint: nothing to initiate");
    }

    @Test
    void aPeerWithoutASessionIsHandshakenWithAtOnce() {
        DataPlaneState state = new DataPlaneState(List.of(
                new DataPlaneState.Peer(1, keyB.publicKey(), null, List.of())));
        StaticNode adopted = nodeA(state, portA);
        link.attach(portA, adopted);
        adopted.start();
        assertTrue(portA.commands.contains("endpoint 1 " + ADDRESS_B), "the configured endpoint is pushed");
        assertEquals(1, portA.injected, "an initiation to the configured endpoint");
    }
}
