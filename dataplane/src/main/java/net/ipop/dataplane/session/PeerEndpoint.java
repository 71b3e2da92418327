package net.ipop.dataplane.session;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.net.InetSocketAddress;

import net.ipop.ffm.udp.SockAddr;

/**
 * Where a peer's datagrams go: a {@code sockaddr} in off-heap memory, so a send copies it into a
 * message slot without conversion, and the roaming rule overwrites it in place when an
 * authenticated packet arrives from elsewhere.
 *
 * <p>One endpoint lives as long as the peer, across every {@link Peer} snapshot version of it.
 * Threading: written by the owning pipeline (roaming) and, before the peer is published, by the
 * conductor; read by the owning pipeline. Another thread reading it may see a torn address, which
 * is why the peer's pipeline is its only reader on the packet path.
 */
public final class PeerEndpoint implements AutoCloseable {
    private final Arena arena = Arena.ofShared();
    private final SockAddr address;

    public PeerEndpoint() {
        MemorySegment memory = arena.allocate(SockAddr.MAX_SIZE, 8);
        address = new SockAddr(memory, 0).clear();
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

    /** Whether an endpoint is known (a send needs one). */
    public boolean known() {
        return address.isIpv4() || address.isIpv6();
    }

    @Override
    public void close() {
        arena.close();
    }
}
