package net.ipop.control.node;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
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
 * Session churn on a loaded host, on fake time through a {@link DelayLine}: initiations that cross, responses
 * slower than the retransmission interval, a link only one side wants, a handshake given up while a session
 * remains. After each, both data planes (modelled by {@link FakePort}: current and previous session, as the
 * conductor keeps them) must send on a session the other side holds, and the node must never ask the data plane
 * to retire a session it no longer holds.
 */
class StaticNodeChurnTest {
    private static final long MS = 1_000_000L;
    private static final long S = 1_000 * MS;
    private static final long STEP = 10 * MS;
    private static final InetSocketAddress ADDRESS_A = Nodes.endpoint("198.51.100.1", 51820);
    private static final InetSocketAddress ADDRESS_B = Nodes.endpoint("203.0.113.2", 51820);
    private static final int PEER = 1;
    private static final Suite SUITE = Suite.AES256GCM;

    private final FakeClock clock = new FakeClock();
    private final DelayLine line = new DelayLine(clock);
    private final NoiseKeyPair[] keys = Nodes.orderedPair();
    /** The smaller key: A initiates at start, B defers. */
    private final NoiseKeyPair keyA = keys[0];
    private final NoiseKeyPair keyB = keys[1];
    private final FakePort portA = new FakePort(ADDRESS_A);
    private final FakePort portB = new FakePort(ADDRESS_B);
    private StaticNode a;
    private StaticNode b;
    /** Whether A's link policy wants its link to B (only when {@link #nodes} was given a policy for A). */
    private boolean aWantsB = true;

    private void startBoth() {
        a.start();
        b.start();
    }

    private void nodes(boolean bKnowsA, boolean aHasPolicy) {
        a = new StaticNode(Nodes.config("alpha", keyA, "192.0.2.1/24", SUITE,
                Nodes.peer("beta", keyB, ADDRESS_B, "192.0.2.2/32", SUITE)), keyA, portA, clock, Nodes.RANDOM);
        b = new StaticNode(Nodes.config("beta", keyB, "192.0.2.2/24", SUITE,
                Nodes.peer("alpha", keyA, bKnowsA ? ADDRESS_A : null, "192.0.2.1/32", SUITE)), keyB, portB, clock,
                Nodes.RANDOM);
        if (aHasPolicy) {
            a.useLinkPolicy(Nodes.wanting(() -> aWantsB)); // routes are not this test's concern
        }
        line.attach(portA, a);
        line.attach(portB, b);
    }

    @Test
    void rekeysStartedOnBothSidesAtOnceOverASlowPathLeaveSessionsBothSidesHold() {
        nodes(true, false);
        startBoth();
        // Past REKEY_TIMEOUT since A's first initiation: nothing holds back a new one.
        line.run(10 * S, STEP);
        assertTrafficFlows("established");

        // Both data planes declared the other down at the same moment; each initiation takes 600 ms, longer than
        // the retransmission jitter (at most 333 ms), so every retransmission would cross the other side's too.
        line.delay = (port, bytes) -> 600 * MS;
        a.onSessionEvent(PEER, 0, SessionEventKind.REKEY_DUE);
        b.onSessionEvent(PEER, 0, SessionEventKind.REKEY_DUE);
        line.run(30 * S, STEP);
        assertTrafficFlows("30 s after both rekeyed at once over a 600 ms path");
        assertNoRefusedRetires();
    }

    @Test
    void responsesSlowerThanTheRetransmissionIntervalStillComplete() {
        nodes(false, false);
        // 3 s each way: every response arrives after the next retransmission left.
        line.delay = (port, bytes) -> 3 * S;
        startBoth();
        line.run(20 * S, STEP);
        assertTrue(a.hasSession(PEER), "no handshake completed with a 6 s round trip");
        line.run(10 * S, STEP);
        assertTrafficFlows("after 30 s with a 6 s round trip");
        assertNoRefusedRetires();
    }

    @Test
    void aLinkOnlyTheResponderWantsIsKeptUpPastTheSessionsLifetime() {
        nodes(true, true);
        startBoth();
        line.run(2 * S, STEP);
        assertTrafficFlows("established");
        assertFalse(b.sessions(PEER).get(0).initiator(), "A initiated: B holds the responder side");
        // A's topology re-planned without this link: A only answers from now on; B still wants it.
        aWantsB = false;
        for (int second = 0; second < 2 * PeerTimers.REJECT_AFTER_TIME_NANOS / S + 60; second++) {
            line.run(S, STEP);
            assertTrue(b.hasSession(PEER), "B lost its link at " + second + " s");
            assertTrafficFlows("at " + second + " s");
        }
        assertNoRefusedRetires();
    }

