package net.ipop.control.overlay;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
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
 * {@link LinkHealth} driven by hand with a fake clock: a broken link is restarted at once by either end, crossed
 * offers leave exactly one standing, and a restart that selects nothing reports the member down and is retried
 * with growing back-off until a path is selected.
 */
class LinkHealthTest {
    private static final long S = 1_000_000_000L;

    private long now = 1_000 * S;
    private final List<String> actions = new ArrayList<>();
    private final OverlayPeer lower = new OverlayPeer("lab", "beta", null, 1, true);
    private final OverlayPeer higher = new OverlayPeer("lab", "alpha", null, 2, false);
    private final LinkHealth health = new LinkHealth(new LinkHealth.Links() {
        @Override
        public OverlayPeer byPeerId(int peerId) {
            return peerId == 1 ? lower : peerId == 2 ? higher : null;
        }

        @Override
        public void restart(OverlayPeer p) {
            actions.add("restart " + p.name);
        }

        @Override
        public void reportDown(OverlayPeer p) {
            actions.add("down " + p.name);
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
    });

    @Test
    void peerDownRestartsIceAtOnceOnEitherEndAndOnlyOnce() {
        lower.path = path(PathKind.DIRECT);
        higher.path = path(PathKind.DIRECT);
        health.onPeerDown(1);
        health.onPeerDown(2);
        assertEquals(List.of("restart beta", "restart alpha"), actions, "the answering end restarts too");
        assertNull(lower.path, "the broken path is no longer the link's");
        health.onPeerDown(1);
        health.onHandshakeGaveUp(1);
        assertEquals(2, health.restarts(), "one restart per loss, whatever else reports it");
        health.onPeerDown(99);
        assertEquals(2, actions.size(), "an unknown peer id is ignored");
    }

    @Test
    void aBusyMemberIsRestartedByTheNodeOnceItsWorkIsDone() {
        lower.path = path(PathKind.DIRECT);
        lower.busy = true;
        health.lost(lower, "test");
        assertEquals(List.of(), actions);
        assertEquals(now, lower.retryAtNanos, "the node's retry timer picks it up");
    }

    @Test
    void consentLostOnAPathInUseIsALossAFirstFailureIsNot() {
        assertFalse(health.failed(higher, "ICE failed"), "a first connection keeps the node's roles");
        higher.path = path(PathKind.DIRECT);
        assertTrue(health.failed(higher, "consent lost"));
        assertEquals(List.of("restart alpha"), actions);
    }

    @Test
    void crossedOffersLeaveTheSteadyStateOffersStanding() {
        lower.offerSessionId = "ours";
        assertFalse(health.acceptOffer(lower), "the offerer keeps its own offer");
        assertEquals("ours", lower.offerSessionId);
        higher.offerSessionId = "theirs";
        assertTrue(health.acceptOffer(higher), "the other end answers");
        assertNull(higher.offerSessionId, "and withdraws its own: a late answer to it is ignored");
        assertEquals(2, health.glares());
        lower.offerSessionId = null;
        assertTrue(health.acceptOffer(lower), "no offer of ours outstanding, no glare");
        assertEquals(2, health.glares());
    }

    @Test
    void anAnsweredOfferCountsAsARestartUnderWaySoPeerDownDoesNotUndoIt() {
        higher.path = path(PathKind.DIRECT);
        assertTrue(health.acceptOffer(higher));
        health.onPeerDown(2);
        assertEquals(List.of(), actions, "the peer's restart is already under way");
        health.selected(higher);
        assertEquals(0, higher.restartDeadlineNanos);
        assertEquals(0, higher.lostAtNanos);
    }

    @Test
    void aRestartThatSelectsNothingReportsDownAndBacksOffUntilAPathIsSelected() {
        lower.path = path(PathKind.DIRECT);
        health.onPeerDown(1);
        assertEquals(List.of("restart beta"), actions);

        now += LinkHealth.RESTART_TIMEOUT_NANOS - 1;
        assertEquals(0, health.doWork(List.of(lower), now));
        now += 1;
        assertEquals(1, health.doWork(List.of(lower), now));
        assertEquals(List.of("restart beta", "down beta"), actions);
        assertEquals(now + OverlayNode.FIRST_RETRY_NANOS, lower.retryAtNanos, "retried after the first delay");

        // The node's timer restarts (offer) and clears retryAt; the second attempt fails in ICE itself.
        now = lower.retryAtNanos;
        lower.retryAtNanos = 0;
        assertTrue(health.failed(lower, "ICE failed"));
        assertEquals(now + 2 * OverlayNode.FIRST_RETRY_NANOS, lower.retryAtNanos, "the delay doubles");
        assertEquals(List.of("restart beta", "down beta"), actions, "reported down once");

        for (int i = 0; i < 10; i++) {
            now = lower.retryAtNanos;
            lower.retryAtNanos = 0;
            health.failed(lower, "ICE failed");
        }
        assertEquals(now + OverlayNode.MAX_RETRY_NANOS, lower.retryAtNanos, "capped");

        lower.path = path(PathKind.RELAYED);
        health.selected(lower);
        assertFalse(lower.reportedDown);
        assertEquals(0, lower.restartDeadlineNanos);
        assertEquals(0, health.doWork(List.of(lower), now + 100 * S), "nothing under way");
        health.onPeerDown(1);
        assertEquals(OverlayNode.FIRST_RETRY_NANOS, lower.retryDelayNanos, "a new loss starts the back-off over");
    }

    private static SelectedPath path(PathKind kind) {
        InetAddress a = InetAddress.getLoopbackAddress();
        IceCandidate c = new IceCandidate("1", 1, "udp", 1, IceCandidate.Type.HOST, a, 51820, null, 0);
        InetSocketAddress s = new InetSocketAddress(a, 51820);
        return new SelectedPath(c, c, kind, s, s, null, -1);
    }
}
