package net.ipop.control.ice;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The {@link IceTransport} of a running node: the data plane's UDP socket. The data plane punts the STUN
 * it receives (the node hands each punted datagram to {@link #punted}) and sends what ICE sends when the
 * node injects it ({@link #flush}, e.g. into {@code DataPlanePort.inject}). The data itself never comes
 * here: it flows in the data plane on the 5-tuple ICE validated.
 *
 * <p>Threading: ice4j sends from its own threads, but the data plane is commanded from the node's thread
 * only, so {@link #send} queues a copy (bounded; when full the datagram is dropped and counted, like a
 * lost UDP datagram, and STUN retransmits) and the node's duty cycle calls {@link #flush}. {@link
 * #punted} runs on the node's thread and calls the receiver there.
 *
 * <p>TURN ChannelData: the data plane punts STUN (and handshakes) that arrive inside ChannelData whole, the
 * TURN server as the source, so the node's shared allocation ({@link SharedAllocation}) unwraps them for the
 * ICE session they are for; relayed data is framed by
 * the data plane once the node gives it the server and {@link SelectedPath#channel()}
 * ({@code DataPlanePort.setRelayedEndpoint}).
 */
public final class DataPlaneIceTransport implements IceTransport {
    /** How the node hands a datagram to the data plane ({@code DataPlanePort::inject} fits). */
    @FunctionalInterface
    public interface Injector {
        /** Sends {@code bytes[off, off + len)} from the data plane's socket; the bytes are borrowed. */
        void inject(InetSocketAddress to, byte[] bytes, int off, int len);
    }

    private static final int QUEUE = 1024;

    private record Outbound(InetSocketAddress to, byte[] bytes) {
    }

    private final List<InetSocketAddress> hosts;
    private final BlockingQueue<Outbound> outbound = new ArrayBlockingQueue<>(QUEUE);
    private final AtomicLong dropped = new AtomicLong();
    private volatile Receiver receiver;
    private volatile boolean closed;

    /**
     * @param hosts the node's addresses with the data plane's port: the host candidates (the data plane
     *              binds the wildcard, so these must be given or found with the port it reports)
     */
    public DataPlaneIceTransport(List<InetSocketAddress> hosts) {
        if (hosts.isEmpty()) {
            throw new IllegalArgumentException("an ICE transport needs at least one host address");
        }
        this.hosts = List.copyOf(hosts);
    }

    @Override
    public List<InetSocketAddress> hostAddresses() {
        return hosts;
    }

    /** Queues the datagram for the node thread's next {@link #flush}. {@code from} is the data plane's to pick. */
    @Override
    public void send(InetSocketAddress from, InetSocketAddress to, byte[] bytes, int offset, int length)
            throws IOException {
        if (closed) {
            throw new IOException("the data plane ICE transport is closed");
        }
        byte[] copy = new byte[length];
        System.arraycopy(bytes, offset, copy, 0, length);
        if (!outbound.offer(new Outbound(to, copy))) {
            dropped.incrementAndGet();
        }
    }

    /** Hands every queued datagram to {@code injector}; returns how many (the node thread's work count). */
    public int flush(Injector injector) {
        int n = 0;
        for (Outbound o; (o = outbound.poll()) != null; n++) {
            injector.inject(o.to, o.bytes, 0, o.bytes.length);
        }
        return n;
    }

    /**
     * A datagram the data plane punted: {@code source} sent it to the data plane's {@code localPort}.
     * The bytes are borrowed for the duration of the call.
     */
    public void punted(InetSocketAddress source, int localPort, byte[] bytes, int offset, int length) {
        Receiver r = receiver;
        if (r == null || closed) {
            return;
        }
        InetSocketAddress local = HostAddresses.sameFamily(hosts, source);
        if (local.getPort() != localPort) {
            local = new InetSocketAddress(local.getAddress(), localPort);
        }
        r.datagram(local, source, bytes, offset, length);
    }

    /** Datagrams dropped because the node thread did not flush fast enough. */
    public long dropped() {
        return dropped.get();
    }

    @Override
    public void receiver(Receiver receiver) {
        this.receiver = receiver;
    }

    @Override
    public void close() {
        closed = true;
        outbound.clear();
    }
}
