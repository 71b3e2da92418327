package net.ipop.control.node;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.ResourceBundle;
import java.util.function.Supplier;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import net.ipop.crypto.MessageTypes;
import net.ipop.crypto.Suite;
import net.ipop.crypto.noise.NoiseKeyPair;
import net.ipop.crypto.noise.PeerTimers;
import net.ipop.ipc.sbe.SessionEventKind;

/** Two (or three) static nodes back to back through fake data planes, on fake time. */
class StaticNodeTest {
    private static final long MS = 1_000_000L;
    private static final long S = 1_000 * MS;
    private static final InetSocketAddress ADDRESS_A = Nodes.endpoint("198.51.100.1", 51820);
    private static final InetSocketAddress ADDRESS_B = Nodes.endpoint("203.0.113.2", 51820);
    private static final InetSocketAddress ADDRESS_C = Nodes.endpoint("203.0.113.3", 51820);
    /** Both nodes know each other under peer id 1 (their only peer). */
    private static final int PEER = 1;

    private final FakeClock clock = new FakeClock();
    private final FakeLink link = new FakeLink(clock);
    private final NoiseKeyPair[] keys = Nodes.orderedPair();
    /** A's public key is the smaller: A initiates at once, B defers at start. */
    private final NoiseKeyPair keyA = keys[0];
    private final NoiseKeyPair keyB = keys[1];
    private final FakePort portA = new FakePort(ADDRESS_A);
    private final FakePort portB = new FakePort(ADDRESS_B);
    private final RecordingLogger logB = new RecordingLogger();
    private StaticNode a;
    private StaticNode b;

    /** A always knows B's endpoint; B knows A's only if {@code bKnowsA}. */
    private void nodes(Suite suite, boolean bKnowsA) {
        a = new StaticNode(Nodes.config("alpha", keyA, "192.0.2.1/24", suite,
                Nodes.peer("beta", keyB, ADDRESS_B, "192.0.2.2/32", suite)), keyA, portA, clock, Nodes.RANDOM);
        b = new StaticNode(Nodes.config("beta", keyB, "192.0.2.2/24", suite,
                Nodes.peer("alpha", keyA, bKnowsA ? ADDRESS_A : null, "192.0.2.1/32", suite)), keyB, portB, clock,
                Nodes.RANDOM, logB);
        link.attach(portA, a);
        link.attach(portB, b);
    }

    private void startBoth() {
        a.start();
        b.start();
        link.pump();
    }

    @ParameterizedTest
    @EnumSource(Suite.class)
    void bothStartingAtOnceEndWithMatchingKeysBothWays(Suite suite) {
        nodes(suite, true);
        startBoth();
        // B (the greater key) defers its first initiation, so the two do not cross: A's completes.
        assertEquals(1, portA.injected);
        assertEquals(1, portB.injected, "B only answered");
        link.run(StaticNode.START_DEFER_NANOS + PeerTimers.REKEY_TIMEOUT_NANOS + S, 10 * MS);
        assertEquals(1, portA.injected, "nothing more to send once the handshake is done");
        assertEquals(1, portB.injected, "B's deferred initiation was dropped: it already had keys");

        assertTrue(portA.commands.contains("interface 1420 [192.0.2.1/24]"), portA.commands.toString());
        assertTrue(portA.commands.contains("peer 1 beta " + suite + " 0"), portA.commands.toString());
        assertTrue(portA.commands.contains("route 192.0.2.2/32 1"), portA.commands.toString());
        assertTrue(portA.commands.contains("endpoint 1 " + ADDRESS_B), portA.commands.toString());
        int initiatorSessions = 0;
        for (FakePort[] pair : new FakePort[][] {{portA, portB}, {portB, portA}}) {
            for (FakePort.Installed s : pair[0].installed) {
                assertEquals(suite, s.suite());
                if (s.initiator()) {
                    assertCounterpart(s, pair[1]);
                    initiatorSessions++;
                }
            }
        }
        assertEquals(1, initiatorSessions);
        assertFalse(a.sessions(PEER).isEmpty());
        assertFalse(b.sessions(PEER).isEmpty());
        assertEquals(0, link.lost + link.undeliverable);
    }

