package net.ipop.control.ice;

import java.io.IOException;

/**
 * How a {@link SharedAllocation} talks to its TURN server: from the shared transport's socket (a node's data
 * plane socket) through the {@link IceMux} in production, a scripted server in tests.
 */
interface TurnLink {
    /**
     * Sends {@code request} (again while unanswered, as STUN retransmits) and waits for its answer.
     * Blocks: never call it on the thread that flushes or receives the transport.
     *
     * @return the answer (success or error response), or null if none came within {@code timeoutMs}
     * @throws IOException if the transport refuses to send
     */
    byte[] exchange(byte[] request, long timeoutMs) throws IOException, InterruptedException;

    /** Sends a datagram that expects no answer (an indication, ChannelData); the bytes are owned by the link. */
    void send(byte[] datagram) throws IOException;
}
