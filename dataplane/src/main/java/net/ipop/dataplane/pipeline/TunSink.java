package net.ipop.dataplane.pipeline;

import java.lang.foreign.MemorySegment;

import net.ipop.dataplane.packet.PartialChecksum;

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
     * Writes a packet whose TCP/UDP checksum may be partial ({@link PartialChecksum}: it came on an
     * aes256gcm session). A sink with virtio-net headers passes it to the kernel as
     * {@code VIRTIO_NET_HDR_F_NEEDS_CSUM}; this default, for sinks without, completes the checksum in
     * the caller's buffer first. Ownership and result as {@link #write}.
     */
    default boolean writePartial(MemorySegment buffer, long offset, int length) {
        PartialChecksum.complete(buffer, offset, length);
        return write(buffer, offset, length);
    }

    /**
     * Writes anything held back by {@link #write} (a sink that coalesces packets); called at the end
     * of each batch. Plain sinks hold nothing.
     */
    default void flush() {
    }
}
