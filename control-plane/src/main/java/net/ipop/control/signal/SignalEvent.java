package net.ipop.control.signal;

import net.ipop.crypto.cert.NodeCertificate;

/** An event on its way from a Smack thread to the control plane's thread; immutable. */
sealed interface SignalEvent {
    String overlay();

    String peerId();

    /** Calls the matching method of {@code listener}. */
    void deliverTo(SignallingListener listener);

    record PeerPresent(String overlay, String peerId, NodeCertificate certificate) implements SignalEvent {
        @Override
        public void deliverTo(SignallingListener listener) {
            listener.onPeerPresent(overlay, peerId, certificate);
        }
    }

    /** {@code leaving}: the peer said it stops on purpose. */
    record PeerGone(String overlay, String peerId, boolean leaving) implements SignalEvent {
        @Override
        public void deliverTo(SignallingListener listener) {
            if (leaving) {
                listener.onPeerLeft(overlay, peerId);
            } else {
                listener.onPeerGone(overlay, peerId);
            }
        }
    }

    record OfferReceived(String overlay, String peerId, Offer offer) implements SignalEvent {
        @Override
        public void deliverTo(SignallingListener listener) {
            listener.onOffer(overlay, peerId, offer);
        }
    }

    record AnswerReceived(String overlay, String peerId, Answer answer) implements SignalEvent {
        @Override
        public void deliverTo(SignallingListener listener) {
            listener.onAnswer(overlay, peerId, answer);
        }
    }
}