    @Test
    void crossedInitiationsSettleOnTheRetransmission() {
        nodes(Suite.AES256GCM, true);
        // B (re)started while A's initiation was in flight: B's own crosses it, no deferral.
        a.start();
        b.start();
        b.onSessionEvent(PEER, 0, SessionEventKind.REKEY_DUE);
        b.doWork();
        link.pump();
        link.run(PeerTimers.REKEY_TIMEOUT_NANOS * 4, 10 * MS);
        int initiatorSessions = 0;
        for (FakePort[] pair : new FakePort[][] {{portA, portB}, {portB, portA}}) {
            for (FakePort.Installed s : pair[0].installed) {
                if (s.initiator()) {
                    assertCounterpart(s, pair[1]);
                    initiatorSessions++;
                }
            }
        }
        assertTrue(initiatorSessions >= 1, "no handshake completed: " + portA.installed + " " + portB.installed);
    }

    @ParameterizedTest
    @EnumSource(Suite.class)
    void initiatorKeysAreTheResponderKeysMirrored(Suite suite) {
        nodes(suite, false);
        startBoth();

        assertEquals(1, portA.installed.size());
        assertEquals(1, portB.installed.size());
        FakePort.Installed ia = portA.last();
        FakePort.Installed ib = portB.last();
        assertTrue(ia.initiator());
        assertFalse(ib.initiator());
        assertCounterpart(ia, portB);
        assertNotEquals(ia.localIndex(), ia.remoteIndex());
        assertFalse(java.util.Arrays.equals(ia.send(), ia.receive()));
        // Tracked without key material, with the indices sent to the data plane.
        assertEquals(List.of(new Session(ia.localIndex(), ia.remoteIndex(), true, clock.nanoTime())), a.sessions(PEER));
        assertEquals(List.of(new Session(ib.localIndex(), ib.remoteIndex(), false, clock.nanoTime())),
                b.sessions(PEER));
    }

    @Test
    void aLostResponseIsRetransmittedAfterRekeyTimeoutWithJitter() {
        nodes(Suite.AES256GCM, false);
        int[] responsesToDrop = {1};
        link.loss = (from, bytes) -> from == portB && bytes[0] == MessageTypes.AES_RESPONSE
                && responsesToDrop[0]-- > 0;
        startBoth();
        assertEquals(1, link.lost);
        assertTrue(portA.installed.isEmpty());
        assertEquals(1, portB.installed.size(), "B answered, so it holds responder keys");

        link.run(PeerTimers.REKEY_TIMEOUT_NANOS - 10 * MS, 10 * MS);
        assertEquals(1, portA.injected, "retransmitted before REKEY_TIMEOUT");
        assertTrue(portA.installed.isEmpty());

        link.run(PeerTimers.REKEY_TIMEOUT_JITTER_MAX_NANOS + 20 * MS, 10 * MS);
        assertEquals(2, portA.injected, "one retransmission within REKEY_TIMEOUT + jitter");
        assertEquals(1, portA.installed.size());
        assertEquals(2, portB.installed.size());
        assertCounterpart(portA.last(), portB);
        assertEquals(portB.last().localIndex(), portA.last().remoteIndex(), "completed on the retransmission");
    }

    @Test
    void anUnansweredInitiationIsGivenUpAfterRekeyAttemptTime() {
        nodes(Suite.AES256GCM, false);
        link.loss = (from, bytes) -> true;
        startBoth();
        link.run(PeerTimers.REKEY_ATTEMPT_TIME_NANOS + S, 100 * MS);
        int sent = portA.injected;
        // One every 5 to 5.333 s for 90 s.
        assertTrue(sent >= 17 && sent <= 19, "initiations in 90 s: " + sent);
        link.run(StaticNode.RETRY_AFTER_GIVE_UP_NANOS - 2 * S, 100 * MS);
        assertEquals(sent, portA.injected, "quiet after giving up");
        link.run(3 * S, 100 * MS);
        assertEquals(sent + 1, portA.injected, "a new attempt after the pause");
    }

