package net.ipop.control.signal;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

import net.ipop.crypto.cert.NodeCertificate;

/**
 * A listener that keeps every event it is given, and waits for one by polling {@link Signalling}
 * on the test's thread, as the control plane's thread would.
 */
final class Recorder implements SignallingListener {
    final List<SignalEvent> events = new ArrayList<>();
    private final Signalling signalling;

    Recorder(Signalling signalling) {
        this.signalling = signalling;
    }

    @Override
    public void onPeerPresent(String overlay, String peerId, NodeCertificate certificate) {
        events.add(new SignalEvent.PeerPresent(overlay, peerId, certificate));
    }

    @Override
    public void onPeerGone(String overlay, String peerId) {
        events.add(new SignalEvent.PeerGone(overlay, peerId, false));
    }

    @Override
    public void onPeerLeft(String overlay, String peerId) {
        events.add(new SignalEvent.PeerGone(overlay, peerId, true));
    }

    @Override
    public void onOffer(String overlay, String peerId, Offer offer) {
        events.add(new SignalEvent.OfferReceived(overlay, peerId, offer));
    }

    @Override
    public void onAnswer(String overlay, String peerId, Answer answer) {
        events.add(new SignalEvent.AnswerReceived(overlay, peerId, answer));
    }

    /** Polls until an event of {@code type} matching {@code match} has arrived; fails after {@code timeout}. */
    <T extends SignalEvent> T await(Class<T> type, Predicate<T> match, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        int checked = 0;
        while (true) {
            for (; checked < events.size(); checked++) {
                SignalEvent e = events.get(checked);
                if (type.isInstance(e) && match.test(type.cast(e))) {
                    checked++;
                    return type.cast(e);
                }
            }
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                throw new AssertionError("no " + type.getSimpleName() + " as expected within " + timeout + "; got "
                        + events);
            }
            signalling.poll(this, 100, Math.min(200, Math.max(1, left / 1_000_000)));
        }
    }

    /** Polls for {@code ms} and returns the events that arrived in that time. */
    List<SignalEvent> drainFor(long ms) throws InterruptedException {
        int from = events.size();
        long deadline = System.nanoTime() + ms * 1_000_000;
        while (System.nanoTime() < deadline) {
            signalling.poll(this, 100, 50);
        }
        return List.copyOf(events.subList(from, events.size()));
    }
}
