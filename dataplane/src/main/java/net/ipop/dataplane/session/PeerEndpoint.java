package net.ipop.dataplane.session;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.net.InetSocketAddress;

import net.ipop.dataplane.packet.ChannelData;
import net.ipop.ffm.udp.SockAddr;

/**
 * Where a peer's datagrams go: a {@code sockaddr} in off-heap memory, so a send copies it into a
 * message slot without conversion, and the roaming rule overwrites it in place when an
 * authenticated packet arrives from elsewhere.
 *
 * <p>A relayed endpoint (this node reaches the peer through its allocation on a TURN server) also
 * holds the TURN server's address and the channel bound to the peer there: datagrams go to the
 * server framed as {@link ChannelData} and the roaming rule
 * leaves it alone. Whether an endpoint is relayed, its server and channel never change: a different
 * path is a new {@code PeerEndpoint} in a new snapshot.
 *
 * <p>One endpoint lives as long as the peer, across every {@link Peer} snapshot version of it.
 * Threading: written by the owning pipeline (roaming) and, before the peer is published, by the
 * conductor; read by the owning pipeline. Another thread reading it may see a torn address, which
 * is why the peer's pipeline is its only reader on the packet path.
 */
public final class PeerEndpoint implements AutoCloseable {
    private final Arena arena = Arena.ofShared();
    private final SockAddr address;
    private final SockAddr relay;
    private int channel;

    public PeerEndpoint() {
        MemorySegment memory = arena.allocate(2L * SockAddr.MAX_SIZE, 8);
        address = new SockAddr(memory, 0).clear();
        relay = new SockAddr(memory, SockAddr.MAX_SIZE).clear();
    }

    /** The flyweight over the endpoint memory; owning pipeline only. Empty (AF_UNSPEC) when unknown. */
    public SockAddr address() {
        return address;
    }

    /** Setup: sets the endpoint before the peer is published. */
    public PeerEndpoint set(InetSocketAddress endpoint) {
        address.set(endpoint);
        return this;
    }

    /**
     * Setup: the peer is reached through a TURN server, before the peer is published.
     *
     * @param peer    the peer's address as the TURN server sees it (the channel's peer address)
     * @param server  the TURN server
     * @param channel the channel bound to {@code peer} on {@code server}, 0x4000-0x4FFF
     */
    public PeerEndpoint setRelayed(InetSocketAddress peer, InetSocketAddress server, int channel) {
        if (!ChannelData.validChannel(channel)) {
            throw new IllegalArgumentException("TURN channel " + channel + " outside 0x4000-0x4FFF");
        }
        address.set(peer);
        relay.set(server);
        this.channel = channel;
        return this;
    }

    /** Whether datagrams go through a TURN server as ChannelData. */
    public boolean relayed() {
        return channel != 0;
    }

    /** The channel number bound to the peer on the TURN server; 0 when not relayed. */
    public int channel() {
        return channel;
    }

    /** The TURN server when {@link #relayed()}, else empty (AF_UNSPEC). */
    public SockAddr relay() {
        return relay;
    }

    /** Where datagrams are sent: the TURN server when relayed, else {@link #address()}; owning pipeline only. */
    public SockAddr destination() {
        return channel != 0 ? relay : address;
    }

    /** Whether an endpoint is known (a send needs one). */
    public boolean known() {
        return address.isIpv4() || address.isIpv6();
    }

    @Override
    public void close() {
        arena.close();
    }
}
