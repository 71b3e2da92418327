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
    /** @return how many slots were sent; the caller counts the rest as dropped */
    int send(MessageBatch batch, int count);
}
