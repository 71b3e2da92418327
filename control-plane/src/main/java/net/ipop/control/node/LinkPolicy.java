package net.ipop.control.node;

import java.util.List;

import net.ipop.crypto.cert.IpPrefix;

/**
 * Decides which peers a {@link StaticNode} keeps a direct link with and installs the routes and source entries in
 * the data plane (the topology manager, {@code net.ipop.control.topology.TopologyManager}). Without one a node
 * links to every peer and routes each peer's allowed addresses to it, as WireGuard does.
 *
 * <p>Threading: called only from the node's thread. Times are the node's {@code Clock} nanoseconds.
 */
public interface LinkPolicy {
    /** Pushes every route and source entry of the current plan (after a data plane (re)start, peers added). */
    void start(long nowNanos);

    /** Whether the node should initiate and rekey handshakes with the peer (it always answers them). */
    boolean wantsLink(int peerId);

    /** A handshake with the peer completed and its session is installed: the peer is alive. */
    void sessionInstalled(int peerId, long nowNanos);

    /** The data plane asked for a rekey with the peer (its session aged, or the data plane declared it down). */
    void rekeyDue(int peerId, long nowNanos);

    /**
     * The overlay found no path to the peer (an ICE restart, TURN included, selected none): it is unreachable until
     * a session with it is installed. The default treats it as {@link #rekeyDue}: suspect.
     */
    default void linkDown(int peerId, long nowNanos) {
        rekeyDue(peerId, nowNanos);
    }

    /**
     * A peer joined, or its allowed addresses changed (a config reload): plan it in with these prefixes. The
     * policy, not the node, installs its routes.
     */
    void memberChanged(int peerId, byte[] publicKey, List<IpPrefix> prefixes, long nowNanos);

    /** A peer left (a config reload dropped it; the data plane already removed it with its routes). */
    void memberRemoved(int peerId, long nowNanos);

    /**
     * The peer that packets for {@code peerId} go to first: itself when linked directly (or when no path is
     * planned), another peer that forwards them otherwise.
     */
    default int nextHop(int peerId) {
        return peerId;
    }

    /** Liveness timeouts and re-planning; returns the work done (0 when idle), as an agent's duty cycle. */
    int doWork(long nowNanos);

    /**
     * The data plane reports that {@code bytes} inner bytes were routed to {@code prefix} through peer
     * {@code viaPeerId} in the last {@code intervalMs} (a TrafficReport; on-demand links). Ignored by default.
     */
    default void trafficReport(IpPrefix prefix, int viaPeerId, long bytes, int intervalMs, long nowNanos) {
    }

    /** The node holds no session with the peer any more (retired, expired or forgotten). Ignored by default. */
    default void sessionsGone(int peerId, long nowNanos) {
    }

    /**
     * Whether the node should retire its sessions with the peer now because the policy tore a link down (an
     * idle on-demand link); true once per teardown. The node asks in every duty cycle.
     */
    default boolean retireSessions(int peerId) {
        return false;
    }
}