    @Test
    void afterGivingUpAHandshakeTheNodeTriesAgainEvenWithASessionLeft() {
        nodes(true, true);
        startBoth();
        line.run(2 * S, STEP);
        aWantsB = false;
        int installedBefore = portB.installed.size();
        // The path breaks; B's data plane declares A down and asks for a handshake.
        line.loss = (port, bytes) -> true;
        b.onSessionEvent(PEER, 0, SessionEventKind.REKEY_DUE);
        line.run(PeerTimers.REKEY_ATTEMPT_TIME_NANOS + 10 * S, STEP);
        assertTrue(b.hasSession(PEER), "the old responder session is still there");
        assertEquals(installedBefore, portB.installed.size());
        // The path heals before the pause after giving up ends; B must try again then, not wait for the old
        // session to expire (nobody would initiate after that: A does not want the link).
        line.loss = (port, bytes) -> false;
        line.run(StaticNode.RETRY_AFTER_GIVE_UP_NANOS - 5 * S, STEP);
        assertTrue(portB.installed.size() > installedBefore, "B never retried after giving up");
        assertTrafficFlows("after the retry");
    }

    /**
     * A link the policy stops wanting while its handshake is unanswered (the plan moved on) is not "given up"
     * REKEY_ATTEMPT_TIME later: nothing was being tried any more, and a give-up tells the link listener (an
     * overlay restarts ICE) and logs a warning about a peer that was never at fault.
     */
    @Test
    void aHandshakeForALinkNoLongerWantedEndsQuietlyAndIsNotGivenUp() {
        nodes(true, true);
        List<Integer> gaveUp = new ArrayList<>();
        a.linkListener(gaveUp::add);
        line.loss = (port, bytes) -> true; // B is not up yet
        a.start();
        line.run(10 * S, STEP);
        assertTrue(portA.injected > 0, "A never initiated");
        aWantsB = false;
        int sent = portA.injected;
        line.run(PeerTimers.REKEY_ATTEMPT_TIME_NANOS + 10 * S, STEP);
        assertEquals(sent, portA.injected, "A kept initiating to a peer it does not want");
        assertEquals(List.of(), gaveUp, "a handshake nobody wanted any more was given up");

        // Wanted again (the plan moved back) and B is up: A handshakes at once.
        aWantsB = true;
        line.loss = (port, bytes) -> false;
        b.start();
        line.run(2 * S, STEP);
        assertTrue(a.hasSession(PEER), "A did not handshake when the link was wanted again");
        assertEquals(List.of(), gaveUp);
    }

    @Test
    void theNodeTracksTheSessionsTheDataPlaneHoldsAndRetiresOnlyThose() {
        nodes(true, false);
        startBoth();
        line.run(3 * S, STEP);
        for (int i = 0; i < 4; i++) {
            a.onSessionEvent(PEER, 0, SessionEventKind.REKEY_DUE);
            line.run(PeerTimers.REKEY_TIMEOUT_NANOS + S, STEP);
            assertEquals(held(portA), indices(a.sessions(PEER)), "rekey " + i);
            assertEquals(held(portB), indices(b.sessions(PEER)), "rekey " + i);
        }
        line.run(PeerTimers.REJECT_AFTER_TIME_NANOS, S);
        assertNoRefusedRetires();
    }

    /** Each side's data plane sends on a session whose mirror the other side's data plane holds. */
    private void assertTrafficFlows(String when) {
        for (FakePort[] pair : new FakePort[][] {{portA, portB}, {portB, portA}}) {
            String name = pair[0] == portA ? "A" : "B";
            FakePort.Installed sending = pair[0].current.get(PEER);
            assertNotNull(sending, when + ": " + name + "'s data plane has no session to send on");
            FakePort.Installed held = null;
            for (FakePort.Installed s : new FakePort.Installed[] {pair[1].current.get(PEER),
                    pair[1].previous.get(PEER)}) {
                if (s != null && s.localIndex() == sending.remoteIndex()) {
                    held = s;
                }
            }
            assertNotNull(held, when + ": " + name + " sends on session " + Integer.toUnsignedString(
                    sending.localIndex()) + " (" + (sending.initiator() ? "initiator" : "responder")
                    + "), which the other side's data plane does not hold");
            assertArrayEquals(sending.send(), held.receive(), when + ": keys do not match");
        }
    }

    private void assertNoRefusedRetires() {
        assertEquals(0, portA.refusedRetires, "A retired sessions its data plane no longer held: " + portA.retired);
        assertEquals(0, portB.refusedRetires, "B retired sessions its data plane no longer held: " + portB.retired);
    }

    private static List<Integer> held(FakePort port) {
        List<Integer> out = new ArrayList<>();
        if (port.previous.get(PEER) != null) {
            out.add(port.previous.get(PEER).localIndex());
        }
        if (port.current.get(PEER) != null) {
            out.add(port.current.get(PEER).localIndex());
        }
        return out;
    }

    private static List<Integer> indices(List<Session> sessions) {
        return sessions.stream().map(Session::localIndex).toList();
    }
}
