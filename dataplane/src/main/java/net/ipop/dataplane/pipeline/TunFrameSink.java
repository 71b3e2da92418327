package net.ipop.dataplane.pipeline;

import java.lang.foreign.MemorySegment;

/**
 * Writes whole TUN frames: a {@code struct virtio_net_hdr} followed by the IP packet (possibly a
 * GSO super-packet the header describes), for a device opened with {@code IFF_VNET_HDR}.
 *
 * <p>Ownership: {@code frame[0, length)} is borrowed for the call only. Pipeline thread only; must
 * not allocate.
 */
public interface TunFrameSink {
    /** @return false if the frame could not be written (the caller counts its packets as dropped) */
    boolean writeFrame(MemorySegment frame, int length);
}
