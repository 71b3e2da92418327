package net.ipop.control.overlay;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

import net.ipop.control.ice.IceCandidate;
import net.ipop.control.ice.PathKind;
import net.ipop.control.ice.SelectedPath;
import net.ipop.crypto.noise.Clock;

/**
 * {@link DirectProbes} driven by hand with a fake clock: a relayed link is probed after the first interval, a probe
 * that finds nothing backs off (doubling up to the cap) without reporting anything down, a direct selection ends
 * the schedule, a probe waits for other ICE work and times out, a loss or a restart cancels it, and the member's
 * probe is recognised as one only while this end's relayed path is in use.
 */
class DirectProbesTest {
    private static final long S = 1_000_000_000L;

    private long now = 1_000 * S;
    private final List<String> actions = new ArrayList<>();
    private final OverlayPeer peer = new OverlayPeer("lab", "beta", null, 1, true);
    private final DirectProbes probes = probes(30 * S, 100 * S);

    private DirectProbes probes(long first, long max) {
        return new DirectProbes(new DirectProbes.Links() {
            @Override
            public void probe(OverlayPeer p) {
                actions.add("probe " + p.name + " at " + (now / S));
            }

            @Override
            public void abandon(OverlayPeer p) {
                actions.add("abandon " + p.name + " at " + (now / S));
            }
        }, new Clock() {
            @Override
            public long nanoTime() {
                return now;
            }

            @Override
            public long epochNanos() {
                return now;
            }
        }, first, max);
    }

    private int advanceTo(long seconds) {
        int work = 0;
        while (now < seconds * S) {
            now += S / 2;
            work += probes.doWork(List.of(peer), now);
        }
        return work;
    }

    private void relayed() {
        peer.linked = true;
        peer.path = path(PathKind.RELAYED);
        probes.selected(peer);
    }

    @Test
    void aDirectPathIsNeverProbed() {
        peer.linked = true;
        peer.path = path(PathKind.DIRECT);
        probes.selected(peer);
        assertEquals(0, advanceTo(2_000));
        assertEquals(List.of(), actions);
    }

    @Test
    void aRelayedLinkIsProbedAfterTheFirstIntervalAndFailuresBackOffToTheCap() {
        relayed();
        advanceTo(1_029);
        assertEquals(List.of(), actions, "nothing before the first interval");
        advanceTo(1_030);
        assertEquals(List.of("probe beta at 1030"), actions);
        assertTrue(peer.probing);
        advanceTo(1_040);
        assertEquals(1, actions.size(), "one probe at a time");

        probes.failed(peer, "no direct pair");
        assertFalse(peer.probing);
        assertEquals(peer.path.kind(), PathKind.RELAYED, "the relayed path stays");
        probes.failed(peer, "a late second report");
        assertEquals(1, probes.failures(), "a probe ends once");
        advanceTo(1_099);
        assertEquals(1, actions.size(), "the next waits twice as long (60 s)");
        advanceTo(1_100);
        assertEquals("probe beta at 1100", actions.getLast());

        probes.failed(peer, "no direct pair");
        advanceTo(1_200);
        assertEquals("probe beta at 1200", actions.getLast(), "then 100 s: the cap, not 120");
        probes.failed(peer, "no direct pair");
        advanceTo(1_300);
        assertEquals("probe beta at 1300", actions.getLast(), "and the cap again");
        assertEquals(4, probes.probes());
        assertEquals(List.of("probe beta at 1030", "probe beta at 1100", "probe beta at 1200", "probe beta at 1300"),
                actions, "nothing but probes: a failed probe never reports the member down or abandons the relay");
    }

    @Test
    void aDirectSelectionEndsTheScheduleAndANewFallBackStartsItOver() {
        relayed();
        advanceTo(1_030);
        probes.failed(peer, "no direct pair");
        advanceTo(1_090);
        assertEquals(2, actions.size());
        peer.path = path(PathKind.DIRECT);
        probes.selected(peer);
        assertFalse(peer.probing);
        assertEquals(1, probes.returnsToDirect());
        advanceTo(2_000);
        assertEquals(2, actions.size(), "direct: no more probes");

        relayed(); // lost again and back over the relay
        advanceTo(2_030);
        assertEquals("probe beta at 2030", actions.getLast(), "the first interval again, not the backed-off one");
    }

