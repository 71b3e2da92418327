package net.ipop.control.metrics;

import java.util.Collection;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import net.ipop.control.node.NodeObserver;
import net.ipop.ipc.counters.CountersSnapshot;

/**
 * The registry of what the control plane knows about its peers: handshakes started, completed and failed,
 * handshake round trips (an HdrHistogram per peer) and link state.
 *
 * <p>Threading: the {@link NodeObserver} methods and {@link #peers} are called by the node's thread alone (the
 * single writer); {@link #render} by the HTTP thread, serialised by this object's lock. Peers not yet known are
 * added on first use, so a report for any name is safe.
 */
public final class NodeMetrics implements NodeObserver {
    private final Map<String, PeerMetrics> peers = new ConcurrentHashMap<>();

    /**
     * The configured peers from now on: new names start at zero, names no longer configured are forgotten (their
     * series leave the endpoint). Node thread.
     */
    public void peers(Collection<String> names) {
        peers.keySet().retainAll(names);
        for (String n : names) {
            peer(n);
        }
    }

    @Override
    public void peersChanged(java.util.List<String> names) {
        peers(names);
    }

    @Override
    public void handshakeStarted(String peer) {
        PeerMetrics.increment(peer(peer).started);
    }

    @Override
    public void handshakeCompleted(String peer, long roundTripNanos) {
        PeerMetrics p = peer(peer);
        PeerMetrics.increment(p.completed);
        if (roundTripNanos >= 0) {
            p.recordRoundTrip(roundTripNanos);
        }
    }

    @Override
    public void handshakeFailed(String peer) {
        PeerMetrics.increment(peer(peer).failed);
    }

    @Override
    public void linkChanged(String peer, boolean up) {
        peer(peer).state = up ? LinkState.UP : LinkState.DOWN;
    }

    @Override
    public void iceState(String peer, String state) {
        peer(peer).ice = state;
    }

    /**
     * The exposition text (format 0.0.4) of the registry and, if not null, of the data plane's counters.
     * HTTP thread.
     */
    public synchronized String render(CountersSnapshot counters) {
        PrometheusText out = new PrometheusText();
        Exposition.counters(out, counters);
        Exposition.handshakes(out, peers.values());
        return out.toString();
    }

    private PeerMetrics peer(String name) {
        return peers.computeIfAbsent(name, PeerMetrics::new);
    }
}