    @Test
    void theInitiatorRekeysAfterRekeyAfterTimeAndTheOldSessionIsRetiredAtRejectAfterTime() {
        nodes(Suite.CHACHA20POLY1305, false);
        startBoth();
        FakePort.Installed first = portA.last();

        link.run(PeerTimers.REKEY_AFTER_TIME_NANOS - S, 100 * MS);
        assertEquals(1, portA.installed.size());
        link.run(2 * S, 100 * MS);
        assertEquals(2, portA.installed.size(), "rekeyed at 120 s");
        assertEquals(2, portB.installed.size());
        FakePort.Installed second = portA.last();
        assertTrue(second.initiator());
        assertCounterpart(second, portB);
        assertEquals(2, a.sessions(PEER).size(), "the old session stays for receiving");
        assertTrue(portA.retired.isEmpty());

        link.run(PeerTimers.REJECT_AFTER_TIME_NANOS - PeerTimers.REKEY_AFTER_TIME_NANOS, 100 * MS);
        assertEquals(List.of(new FakePort.Retired(PEER, first.localIndex())), portA.retired);
        assertEquals(List.of(new FakePort.Retired(PEER, first.remoteIndex())), portB.retired);
        assertEquals(second.localIndex(), a.sessions(PEER).get(0).localIndex());
        assertEquals(1, b.sessions(PEER).size());
    }

    @Test
    void withoutANewHandshakeTheSessionExpiresAtRejectAfterTime() {
        nodes(Suite.AES256GCM, false);
        startBoth();
        FakePort.Installed only = portA.last();
        link.loss = (from, bytes) -> true;

        link.run(PeerTimers.REJECT_AFTER_TIME_NANOS - S, 100 * MS);
        assertTrue(portA.retired.isEmpty());
        assertTrue(link.lost > 5, "rekey attempts since 120 s: " + link.lost);
        link.run(2 * S, 100 * MS);
        assertEquals(List.of(new FakePort.Retired(PEER, only.localIndex())), portA.retired);
        assertEquals(List.of(new FakePort.Retired(PEER, only.remoteIndex())), portB.retired);
        assertTrue(a.sessions(PEER).isEmpty());
        assertTrue(b.sessions(PEER).isEmpty());
        assertEquals(1, portA.installed.size());
    }

    @Test
    void aResponderOnlyPeerLearnsTheEndpointAndFollowsItWhenItRoams() {
        nodes(Suite.AES256GCM, false);
        startBoth();
        assertEquals(ADDRESS_A, b.endpoint(PEER));
        assertEquals(List.of(ADDRESS_A), portB.endpoints);

        InetSocketAddress moved = Nodes.endpoint("198.51.100.77", 40000);
        portA.address = moved;
        link.run(PeerTimers.REKEY_AFTER_TIME_NANOS + S, 100 * MS);
        assertEquals(2, portB.installed.size());
        assertEquals(moved, b.endpoint(PEER));
        assertEquals(List.of(ADDRESS_A, moved), portB.endpoints);
        assertEquals(List.of(ADDRESS_B), portA.endpoints, "A's peer never moved");
    }

