package net.ipop.control.ice;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * What ice4j takes for a candidate's UDP socket: a {@link DatagramSocket} whose {@code send} goes to an {@link
 * Outlet} (for a host candidate the shared {@link IceTransport}, for a relayed one the {@link SharedAllocation})
 * and whose {@code receive} takes the datagrams the {@link IceMux} or the allocation routed to this agent. ice4j wraps it in its {@code MultiplexingDatagramSocket}, which splits STUN, TURN
 * and data among its readers, so it never knows the socket is not its own.
 *
 * <p>The JDK superclass still opens an unbound socket of its own; it is never bound or used, and is
 * closed with this one. Received datagrams are copied into a bounded queue; when ice4j falls behind
 * the newest are dropped and counted (STUN retransmits).
 *
 * <p>Threading: {@code send} from any thread; {@code receive} from ice4j's reader threads.
 */
final class TransportDatagramSocket extends DatagramSocket {
    private static final int QUEUE = 256;
    private static final Datagram CLOSED = new Datagram(null, new byte[0]);

    private record Datagram(InetSocketAddress source, byte[] bytes) {
    }

    /** Where a datagram ice4j sends goes. */
    @FunctionalInterface
    interface Outlet {
        /** Sends {@code b[off, off + len)} (borrowed for the call) to {@code to}. */
        void send(InetSocketAddress to, byte[] b, int off, int len) throws IOException;
    }

    private final Outlet outlet;
    private final InetSocketAddress host;
    private final BlockingQueue<Datagram> queue = new ArrayBlockingQueue<>(QUEUE);
    private volatile boolean closed;
    private volatile int timeoutMs;
    private volatile int receiveBufferSize = 1 << 20;
    private long dropped;

    /** A socket bound (as ice4j sees it) to {@code host}, sending through {@code outlet}. */
    TransportDatagramSocket(Outlet outlet, InetSocketAddress host) throws SocketException {
        super((SocketAddress) null);
        this.outlet = outlet;
        this.host = host;
    }

    InetSocketAddress host() {
        return host;
    }

    /** Queues a copy of a datagram for ice4j. Called on the transport's receiving thread. */
    void enqueue(InetSocketAddress source, byte[] b, int off, int len) {
        if (closed) {
            return;
        }
        byte[] copy = new byte[len];
        System.arraycopy(b, off, copy, 0, len);
        if (!queue.offer(new Datagram(source, copy))) {
            synchronized (this) {
                dropped++;
            }
        }
    }

    synchronized long dropped() {
        return dropped;
    }

    @Override
    public void send(DatagramPacket p) throws IOException {
        if (closed) {
            throw new SocketException("Socket is closed");
        }
        if (!(p.getSocketAddress() instanceof InetSocketAddress to)) {
            throw new IllegalArgumentException("not an IP destination: " + p.getSocketAddress());
        }
        outlet.send(to, p.getData(), p.getOffset(), p.getLength());
    }

    @Override
    public void receive(DatagramPacket p) throws IOException {
        Datagram d;
        try {
            int t = timeoutMs;
            d = t == 0 ? queue.take() : queue.poll(t, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SocketException("interrupted while receiving");
        }
        if (d == null) {
            throw new SocketTimeoutException("Receive timed out");
        }
        if (d == CLOSED || closed) {
            queue.offer(CLOSED); // wake every other reader too
            throw new SocketException("Socket is closed");
        }
        byte[] buf = p.getData();
        int n = Math.min(d.bytes.length, buf.length - p.getOffset());
        System.arraycopy(d.bytes, 0, buf, p.getOffset(), n);
        p.setLength(n);
        p.setSocketAddress(d.source);
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            queue.clear();
            queue.offer(CLOSED);
            super.close();
        }
    }

    @Override
    public boolean isClosed() {
        return closed;
    }

    @Override
    public boolean isBound() {
        return true;
    }

    @Override
    public void bind(SocketAddress addr) throws SocketException {
        throw new SocketException("a shared-transport socket is bound by its transport");
    }

    @Override
    public InetAddress getLocalAddress() {
        return host.getAddress();
    }

    @Override
    public int getLocalPort() {
        return host.getPort();
    }

    @Override
    public SocketAddress getLocalSocketAddress() {
        return host;
    }

    @Override
    public InetAddress getInetAddress() {
        return null;
    }

    @Override
    public int getPort() {
        return -1;
    }

    @Override
    public SocketAddress getRemoteSocketAddress() {
        return null;
    }

    @Override
    public boolean isConnected() {
        return false;
    }

    @Override
    public void setSoTimeout(int timeout) {
        timeoutMs = timeout;
    }

    @Override
    public int getSoTimeout() {
        return timeoutMs;
    }

    @Override
    public void setReceiveBufferSize(int size) {
        receiveBufferSize = size;
    }

    @Override
    public int getReceiveBufferSize() {
        return receiveBufferSize;
    }

    @Override
    public int getSendBufferSize() {
        return 1 << 20;
    }

    @Override
    public void setSendBufferSize(int size) {
        // The transport's socket keeps its own buffers.
    }

    @Override
    public void setTrafficClass(int tc) {
        // The transport's socket keeps its own traffic class.
    }

    @Override
    public String toString() {
        return "TransportDatagramSocket[" + host + "]";
    }
}
