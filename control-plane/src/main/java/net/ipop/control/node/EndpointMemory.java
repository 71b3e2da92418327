package net.ipop.control.node;

import java.net.InetSocketAddress;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Where each peer was last reached, by its static public key, kept by the node daemon across data plane restarts.
 * A peer behind a NAT is known only by the address its packets came from (a configured endpoint may be absent or
 * stale after roaming); a restarted data plane holds nothing, and without the address the node cannot initiate:
 * it would wait for the peer to notice the dead tunnel (its dead-peer interval, 15 s by default). With it, the
 * node pushes the address with the rest of its state and handshakes at once.
 *
 * <p>Written by the node's thread as endpoints change (a roaming handshake, a path ICE selected, a reload, the
 * data plane following a peer on its own: {@link EndpointTracker}); read by the next node built after a restart,
 * on another agent thread. Thread-safe. Keys are copied.
 */
public final class EndpointMemory {
    private final Map<String, InetSocketAddress> byKey = new ConcurrentHashMap<>();

    /** Records that the peer with {@code publicKey} (32 bytes) is at {@code endpoint}; {@code null} forgets it. */
    public void remember(byte[] publicKey, InetSocketAddress endpoint) {
        if (endpoint == null) {
            byKey.remove(key(publicKey));
        } else {
            byKey.put(key(publicKey), endpoint);
        }
    }

    /** Where the peer with {@code publicKey} was last reached, or {@code null}. */
    public InetSocketAddress recall(byte[] publicKey) {
        return byKey.get(key(publicKey));
    }

    /** How many peers have an endpoint remembered. */
    public int size() {
        return byKey.size();
    }

    private static String key(byte[] publicKey) {
        return HexFormat.of().formatHex(publicKey);
    }
}