    @Test
    void anInitiationFromAKeyNotInTheConfigurationIsRefusedCountedAndLoggedOnce() {
        nodes(Suite.AES256GCM, false);
        NoiseKeyPair keyC = NoiseKeyPair.generate(Nodes.RANDOM);
        FakePort portC = new FakePort(ADDRESS_C);
        StaticNode c = new StaticNode(Nodes.config("gamma", keyC, "192.0.2.3/24", Suite.AES256GCM,
                Nodes.peer("beta", keyB, ADDRESS_B, "192.0.2.2/32", Suite.AES256GCM)), keyC, portC, clock, Nodes.RANDOM);
        link.attach(portC, c);
        b.start();
        c.start();
        link.pump();
        link.run(20 * S, 100 * MS);

        assertTrue(portB.installed.isEmpty());
        assertTrue(portC.installed.isEmpty());
        long refused = b.refused(RejectLog.Reason.UNKNOWN_PEER);
        assertTrue(refused >= 4, "initiation and retransmissions refused: " + refused);
        assertEquals(1, logB.warnings(), "logged once, not per packet: " + logB.lines);
        assertTrue(logB.lines.stream().anyMatch(l -> l.contains("203.0.113.3") && l.contains("not in the configuration")),
                logB.lines.toString());
        assertNull(b.endpoint(PEER), "a stranger does not move a peer's endpoint");
    }

    @Test
    void garbageAndForeignMessagesAreCountedNotProcessed() {
        nodes(Suite.AES256GCM, false);
        startBoth();
        byte[] stun = new byte[20];
        stun[1] = 1;
        for (int i = 0; i < 1000; i++) {
            b.onPunted(ADDRESS_C, stun, 0, stun.length);
        }
        byte[] wrongMac = new byte[148];
        wrongMac[0] = MessageTypes.AES_INITIATION;
        b.onPunted(ADDRESS_C, wrongMac, 0, wrongMac.length);
        byte[] chacha = new byte[148];
        chacha[0] = MessageTypes.WG_INITIATION;
        b.onPunted(ADDRESS_C, chacha, 0, chacha.length);

        assertEquals(1000, b.refused(RejectLog.Reason.NOT_HANDSHAKE));
        assertEquals(1, b.refused(RejectLog.Reason.BAD_MAC1));
        assertEquals(1, b.refused(RejectLog.Reason.NO_SUITE));
        assertEquals(3, logB.warnings(), logB.lines.toString());
        assertEquals(1, b.sessions(PEER).size());
    }

    @Test
    void sessionEventsConfirmExpireAndAskForRekeys() {
        nodes(Suite.AES256GCM, true);
        a.start();
        link.pump();
        // B knows A but has not started yet: A's initiation made B a responder with keys.
        Session responder = b.sessions(PEER).get(0);
        assertFalse(responder.initiator());

        b.onSessionEvent(PEER, responder.localIndex(), SessionEventKind.CONFIRMED);
        b.onSessionEvent(PEER, responder.localIndex(), SessionEventKind.EXPIRED);
        assertTrue(b.sessions(PEER).isEmpty(), "the data plane dropped it");
        assertTrue(portB.retired.isEmpty(), "nothing to retire: the data plane dropped it itself");
        b.onSessionEvent(PEER, responder.localIndex(), SessionEventKind.EXPIRED);
        b.onSessionEvent(99, 1, SessionEventKind.REKEY_DUE);
        b.onSessionEvent(PEER, responder.localIndex(), SessionEventKind.CONFIRMED);
        assertEquals(3, b.unknownSessionEvents());

        int sentBefore = portB.injected;
        b.onSessionEvent(PEER, 0, SessionEventKind.REKEY_DUE);
        link.pump();
        assertEquals(sentBefore + 1, portB.injected, "REKEY_DUE starts a handshake");
        assertTrue(portB.last().initiator());
        assertCounterpart(portB.last(), portA);
    }

    @Test
    void peerDownStartsAHandshakeAndTellsTheLinkListenerAsPeerUpDoes() {
        nodes(Suite.AES256GCM, true);
        startBoth();
        List<String> told = new ArrayList<>();
        b.linkListener(new StaticNode.LinkListener() {
            @Override
            public void onHandshakeGaveUp(int peerId) {
                told.add("gave up " + peerId);
            }

            @Override
            public void onPeerDown(int peerId) {
                told.add("down " + peerId);
            }

            @Override
            public void onPeerUp(int peerId) {
                told.add("up " + peerId);
            }
        });
        int installedBefore = portB.installed.size();
        b.onSessionEvent(PEER, 0, SessionEventKind.PEER_DOWN);
        link.pump();
        assertEquals(List.of("down " + PEER), told);
        assertEquals(installedBefore + 1, portB.installed.size(), "PEER_DOWN starts a handshake at once");
        assertTrue(portB.last().initiator());
        b.onSessionEvent(PEER, 0, SessionEventKind.PEER_UP);
        assertEquals(List.of("down " + PEER, "up " + PEER), told);
        b.onSessionEvent(99, 0, SessionEventKind.PEER_DOWN);
        assertEquals(2, told.size(), "an unknown peer is counted, not told");
    }

