package net.ipop.dataplane.conductor;

import java.net.InetSocketAddress;
import java.util.List;

import org.agrona.DirectBuffer;

import net.ipop.crypto.aead.AeadScratch;
import net.ipop.ffm.netlink.IpPrefix;

/**
 * The kernel side the {@link Conductor} drives: the TUN device, the UDP socket and the pipelines that move
 * packets between them. Behind an interface so the conductor's table logic is testable without kernel objects.
 *
 * <p>Threading: every method is called on the conductor thread only.
 */
public interface DataPath extends AutoCloseable {
    /**
     * Creates the interface and starts the pipelines on the first call; later calls reconcile the addresses.
     *
     * @param mtu       the tunnel MTU in bytes
     * @param addresses the overlay addresses of this node, replacing the previous set
     * @throws IllegalArgumentException if the request cannot be honoured as given (e.g. an MTU change while
     *                                  running); the message says why
     * @throws Exception                if a kernel call failed
     */
    void configure(int mtu, List<IpPrefix> addresses) throws Exception;

    /**
     * Routes {@code prefix} into the interface in the kernel's main table, so the host sends its traffic into the
     * tunnel; before the interface exists it is remembered and installed by {@link #configure}. A route that is
     * already there is left alone.
     *
     * @throws Exception if the kernel refused it
     */
    void addRoute(IpPrefix prefix) throws Exception;

    /** Removes a route {@link #addRoute} made (nothing if it is not there). */
    void removeRoute(IpPrefix prefix) throws Exception;

    /** Whether {@link #configure} has succeeded once (pipelines exist). */
    boolean configured();

    /**
     * The crypto scratch of the pipeline that receives for the peer in {@code peerSlot}: the peer's sessions open
     * with it, so only that pipeline's thread opens them. Only after {@link #configured()}.
     */
    AeadScratch scratch(int peerSlot);

    /**
     * The crypto scratches of the pipelines that seal for the peer in {@code peerSlot}, in queue order: the
     * peer's sessions get one sealer per pipeline, sharing one counter. One pipeline: {@link #scratch}'s.
     */
    default AeadScratch[] sealScratches(int peerSlot) {
        return new AeadScratch[] {scratch(peerSlot)};
    }

    /**
     * Sends {@code payload[offset, offset + length)} as one datagram from the data plane's UDP socket to
     * {@code to}. The payload is borrowed for the call.
     *
     * @throws Exception if the kernel refused it
     */
    void inject(InetSocketAddress to, DirectBuffer payload, int offset, int length) throws Exception;

    /** Stops the pipelines and releases the TUN device and sockets. Idempotent. */
    @Override
    void close();
}
