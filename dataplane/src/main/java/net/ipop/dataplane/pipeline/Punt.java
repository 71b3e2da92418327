package net.ipop.dataplane.pipeline;

import java.lang.foreign.MemorySegment;

import net.ipop.ffm.udp.SockAddr;

/**
 * Receives datagrams the packet path does not handle: handshake and cookie messages and STUN.
 * The implementation (later: an Aeron publication to the control plane) copies what it keeps.
 *
 * <p>Ownership: {@code buffer[offset, offset + length)} and {@code source} are borrowed for the
 * call only. Called on the pipeline thread; must not block.
 */
public interface Punt {
    void punt(MemorySegment buffer, long offset, int length, SockAddr source);
}
