package net.ipop.control.node;

/**
 * What a {@link StaticNode} reports about its peers' handshakes and links, for metrics. Called on the node's
 * thread, at most a few times per handshake (never per packet); an implementation must return quickly and
 * publish what it records to other threads itself. Peers are named as in the config file.
 */
public interface NodeObserver {
    /** Reports nothing. */
    NodeObserver NONE = new NodeObserver() {
    };

    /** A new handshake attempt with {@code peer} began (its first initiation left; not retransmissions). */
    default void handshakeStarted(String peer) {
    }

    /**
     * A handshake with {@code peer} produced a session.
     *
     * @param roundTripNanos from our last initiation to its response when we initiated; -1 as responder
     */
    default void handshakeCompleted(String peer, long roundTripNanos) {
    }

    /** An attempt with {@code peer} was given up without an answer. */
    default void handshakeFailed(String peer) {
    }

    /** The node now holds a usable session with {@code peer} ({@code up}), or none any more. */
    default void linkChanged(String peer, boolean up) {
    }

    /**
     * An overlay member's ICE state: {@code checking} (gathering and checks, also after a restart), {@code direct}
     * or {@code relayed} (a pair was selected, straight or through TURN), {@code failed} (no pair, or consent lost),
     * {@code unlinked} (the topology no longer plans a link: no ICE session; its packets take the planned hop).
     */
    default void iceState(String peer, String state) {
    }

    /**
     * The node's peers are now {@code names} (in id order): at {@link StaticNode#observe}, and whenever a reload, a
     * member's arrival or its removal changes them. Series of names no longer listed may be forgotten.
     */
    default void peersChanged(java.util.List<String> names) {
    }
}
