package net.ipop.control.node;

import java.net.InetSocketAddress;

import net.ipop.control.ipc.CommandProxy;
import net.ipop.control.ipc.Endpoints;
import net.ipop.ipc.sbe.PathKind;
import net.ipop.ipc.sbe.PeerStateDecoder;

/**
 * Keeps a {@link StaticNode}'s idea of its peers' endpoints in step with the data plane's. The data plane follows a
 * peer to a new address on the first data packet from there that authenticates (roaming), without telling the
 * control plane; the node learns of it only at the peer's next handshake (up to two minutes later). Until then a
 * restart of the data plane would push the old address. So every {@link #INTERVAL_NANOS} this sends a QueryState
 * and hands each answered direct endpoint to {@link StaticNode#dataPlaneEndpoint}, which records it (and in the
 * node's {@link EndpointMemory}).
 *
 * <p>An answer to a query sent before the node itself moved an endpoint (a roaming handshake, a reload) may carry the
 * old one: such answers are ignored, the next query brings the new state. Answers to other clients' queries (an
 * {@code ipop} command reading the same event stream) are ignored by correlation id.
 *
 * <p>Threading: the node's thread (the agent's). Allocates once per answered peer and second (not the packet path).
 */
final class EndpointTracker {
    /** How often the data plane is asked; a roam is remembered at most this late. */
    static final long INTERVAL_NANOS = 1_000_000_000L;

    private final StaticNode node;
    private long correlationId = CommandProxy.NOT_SENT;
    private long changesAtQuery;
    private long nextQueryNanos;
    private boolean first = true;

    EndpointTracker(StaticNode node) {
        this.node = node;
    }

    /** Sends a QueryState when one is due ({@code nowNanos} from any monotonic clock); returns the work done. */
    int poll(long nowNanos, CommandProxy commands) {
        if (!first && nowNanos - nextQueryNanos < 0) {
            return 0;
        }
        first = false;
        nextQueryNanos = nowNanos + INTERVAL_NANOS;
        changesAtQuery = node.endpointChanges();
        correlationId = commands.queryState();
        return 1;
    }

    /** One PeerState from the event stream (borrowed decoder, read during the call only). */
    void onPeerState(PeerStateDecoder e) {
        if (correlationId == CommandProxy.NOT_SENT || e.correlationId() != correlationId
                || node.endpointChanges() != changesAtQuery || e.path() != PathKind.DIRECT
                || e.endpoint().port() == 0) {
            return;
        }
        InetSocketAddress endpoint = Endpoints.read(e.endpoint());
        if (endpoint != null) {
            node.dataPlaneEndpoint((int) e.peerId(), endpoint);
        }
    }
}
