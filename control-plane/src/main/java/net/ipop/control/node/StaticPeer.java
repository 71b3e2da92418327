package net.ipop.control.node;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;

import net.ipop.control.config.PeerConfig;
import net.ipop.crypto.noise.Handshaker;
import net.ipop.crypto.noise.PeerHandshake;

/** One configured peer's state in a {@link StaticNode}; touched only by the node's thread. */
final class StaticPeer {
    final int id;
    /** Replaced by a reload that changed the endpoint, keepalive or allowed addresses. */
    PeerConfig config;
    final Handshaker handshaker;
    final PeerHandshake handshake;
    /** Where initiations go; {@code null} until configured or learned from an authenticated message. */
    InetSocketAddress endpoint;
    /** Installed sessions, oldest first; at most {@link StaticNode#MAX_SESSIONS}. */
    final List<Session> sessions = new ArrayList<>(StaticNode.MAX_SESSIONS + 1);
    /** After giving up a handshake attempt, no new attempt starts before this time. */
    long quietUntilNanos;
    boolean quiet;
    /** The quiet time is the pause after a given-up attempt: a new attempt starts when it ends. */
    boolean gaveUp;
    /** Initiation to response of our last completed initiation, or -1 before one completed. */
    long rttNanos = -1;
    /** When the newest session was derived (clock nanos); meaningful once {@link #handshaken}. */
    long lastHandshakeNanos;
    boolean handshaken;
    /** Whether the node's {@link LinkPolicy} wanted a link to this peer at the last duty cycle. */
    boolean wanted;
    /** Whether {@link #endpoint} is reached through a TURN relay (ICE chose a relayed pair). */
    boolean relayed;
    /** Whether {@link #endpoint} came from an {@link EndpointMemory} (the data plane was restarted under us). */
    boolean recalled;
    /** Whether the node last reported a session with this peer (link up). */
    boolean linkUp;

    StaticPeer(int id, PeerConfig config, Handshaker handshaker, PeerHandshake handshake) {
        this.id = id;
        this.config = config;
        this.handshaker = handshaker;
        this.handshake = handshake;
        this.endpoint = config.endpoint().orElse(null);
    }

    /** The newest installed session, or {@code null}. */
    Session newest() {
        return sessions.isEmpty() ? null : sessions.get(sessions.size() - 1);
    }

    @Override
    public String toString() {
        return config.name() + " (peer " + Integer.toUnsignedString(id) + ")";
    }
}
