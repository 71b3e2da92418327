package net.ipop.control.signal;

import net.ipop.crypto.cert.NodeCertificate;

/**
 * What the control plane hears from the signalling servers. Called only from
 * {@link Signalling#poll}, on the thread that polls (the control plane's own), never on a Smack
 * thread; so an implementation needs no locking of its own. The peer id is the peer's node name:
 * its nick in the overlay's room, checked to equal the name in its certificate.
 *
 * <p>A callback that throws is logged and the event is lost; the next events are still delivered.
 */
public interface SignallingListener {
    /**
     * A peer is in the overlay with this certificate (parsed, not yet verified against the CA). Called
     * again for a peer already present when it re-announces (a new certificate, or after either side
     * reconnected): treat it as an update.
     */
    void onPeerPresent(String overlay, String peerId, NodeCertificate certificate);

    /**
     * The peer is not in the overlay's room any more, without having said it stopped: its connection was lost or
     * its process died (the server noticed), or it was not there when this node rejoined. It may come back soon.
     */
    void onPeerGone(String overlay, String peerId);

    /**
     * The peer left the room saying it stops on purpose ({@code ipop down}, a stopped service). By default the
     * same as {@link #onPeerGone}.
     */
    default void onPeerLeft(String overlay, String peerId) {
        onPeerGone(overlay, peerId);
    }

    /** A peer that is present offers a session. */
    void onOffer(String overlay, String peerId, Offer offer);

    /** A peer that is present answers one of this node's offers (match it by {@link Answer#sessionId()}). */
    void onAnswer(String overlay, String peerId, Answer answer);
}