    @Test
    void aKeyPairOtherThanTheConfiguredOneIsRefused() {
        NoiseKeyPair other = NoiseKeyPair.generate(Nodes.RANDOM);
        assertThrows(IllegalArgumentException.class, () -> new StaticNode(Nodes.config("alpha", keyA, "192.0.2.1/24",
                Suite.AES256GCM), other, portA, clock, Nodes.RANDOM));
    }

    @Test
    void aFloodOfInitiationsTurnsOnCookies() {
        nodes(Suite.AES256GCM, false);
        startBoth();
        byte[] wrongMac = new byte[148];
        wrongMac[0] = MessageTypes.AES_INITIATION;
        for (int i = 0; i <= StaticNode.UNDER_LOAD_MESSAGES_PER_SECOND; i++) {
            b.onPunted(ADDRESS_C, wrongMac, 0, wrongMac.length);
        }
        assertTrue(b.underLoad());
        clock.advance(1_100 * MS);
        b.onPunted(ADDRESS_C, wrongMac, 0, wrongMac.length);
        assertTrue(b.underLoad(), "the busy second keeps the next one under load");
        clock.advance(1_100 * MS);
        b.onPunted(ADDRESS_C, wrongMac, 0, wrongMac.length);
        assertFalse(b.underLoad());
    }

    @Test
    void underLoadAnInitiationIsAnsweredWithACookieAndTheRetransmissionCarryingItCompletes() {
        nodes(Suite.AES256GCM, false);
        byte[] junk = new byte[148];
        junk[0] = MessageTypes.AES_INITIATION;
        for (int i = 0; i <= StaticNode.UNDER_LOAD_MESSAGES_PER_SECOND; i++) {
            b.onPunted(ADDRESS_C, junk, 0, junk.length);
        }
        assertTrue(b.underLoad());
        startBoth();
        assertTrue(portB.installed.isEmpty(), "no DH work for an initiation without mac2 under load");
        assertEquals(1, portB.injected, "a cookie reply");
        assertTrue(portA.installed.isEmpty());

        for (int step = 0; step < 60 && portA.installed.isEmpty(); step++) {
            for (int i = 0; i < 600; i++) {
                b.onPunted(ADDRESS_C, junk, 0, junk.length);
            }
            link.run(100 * MS, 100 * MS);
        }
        assertTrue(b.underLoad(), "still under load when the retransmission came");
        assertEquals(1, portA.installed.size(), "the retransmission carried mac2 from the cookie");
        assertCounterpart(portA.last(), portB);
        assertEquals(1, logB.warnings(), "the flood is counted, logged once: " + logB.lines);
    }

    /** {@code s}, installed by one node, has its mirror image installed by the other. */
    private static void assertCounterpart(FakePort.Installed s, FakePort other) {
        FakePort.Installed match = null;
        for (FakePort.Installed o : other.installed) {
            if (o.localIndex() == s.remoteIndex()) {
                match = o;
            }
        }
        assertNotNull(match, "no session with index " + Integer.toUnsignedString(s.remoteIndex()) + " on the other side");
        assertEquals(s.localIndex(), match.remoteIndex());
        assertNotEquals(s.initiator(), match.initiator());
        assertEquals(s.suite(), match.suite());
        assertArrayEquals(s.send(), match.receive(), "our send key is their receive key");
        assertArrayEquals(s.receive(), match.send(), "our receive key is their send key");
    }

