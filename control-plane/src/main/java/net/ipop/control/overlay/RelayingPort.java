package net.ipop.control.overlay;

import java.net.InetSocketAddress;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import net.ipop.control.ice.StunPackets;
import net.ipop.control.node.DataPlanePort;
import net.ipop.crypto.Suite;
import net.ipop.crypto.cert.IpPrefix;
import net.ipop.ipc.sbe.RouteKind;
import net.ipop.crypto.noise.SessionKeys;

/**
 * The data plane as the handshakes of an overlay node see it: the real port, plus the peers ICE reaches through
 * this node's TURN allocation. The handshakes know such a peer only by its address as the TURN server sees it
 * (the remote candidate); this port turns an endpoint set to that address into a relayed endpoint (TURN server
 * and channel), and frames a handshake message injected to it as TURN ChannelData (RFC 8656 section 12.4) to the
 * TURN server, which the data plane's inject does not do. Its counterpart for arriving handshakes is
 * {@link #peerFor}: a punted ChannelData frame is unwrapped and attributed to the peer address of its channel.
 *
 * <p>Threading: the node's thread only.
 */
final class RelayingPort implements DataPlanePort {
    /** RFC 8656 section 12.4: channel number (2 bytes) and length (2 bytes). */
    static final int CHANNEL_DATA_HEADER = StunPackets.CHANNEL_DATA_HEADER;

    private record Relay(InetSocketAddress server, int channel) {
    }

    private record Channel(InetSocketAddress server, int channel) {
    }

    private final DataPlanePort port;
    private final Map<InetSocketAddress, Relay> byPeer = new HashMap<>();
    private final Map<Channel, InetSocketAddress> byChannel = new HashMap<>();
    private byte[] frame = new byte[2048];

    RelayingPort(DataPlanePort port) {
        this.port = port;
    }

    /** From now on {@code peer} (a remote candidate) is reached through {@code server} on {@code channel}. */
    void relay(InetSocketAddress peer, InetSocketAddress server, int channel) {
        direct(peer);
        byPeer.put(peer, new Relay(server, channel));
        byChannel.put(new Channel(server, channel), peer);
    }

    /** {@code peer} is reached directly (again). */
    void direct(InetSocketAddress peer) {
        Relay old = byPeer.remove(peer);
        if (old != null) {
            byChannel.remove(new Channel(old.server, old.channel));
        }
    }

    /** The peer address bound to {@code channel} on {@code server}, or null. */
    InetSocketAddress peerFor(InetSocketAddress server, int channel) {
        return byChannel.get(new Channel(server, channel));
    }

    @Override
    public void configureInterface(int mtu, List<IpPrefix> addresses) {
        port.configureInterface(mtu, addresses);
    }

    @Override
    public void addPeer(int peerId, String name, Suite suite, int keepaliveMs, byte[] staticKey) {
        port.addPeer(peerId, name, suite, keepaliveMs, staticKey);
    }

    @Override
    public void removePeer(int peerId) {
        port.removePeer(peerId);
    }

    @Override
    public void setEndpoint(int peerId, InetSocketAddress endpoint) {
        Relay r = byPeer.get(endpoint);
        if (r == null) {
            port.setEndpoint(peerId, endpoint);
        } else {
            port.setRelayedEndpoint(peerId, r.server, r.channel, endpoint);
        }
    }

    @Override
    public void setRelayedEndpoint(int peerId, InetSocketAddress turnServer, int channel,
            InetSocketAddress peerRelayed) {
        port.setRelayedEndpoint(peerId, turnServer, channel, peerRelayed);
    }

    @Override
    public void addRoute(IpPrefix prefix, int peerId) {
        port.addRoute(prefix, peerId);
    }

    @Override
    public void removeRoute(IpPrefix prefix) {
        port.removeRoute(prefix);
    }

    @Override
    public void addRoute(IpPrefix prefix, int peerId, RouteKind kind) {
        port.addRoute(prefix, peerId, kind);
    }

    @Override
    public void removeRoute(IpPrefix prefix, RouteKind kind, int peerId) {
        port.removeRoute(prefix, kind, peerId);
    }

    @Override
    public void setTrafficReport(long thresholdBytes, int intervalMs) {
        port.setTrafficReport(thresholdBytes, intervalMs);
    }

    @Override
    public void installSession(int peerId, SessionKeys keys) {
        port.installSession(peerId, keys);
    }

    @Override
    public void retireSession(int peerId, int localIndex) {
        port.retireSession(peerId, localIndex);
    }

    @Override
    public void inject(InetSocketAddress to, byte[] bytes, int off, int len) {
        Relay r = byPeer.get(to);
        if (r == null) {
            port.inject(to, bytes, off, len);
            return;
        }
        if (frame.length < CHANNEL_DATA_HEADER + len) {
            frame = new byte[CHANNEL_DATA_HEADER + len];
        }
        frame[0] = (byte) (r.channel >>> 8);
        frame[1] = (byte) r.channel;
        frame[2] = (byte) (len >>> 8);
        frame[3] = (byte) len;
        System.arraycopy(bytes, off, frame, CHANNEL_DATA_HEADER, len);
        // Over UDP the frame needs no padding to 4 bytes (RFC 8656 section 12.5).
        port.inject(r.server, frame, 0, CHANNEL_DATA_HEADER + len);
    }
}
