package net.ipop.dataplane.pipeline;

import java.lang.foreign.MemorySegment;

/**
 * Where inner packets go toward the local host: decrypted packets and ICMP errors.
 *
 * <p>Ownership: {@code buffer[offset, offset + length)} is borrowed for the call only; the packet
 * is a plain IP packet (no virtio-net header). Per-packet path: implementations must not allocate.
 */
public interface TunSink {
    /** @return false if the packet could not be written (the caller counts it) */
    boolean write(MemorySegment buffer, long offset, int length);

    /**
     * Writes anything held back by {@link #write} (a sink that coalesces packets); called at the end
     * of each batch. Plain sinks hold nothing.
     */
    default void flush() {
    }
}
