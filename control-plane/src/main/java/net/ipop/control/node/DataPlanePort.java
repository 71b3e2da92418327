package net.ipop.control.node;

import java.net.InetSocketAddress;
import java.util.List;

import net.ipop.crypto.Suite;
import net.ipop.crypto.cert.IpPrefix;
import net.ipop.crypto.noise.SessionKeys;
import net.ipop.ipc.sbe.RouteKind;

/**
 * What a {@link StaticNode} tells the data plane. The production implementation is
 * {@link AeronDataPlanePort} (SBE commands over Aeron); tests use an in-memory fake.
 *
 * <p>Every method hands one command over and returns without waiting for the data plane's answer; a
 * command that cannot be delivered is counted by the implementation, never thrown, because the node's
 * timers retry what matters (handshakes) and {@link StaticNode#start()} pushes the whole state again
 * after a data plane restart. Arguments are read during the call only (keys and packet bytes are
 * borrowed). Peer ids and session indices are uint32 values held in an {@code int}.
 *
 * <p>Threading: called only from the node's thread.
 */
public interface DataPlanePort {
    /** Sets the interface MTU and its overlay addresses (with prefix lengths), replacing the previous set. */
    void configureInterface(int mtu, List<IpPrefix> addresses);

    /** Adds or updates a peer; {@code keepaliveMs} 0 means no persistent keepalive. */
    void addPeer(int peerId, String name, Suite suite, int keepaliveMs, byte[] staticKey);

    /**
     * Removes a peer with its sessions and routes (a restarted node drops peers its config no longer lists, a
     * reload drops a peer, a member left the overlay).
     */
    void removePeer(int peerId);

    /** Where the peer's packets go from now on: plain UDP to {@code endpoint}. */
    void setEndpoint(int peerId, InetSocketAddress endpoint);

    /**
     * The peer is reached through this node's allocation on a TURN server (ICE selected a pair whose local
     * candidate is relayed, see {@code SelectedPath}): from now on the data plane sends the peer's datagrams to
     * {@code turnServer} framed as TURN ChannelData with {@code channel} (RFC 8656 section 12), accepts
     * ChannelData on that channel from {@code turnServer} as the peer's, and punts whatever else arrives in it
     * (STUN checks and consent over the relay) whole, source {@code turnServer}. Replaces any earlier endpoint;
     * {@link #setEndpoint} goes back to plain UDP.
     *
     * @param turnServer   the TURN server's transport address (where the allocation lives)
     * @param channel      the channel number bound to {@code peerRelayed} on it, 0x4000-0x4FFF
     * @param peerRelayed  the peer's address as the TURN server sees it (the bound XOR-PEER-ADDRESS, the
     *                     remote candidate), reported back as the peer's endpoint
     * @throws IllegalArgumentException if {@code channel} is outside 0x4000-0x4FFF
     */
    void setRelayedEndpoint(int peerId, InetSocketAddress turnServer, int channel, InetSocketAddress peerRelayed);

    /** Routes the overlay prefix through the peer (and accepts it as the inner source from it). */
    void addRoute(IpPrefix prefix, int peerId);

    /** Removes the route of this prefix (a config reload took it from its peer). */
    default void removeRoute(IpPrefix prefix) {
        removeRoute(prefix, RouteKind.ROUTE_AND_SOURCE, 0);
    }

    /**
     * Adds a route and/or a source entry for the prefix and the peer, as {@code kind} says (the topology
     * manager routes with ROUTE_ONLY and accepts with SOURCE_ONLY, since hop-by-hop paths are not symmetric).
     * A port that only knows version 1 of the IPC supports ROUTE_AND_SOURCE alone.
     */
    default void addRoute(IpPrefix prefix, int peerId, RouteKind kind) {
        if (kind != RouteKind.ROUTE_AND_SOURCE) {
            throw new UnsupportedOperationException(getClass().getSimpleName() + " cannot add " + kind + " entries");
        }
        addRoute(prefix, peerId);
    }

    /** Removes the prefix's route ({@code peerId} ignored), or with SOURCE_ONLY the peer's source entry for it. */
    default void removeRoute(IpPrefix prefix, RouteKind kind, int peerId) {
        throw new UnsupportedOperationException(getClass().getSimpleName() + " cannot remove routes");
    }

    /**
     * Installs the keys of a completed handshake as the peer's newest session. Responder keys
     * ({@code initiator == false}) must only receive until the data plane has authenticated a packet
     * with them, which it reports as {@code CONFIRMED}. The caller wipes {@code keys} after the call.
     */
    void installSession(int peerId, SessionKeys keys);

    /** Drops the session with this local index; the data plane no longer accepts packets for it. */
    void retireSession(int peerId, int localIndex);

    /**
     * Asks the data plane for a TrafficReport every {@code intervalMs} for each route that carried
     * {@code thresholdBytes} or more from the TUN device in the interval (on-demand links; schema version 3); 0
     * for either turns the reports off. A port that cannot send it refuses with
     * {@link UnsupportedOperationException}.
     */
    default void setTrafficReport(long thresholdBytes, int intervalMs) {
        throw new UnsupportedOperationException(getClass().getSimpleName() + " cannot ask for traffic reports");
    }

    /** Sends {@code bytes[off, off + len)} from the data plane's UDP socket to {@code to}. */
    void inject(InetSocketAddress to, byte[] bytes, int off, int len);
}
