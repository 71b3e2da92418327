package net.ipop.control.ice;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.List;

/**
 * The one UDP socket ICE shares with the data: every connectivity check, STUN/TURN exchange and consent
 * check of every {@link IceSession} on a node leaves through {@link #send} and arrives through the
 * {@link Receiver}, so the 5-tuple ICE validates is exactly the one the data uses.
 *
 * <p>Two implementations: {@link DataPlaneIceTransport}, where the data plane owns the socket, punts STUN to
 * the control plane and injects what the control plane sends; and {@link UdpIceTransport}, a socket of the
 * control plane's own (tests, and nodes without a data plane).
 *
 * <p>Threading: {@link #send} may be called from any thread. The receiver is called on the transport's
 * receiving thread, one datagram at a time.
 */
public interface IceTransport extends AutoCloseable {

    /** Takes what arrives on the socket. The bytes are borrowed for the duration of the call only. */
    interface Receiver {
        /**
         * @param local  the local address the datagram arrived on (one of {@link #hostAddresses()})
         * @param source where it came from
         */
        void datagram(InetSocketAddress local, InetSocketAddress source, byte[] bytes, int offset, int length);
    }

    /**
     * The host candidates' addresses: the socket's port on each usable local address (never loopback,
     * link-local or wildcard). Fixed for the transport's lifetime.
     */
    List<InetSocketAddress> hostAddresses();

    /**
     * Sends one datagram from the socket. {@code from} names the host address it should leave from; a
     * socket bound to the wildcard address leaves the choice of source to the kernel's routing. The bytes
     * are borrowed for the duration of the call only.
     *
     * @throws IOException if the datagram cannot be handed over (the transport is closed or the kernel
     *                     refused it); a datagram lost later is not reported, as with any UDP send
     */
    void send(InetSocketAddress from, InetSocketAddress to, byte[] bytes, int offset, int length) throws IOException;

    /** Sets the receiver of every arriving datagram (replacing any previous one); {@code null} drops them. */
    void receiver(Receiver receiver);

    /** Stops receiving and releases the socket, if this transport owns one. Idempotent. */
    @Override
    void close();
}
