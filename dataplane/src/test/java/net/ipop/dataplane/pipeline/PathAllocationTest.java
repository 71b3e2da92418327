package net.ipop.dataplane.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.util.List;

import net.ipop.crypto.Suite;
import net.ipop.crypto.aead.AeadScratch;
import net.ipop.crypto.aead.PacketOpener;
import net.ipop.crypto.aead.PacketSealer;
import net.ipop.dataplane.session.PeerEndpoint;
import net.ipop.dataplane.session.PeerTable;
import net.ipop.ffm.tun.VirtioNetHeader;
import net.ipop.ffm.udp.MessageBatch;
import org.junit.jupiter.api.Test;

/**
 * The packet paths add no allocation of their own: per packet, outbound + inbound allocate what
 * the JDK cipher allocates for one seal + one open (a known crypto issue), and nothing more.
 * Measured with the thread's allocation counter after warm-up.
 */
class PathAllocationTest {
    private static final int WARMUP = 20_000;
    private static final int PACKETS = 10_000;
    /** Tolerance per packet for measurement noise (the counter is sampled per TLAB). */
    private static final double SLACK_BYTES = 16;

    private final com.sun.management.ThreadMXBean threads =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

    private long allocated() {
        return threads.getCurrentThreadAllocatedBytes();
    }

    @Test
    void outboundAndInboundAllocateNothingBeyondTheCipher() {
        try (Arena arena = Arena.ofConfined();
             MessageBatch sendBatch = new MessageBatch(4, MessageBatch.MAX_BUFFER_SIZE);
             MessageBatch wire = new MessageBatch(4, MessageBatch.MAX_BUFFER_SIZE);
             PeerEndpoint ofB = new PeerEndpoint();
             PeerEndpoint ofA = new PeerEndpoint()) {
            PathStats statsA = new PathStats();
            PathStats statsB = new PathStats();
            long[] delivered = new long[1];
            TunSink countOnly = (b, o, l) -> {
                delivered[0]++;
                return true;
            };
            InetSocketAddress underlayA = new InetSocketAddress("198.51.100.1", 51820);
            wire.remote(0).set(underlayA);
            DatagramSink toWire = (batch, count) -> {
                MemorySegment.copy(batch.buffer(0), 0, wire.buffer(0), 0, batch.length(0));
                wire.setLength(0, batch.length(0));
                wire.setSegmentSize(0, batch.segmentSize(0));
                return 0;
            };
            List<String> b = List.of("192.0.2.2/32");
            List<String> a = List.of("192.0.2.1/32");
            PeerTable tableA = StaticSessions.side(true, Suite.AES256GCM, new AeadScratch(), ofB,
                    new InetSocketAddress("198.51.100.2", 51820), b, b);
            PeerTable tableB = StaticSessions.side(false, Suite.AES256GCM, new AeadScratch(), ofA, underlayA, a, a);
            InboundPath in = new InboundPath(statsB, countOnly, (buf, o, l, s) -> { });
            byte[] packet = Packets.udp4("192.0.2.1", "192.0.2.2", new byte[1000]);
            MemorySegment read = arena.allocate(VirtioNetHeader.SIZE + 2048);
            MemorySegment.copy(packet, 0, read, ValueLayout.JAVA_BYTE, VirtioNetHeader.SIZE, packet.length);
            try (OutboundPath out = new OutboundPath(statsA, 1420, true, 0, 0, 0, countOnly, toWire, sendBatch)) {
                for (int i = 0; i < WARMUP; i++) {
                    roundTrip(out, in, tableA, tableB, read, packet.length, wire);
                }
                long before = allocated();
                for (int i = 0; i < PACKETS; i++) {
                    roundTrip(out, in, tableA, tableB, read, packet.length, wire);
                }
                double pathPerPacket = (allocated() - before) / (double) PACKETS;
                double cipherPerPacket = cipherOnly(arena, packet.length);
                System.out.printf("allocation per packet: paths %.1f B, seal+open alone %.1f B%n",
                        pathPerPacket, cipherPerPacket);
                assertEquals(WARMUP + PACKETS, delivered[0], statsB::toString);
                assertTrue(pathPerPacket <= cipherPerPacket + SLACK_BYTES,
                        "paths " + pathPerPacket + " B/packet vs cipher " + cipherPerPacket);
            }
        }
    }

    private static void roundTrip(OutboundPath out, InboundPath in, PeerTable tableA, PeerTable tableB,
                                  MemorySegment read, int length, MessageBatch wire) {
        out.begin(tableA);
        out.process(read, VirtioNetHeader.SIZE + length);
        out.flush();
        in.process(tableB, wire, 1);
    }

    /** The same seal + open, without the paths: what the JDK cipher allocates. */
    private double cipherOnly(Arena arena, int payload) {
        AeadScratch scratch = new AeadScratch();
        byte[] key = StaticSessions.key(3);
        MemorySegment buf = arena.allocate(payload + 32L);
        try (PacketSealer sealer = new PacketSealer(Suite.AES256GCM, key, 9, scratch);
             PacketOpener opener = new PacketOpener(Suite.AES256GCM, key, 9, scratch)) {
            for (int i = 0; i < WARMUP; i++) {
                opener.open(buf, 0, sealer.seal(buf, 0, payload));
            }
            long before = allocated();
            for (int i = 0; i < PACKETS; i++) {
                opener.open(buf, 0, sealer.seal(buf, 0, payload));
            }
            return (allocated() - before) / (double) PACKETS;
        }
    }
}