    /** Keeps every message logged, formatted. */
    @Test
    void peersAddedAtRunTimeHandshakeOverTheEndpointTheyAreGivenAndLeaveCleanly() {
        a = new StaticNode(Nodes.config("alpha", keyA, "192.0.2.1/24", Suite.AES256GCM), keyA, portA, clock,
                Nodes.RANDOM);
        b = new StaticNode(Nodes.config("beta", keyB, "192.0.2.2/24", Suite.AES256GCM), keyB, portB, clock,
                Nodes.RANDOM);
        link.attach(portA, a);
        link.attach(portB, b);
        startBoth();
        int beta = a.addPeer(Nodes.peer("beta", keyB, null, "192.0.2.2/32", Suite.AES256GCM));
        int alpha = b.addPeer(Nodes.peer("alpha", keyA, null, "192.0.2.1/32", Suite.AES256GCM));
        assertEquals(1, beta, "ids start at 1");
        assertTrue(portA.commands.contains("peer 1 beta AES256GCM 0"), portA.commands.toString());
        assertTrue(portA.commands.contains("route 192.0.2.2/32 1"), portA.commands.toString());
        assertEquals(0, portA.injected, "no endpoint yet: nothing to send to");

        // ICE selected a path on both ends at about the same time: the greater key defers, no crossing.
        a.setEndpoint(beta, ADDRESS_B);
        b.setEndpoint(alpha, ADDRESS_A);
        link.run(StaticNode.START_DEFER_NANOS + PeerTimers.REKEY_TIMEOUT_NANOS + S, 10 * MS);
        assertTrue(a.hasSession(beta) && b.hasSession(alpha), "a session each way");
        assertEquals(2, portA.injected + portB.injected, "one initiation and one response in all");

        a.removePeer(beta);
        assertTrue(portA.commands.contains("remove 1"), portA.commands.toString());
        assertFalse(a.hasSession(beta));
        assertEquals(0, a.doWork(), "a removed peer leaves no timers behind");
        int again = a.addPeer(Nodes.peer("beta", keyB, ADDRESS_B, "192.0.2.2/32", Suite.AES256GCM));
        assertEquals(2, again, "ids are not given out twice: a late event for the old peer cannot reach the new");
    }

    @Test
    void aPeerAddedAtRunTimeUnderALinkPolicyIsRoutedByThePolicyNotTheNode() {
        a = new StaticNode(Nodes.config("alpha", keyA, "192.0.2.1/24", Suite.AES256GCM), keyA, portA, clock,
                Nodes.RANDOM);
        a.useLinkPolicy(Nodes.wanting(() -> false));
        a.start();
        int beta = a.addPeer(Nodes.peer("beta", keyB, null, "192.0.2.2/32", Suite.AES256GCM));
        assertTrue(portA.commands.contains("peer " + beta + " beta AES256GCM 0"), portA.commands.toString());
        assertTrue(portA.commands.stream().noneMatch(c -> c.startsWith("route ")), "the policy installs routes, "
                + "the node none: " + portA.commands);
    }

    static final class RecordingLogger implements System.Logger {
        final List<String> lines = new ArrayList<>();
        private final List<Level> levels = new ArrayList<>();

        long warnings() {
            return levels.stream().filter(l -> l == Level.WARNING).count();
        }

        @Override
        public String getName() {
            return "test";
        }

        @Override
        public boolean isLoggable(Level level) {
            return true;
        }

        @Override
        public void log(Level level, ResourceBundle bundle, String msg, Throwable thrown) {
            levels.add(level);
            lines.add(msg);
        }

        @Override
        public void log(Level level, ResourceBundle bundle, String format, Object... params) {
            levels.add(level);
            lines.add(params == null || params.length == 0 ? format
                    : java.text.MessageFormat.format(format, params));
        }

        @Override
        public void log(Level level, Supplier<String> msgSupplier) {
            log(level, (ResourceBundle) null, msgSupplier.get(), (Throwable) null);
        }
    }
}
