package net.ipop.control.ice;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.SocketException;
import java.util.List;

/**
 * An {@link IceTransport} over a UDP socket the control plane owns: every datagram that arrives, STUN or
 * not, goes to the receiver (ice4j then separates checks from data). It stands in for the data plane's
 * socket in tests and serves nodes that run ICE without a data plane.
 *
 * <p>Threading: one platform thread receives; {@link #send} is safe from any thread.
 */
public final class UdpIceTransport implements IceTransport {
    private static final int MAX_DATAGRAM = 65536;

    private final DatagramSocket socket;
    private final List<InetSocketAddress> hosts;
    private final Thread reader;
    private volatile Receiver receiver;

    private UdpIceTransport(DatagramSocket socket, List<InetSocketAddress> hosts) {
        this.socket = socket;
        this.hosts = hosts;
        this.reader = Thread.ofPlatform().daemon().name("ice-udp-" + socket.getLocalPort()).unstarted(this::run);
    }

    /**
     * Binds a socket to {@code bind} (a specific address, or the wildcard with a port or 0) and starts
     * receiving. The sockets of the calling thread's network namespace are used.
     *
     * @throws IOException if the bind fails or, for the wildcard, no usable local address exists
     */
    public static UdpIceTransport open(InetSocketAddress bind) throws IOException {
        DatagramSocket socket = new DatagramSocket(bind);
        try {
            List<InetSocketAddress> hosts = HostAddresses.of(bind, socket.getLocalPort());
            UdpIceTransport t = new UdpIceTransport(socket, hosts);
            t.reader.start();
            return t;
        } catch (IOException | RuntimeException e) {
            socket.close();
            throw e;
        }
    }

    @Override
    public List<InetSocketAddress> hostAddresses() {
        return hosts;
    }

    @Override
    public void send(InetSocketAddress from, InetSocketAddress to, byte[] bytes, int offset, int length)
            throws IOException {
        DatagramPacket p = new DatagramPacket(bytes, offset, length, to);
        try {
            socket.send(p);
        } catch (SocketException e) {
            if (socket.isClosed()) {
                throw e;
            }
            // An ICMP error for an earlier datagram (a check to an unreachable candidate) is reported by the
            // next call on the socket, which then sends nothing: this datagram deserves its own attempt.
            socket.send(p);
        }
    }

    @Override
    public void receiver(Receiver receiver) {
        this.receiver = receiver;
    }

    private void run() {
        byte[] buffer = new byte[MAX_DATAGRAM];
        DatagramPacket p = new DatagramPacket(buffer, buffer.length);
        while (!socket.isClosed()) {
            try {
                p.setLength(buffer.length);
                socket.receive(p);
            } catch (IOException e) {
                if (socket.isClosed()) {
                    return;
                }
                continue; // an ICMP error for an earlier send (unreachable candidate): keep receiving
            }
            Receiver r = receiver;
            if (r != null && p.getSocketAddress() instanceof InetSocketAddress source) {
                r.datagram(HostAddresses.sameFamily(hosts, source), source, buffer, 0, p.getLength());
            }
        }
    }

    @Override
    public void close() {
        socket.close();
        try {
            reader.join(5000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
