package net.ipop.dataplane.pipeline;

import net.ipop.ffm.udp.MessageBatch;

/**
 * Where the outbound path sends full batches of encrypted datagrams: slots {@code [0, count)} of
 * {@code batch}, each with its destination, length and GSO segment size set.
 *
 * <p>Ownership: the batch is borrowed for the call; when it returns the slots may be refilled.
 * Per-packet path: implementations must not allocate.
 *
 * @see PollingIo for the UDP socket implementation
 */
public interface DatagramSink {
    /**
     * Sends every slot it can; a slot the kernel refuses (or that would block) is dropped.
     *
     * @return how many datagrams were dropped (a GSO slot counts all of its datagrams)
     */
    int send(MessageBatch batch, int count);

    /**
     * Whether slot {@code slot} of the last {@link #send} was dropped; asked only after a send that dropped
     * something, before the next send, so the caller can count each dropped datagram for its peer. A sink
     * that cannot tell answers false (the default): its drops are then counted per reason only.
     */
    default boolean refused(int slot) {
        return false;
    }
}
