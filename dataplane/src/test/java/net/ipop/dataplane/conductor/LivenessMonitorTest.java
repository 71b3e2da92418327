package net.ipop.dataplane.conductor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;

import net.ipop.dataplane.session.PeerEndpoint;
import net.ipop.dataplane.session.PeerLiveness;
import org.junit.jupiter.api.Test;

/** Down after the dead interval of unanswered data, up on any authenticated answer or a new session. */
class LivenessMonitorTest {
    private static final long MS = 1_000_000L;
    private static final long T0 = 1_000 * MS;

    private final List<String> log = new ArrayList<>();
    private final List<PeerEntry> declaredDown = new ArrayList<>();
    private final List<PeerEntry> declaredUp = new ArrayList<>();
    private final LivenessMonitor monitor = new LivenessMonitor(3_000 * MS, declaredDown::add, declaredUp::add,
            log::add);
    private final PeerLiveness liveness = new PeerLiveness(0, monitor.passiveKeepaliveNanos(), T0);
    private final PeerEntry peer = new PeerEntry(7, 0, "beta", new PeerEndpoint(), liveness, 0, T0);

    @Test
    void dataWithoutAnswerForTheDeadIntervalDeclaresThePeerDownAndAnAnswerBringsItBack() {
        assertEquals(2_000 * MS, monitor.passiveKeepaliveNanos(), "two thirds of the dead interval");
        assertEquals(0, monitor.check(List.of(peer), T0 + 60_000 * MS), "a quiet peer is not a dead one");
        liveness.sentData(T0 + 61_000 * MS);
        liveness.sentData(T0 + 62_000 * MS); // the clock runs from the first unanswered send
        assertEquals(0, monitor.check(List.of(peer), T0 + 63_900 * MS));
        assertFalse(liveness.down());
        assertEquals(1, monitor.check(List.of(peer), T0 + 64_000 * MS));
        assertTrue(liveness.down());
        assertTrue(log.get(0).contains("peer 7 'beta' is down"), log.toString());
        assertEquals(List.of(peer), declaredDown);
        assertEquals(List.of(), declaredUp);
        assertEquals(0, monitor.check(List.of(peer), T0 + 65_000 * MS), "no change, no log");
        liveness.received(T0 + 66_000 * MS, false, true);
        assertEquals(1, monitor.check(List.of(peer), T0 + 66_100 * MS));
        assertFalse(liveness.down());
        assertEquals(2, log.size(), log.toString());
        assertEquals(1, declaredDown.size(), "told once on the way down");
        assertEquals(List.of(peer), declaredUp, "and once on the way up");
    }

    @Test
    void aNewSessionIsFreshContact() {
        liveness.sentData(T0);
        monitor.check(List.of(peer), T0 + 5_000 * MS);
        assertTrue(liveness.down());
        monitor.contact(peer, T0 + 6_000 * MS);
        assertFalse(liveness.down(), "a completed handshake is authenticated contact");
        assertEquals(List.of(peer), declaredUp, "told of the way up by a new session too");
        monitor.contact(peer, T0 + 6_000 * MS);
        assertEquals(1, declaredUp.size(), "a session for a live peer is no change");
        // Still unanswered data from before, but the dead interval counts from the contact.
        monitor.check(List.of(peer), T0 + 8_000 * MS);
        assertFalse(liveness.down());
        monitor.check(List.of(peer), T0 + 9_000 * MS);
        assertTrue(liveness.down());
    }

    @Test
    void checksAreRateLimited() {
        liveness.sentData(T0);
        long first = T0 + 3_000 * MS - 1;
        assertEquals(0, monitor.check(List.of(peer), first), "not dead yet");
        assertEquals(0, monitor.check(List.of(peer), T0 + 3_050 * MS), "dead, but checked too recently");
        assertEquals(1, monitor.check(List.of(peer), first + LivenessMonitor.CHECK_INTERVAL_NANOS));
    }
}
