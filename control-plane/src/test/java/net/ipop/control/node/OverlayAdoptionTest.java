package net.ipop.control.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import java.util.List;
import java.util.Optional;

import org.junit.jupiter.api.Test;

import net.ipop.control.config.PeerConfig;
import net.ipop.control.config.StaticPublicKey;
import net.ipop.crypto.Suite;
import net.ipop.crypto.cert.IpPrefix;
import net.ipop.crypto.noise.NoiseKeyPair;

/**
 * An overlay node adopting a running data plane ({@link StaticNode#adoptingOverlay}): its configuration lists no
 * members, so the data plane's peers are held, not removed, until members announce themselves; a member with a held
 * peer's key gets back its id, sessions and path without a command that would disturb them; peers nobody claims go
 * after the grace period. On fake time through a fake data plane.
 */
class OverlayAdoptionTest {
    private static final long S = 1_000_000_000L;
    private static final InetSocketAddress ADDRESS_A = Nodes.endpoint("198.51.100.1", 51820);
    /** Beta's relayed address on the TURN server, as the data plane reports it. */
    private static final InetSocketAddress RELAYED_B = Nodes.endpoint("203.0.113.100", 50000);
    private static final InetSocketAddress GAMMA = Nodes.endpoint("203.0.113.3", 51820);

    private final FakeClock clock = new FakeClock();
    private final NoiseKeyPair[] keys = Nodes.orderedPair();
    private final NoiseKeyPair keyA = keys[0];
    private final NoiseKeyPair keyB = keys[1];
    private final NoiseKeyPair keyC = Nodes.orderedPair()[1];
    private final FakePort port = new FakePort(ADDRESS_A);

    private static PeerConfig member(String name, NoiseKeyPair key, String address) {
        return new PeerConfig(name, StaticPublicKey.of(key.publicKey()), Optional.empty(),
                List.of(IpPrefix.parse(address)), 25_000, Suite.AES256GCM);
    }

    @Test
    void aMemberThatAnnouncesItselfTakesBackItsPeerAndUnclaimedPeersGoAfterTheGrace() {
        Session current = new Session(0x1234, 0x5678, true, clock.nanoTime() - 10 * S);
        DataPlaneState state = new DataPlaneState(List.of(
                new DataPlaneState.Peer(4, keyB.publicKey(), RELAYED_B, List.of(current), true),
                new DataPlaneState.Peer(7, keyC.publicKey(), GAMMA, List.of(), false)));
        port.wire = (to, bytes) -> { };
        StaticNode a = StaticNode.adoptingOverlay(Nodes.config("alpha", keyA, "192.0.2.129/25", Suite.AES256GCM),
                keyA, port, clock, Nodes.RANDOM, state);
        a.start();
        assertFalse(port.commands.stream().anyMatch(c -> c.startsWith("remove")), "held peers were removed: "
                + port.commands);

        port.commands.clear();
        int id = a.addPeer(member("beta", keyB, "192.0.2.130/32"));
        assertEquals(4, id, "beta gets its data plane peer back");
        assertTrue(a.hasSession(4), "its session is tracked again");
        assertEquals(List.of(current), a.sessions(4));
        assertNull(a.endpoint(4), "a relayed path is left to the data plane (and ICE), not initiated on");
        assertEquals(List.of("peer 4 beta AES256GCM 25000", "route 192.0.2.130/32 4"), port.commands,
                "nothing but updates: no endpoint, no removal");
        int injected = port.injected;
        a.doWork();
        assertEquals(injected, port.injected, "no handshake over a live session");

        int newcomer = a.addPeer(member("delta", Nodes.orderedPair()[0], "192.0.2.131/32"));
        assertTrue(newcomer > 7, "a new member gets an id above every adopted one: " + newcomer);

        clock.advance(StaticNode.HELD_PEER_GRACE_NANOS - S);
        a.doWork();
        assertFalse(port.commands.contains("remove 7"), "removed before the grace ended");
        clock.advance(2 * S);
        a.doWork();
        assertTrue(port.commands.contains("remove 7"), "gamma never announced itself: " + port.commands);
        assertFalse(port.commands.contains("remove 4"), port.commands.toString());
    }
}
