package net.ipop.dataplane.conductor;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;

import org.agrona.concurrent.UnsafeBuffer;

import io.aeron.Publication;
import net.ipop.dataplane.ipc.EventProxy;
import net.ipop.dataplane.pipeline.Punt;
import net.ipop.dataplane.stats.PipelineCounters;
import net.ipop.ffm.udp.SockAddr;
import net.ipop.ipc.counters.DropReason;
import net.ipop.ipc.sbe.AddressFamily;

/**
 * Publishes punted datagrams (handshakes, STUN) straight from a pipeline thread to the control plane.
 *
 * <p>Why not a ring buffer to the conductor: the Aeron {@link Publication} is already a thread-safe, bounded,
 * lock-free queue to the control plane, so a pipeline that has its <em>own</em> {@link EventProxy} (the proxy's
 * encoding buffer is per thread) over the shared publication needs no second hand-off, no extra copy and no
 * conductor wake-up. The proxy is made with zero retries: under back pressure the punt is dropped at once and
 * counted as {@link DropReason#BACKPRESSURE}, so the packet path never waits for the control plane; handshakes
 * and STUN are retransmitted by their senders.
 *
 * <p>Threading: the owning pipeline's thread only. Allocation-free per punt (the payload is viewed in place
 * and copied once into the proxy's buffer).
 */
final class PuntPublisher implements Punt {
    private final EventProxy proxy;
    private final PipelineCounters counters;
    private final int localPort;
    private final UnsafeBuffer payloadView = new UnsafeBuffer(0, 0);
    private final UnsafeBuffer address = new UnsafeBuffer(new byte[16]);

    PuntPublisher(Publication events, PipelineCounters counters, int localPort) {
        this.proxy = new EventProxy(events, 0);
        this.counters = counters;
        this.localPort = localPort;
    }

    @Override
    public void punt(MemorySegment buffer, long offset, int length, SockAddr source) {
        AddressFamily family;
        if (source.isIpv4()) {
            family = AddressFamily.IPV4;
            address.putInt(0, source.ipv4Address(), ByteOrder.BIG_ENDIAN);
        } else if (source.isIpv6()) {
            family = AddressFamily.IPV6;
            address.putLong(0, source.ipv6High(), ByteOrder.BIG_ENDIAN);
            address.putLong(8, source.ipv6Low(), ByteOrder.BIG_ENDIAN);
        } else {
            family = AddressFamily.NONE;
        }
        payloadView.wrap(buffer.address() + offset, length);
        if (!proxy.puntedPacket(System.nanoTime(), family, address, 0, source.port(), localPort,
                payloadView, 0, length)) {
            counters.drop(DropReason.BACKPRESSURE);
        }
    }
}