    @Test
    void aProbeWaitsForOtherIceWorkAndForAPlannedLink() {
        relayed();
        peer.busy = true;
        advanceTo(1_040);
        assertEquals(List.of(), actions, "busy: later");
        peer.busy = false;
        peer.offerSessionId = "an offer of a restart";
        advanceTo(1_041);
        assertEquals(List.of(), actions, "an offer awaits its answer: later");
        peer.offerSessionId = null;
        probes.doWork(List.of(peer), now);
        assertEquals(List.of("probe beta at 1041"), actions, "due since 1030, started once free");

        probes.failed(peer, "no direct pair");
        peer.linked = false;
        advanceTo(1_200);
        assertEquals(1, actions.size(), "not a planned neighbour any more: no probe");
    }

    @Test
    void aProbeThatSelectsNothingIsAbandonedAtItsDeadline() {
        relayed();
        advanceTo(1_030);
        long deadline = 1_030 + DirectProbes.PROBE_TIMEOUT_NANOS / S;
        advanceTo(deadline - 1);
        assertEquals(1, actions.size());
        advanceTo(deadline);
        assertEquals(List.of("probe beta at 1030", "abandon beta at " + deadline), actions);
        assertFalse(peer.probing);
        assertEquals(1, probes.failures());
        advanceTo(deadline + 59);
        assertEquals(2, actions.size());
        advanceTo(deadline + 60);
        assertEquals("probe beta at " + (deadline + 60), actions.getLast(), "backed off as any failure");
    }

    @Test
    void aLostLinkOrARestartTakesOverFromTheProbes() {
        relayed();
        advanceTo(1_030);
        probes.cancelled(peer); // LinkHealth restarts: the probe's generation goes with the old one
        assertFalse(peer.probing);
        probes.failed(peer, "the freed probe's late report");
        assertEquals(0, probes.failures(), "a cancelled probe does not back off");
        peer.path = null; // lost
        advanceTo(1_500);
        assertEquals(1, actions.size(), "no probe without a path in use");
    }

    @Test
    void theMembersProbeIsAnsweredAsOneOnlyWhileThisEndsRelayedPathIsInUse() {
        peer.path = path(PathKind.RELAYED);
        assertTrue(probes.answerAsProbe(peer, false));
        assertFalse(probes.answerAsProbe(peer, true), "an offer with a relayed candidate is a restart");
        peer.restartDeadlineNanos = now;
        assertFalse(probes.answerAsProbe(peer, false), "this end is restarting: a restart");
        peer.restartDeadlineNanos = 0;
        peer.path = path(PathKind.DIRECT);
        assertFalse(probes.answerAsProbe(peer, false), "direct already: a restart");
        peer.path = null;
        assertFalse(probes.answerAsProbe(peer, false), "no path: a restart");

        relayed();
        advanceTo(1_010);
        probes.answering(peer);
        assertTrue(peer.probing, "the member's probe stands for ours");
        advanceTo(1_029);
        assertEquals(List.of(), actions);
        advanceTo(1_030);
        assertEquals(List.of("abandon beta at 1030"), actions, "it has the same deadline as ours");
    }

    @Test
    void zeroMeansNoProbesButTheMembersAreStillAnswered() {
        DirectProbes off = probes(0, 0);
        peer.linked = true;
        peer.path = path(PathKind.RELAYED);
        off.selected(peer);
        for (int i = 0; i < 10_000; i++) {
            now += S;
            off.doWork(List.of(peer), now);
        }
        assertEquals(List.of(), actions);
        assertTrue(off.answerAsProbe(peer, false));
    }

    private static SelectedPath path(PathKind kind) {
        InetAddress a = InetAddress.getLoopbackAddress();
        IceCandidate c = new IceCandidate("1", 1, "udp", 1, IceCandidate.Type.HOST, a, 51820, null, 0);
        InetSocketAddress s = new InetSocketAddress(a, 51820);
        return new SelectedPath(c, c, kind, s, s, null, -1);
    }
}
