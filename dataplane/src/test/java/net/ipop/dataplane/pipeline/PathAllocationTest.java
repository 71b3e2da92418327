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
import net.ipop.dataplane.packet.ChannelData;
import net.ipop.dataplane.route.Prefix;
import net.ipop.dataplane.route.RouteTraffic;
import net.ipop.dataplane.route.RouteTable;
import net.ipop.dataplane.session.Peer;
import net.ipop.dataplane.session.PeerEndpoint;
import net.ipop.dataplane.session.PeerTable;
import net.ipop.dataplane.session.Session;
import net.ipop.ffm.tun.VirtioNetHeader;
import net.ipop.ffm.udp.MessageBatch;
import org.junit.jupiter.api.Test;

/**
 * The packet paths add no allocation of their own: per packet, outbound + inbound allocate what
 * the JDK cipher allocates for one seal + one open (a known crypto issue), and nothing more.
 * Measured with the thread's allocation counter after warm-up.
 */
@org.junit.jupiter.api.Timeout(60)
class PathAllocationTest {
    private static final int WARMUP = 20_000;
    private static final int PACKETS = 10_000;
    /**
     * Tolerance per packet against the cipher-only baseline: how much of the JDK cipher's garbage
     * escape analysis removes depends on the inlining context (up to ~56 B/packet apart between a
     * tight seal/open loop and the same calls inside the paths). The paths' own code is checked
     * exactly by {@link #pathsWithoutCryptoAllocateNothing}.
     */
    private static final double SLACK_BYTES = 96;
    private static final ValueLayout.OfInt INT_BE =
            ValueLayout.JAVA_INT_UNALIGNED.withOrder(java.nio.ByteOrder.BIG_ENDIAN);

    private final com.sun.management.ThreadMXBean threads =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

    private long allocated() {
        return threads.getCurrentThreadAllocatedBytes();
    }

    /** With {@code relayed}, both sides reach each other through a TURN server: every datagram is ChannelData. */
    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(booleans = {false, true})
    void outboundAndInboundAllocateNothingBeyondTheCipher(boolean relayed) {
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
                MemorySegment.copy(batch.sendSegment(0), batch.sendOffset(0), wire.buffer(0), 0, batch.length(0));
                wire.setLength(0, batch.length(0));
                wire.setSegmentSize(0, batch.segmentSize(0));
                return 0;
            };
            List<String> b = List.of("192.0.2.2/32");
            List<String> a = List.of("192.0.2.1/32");
            PeerTable tableA = StaticSessions.side(true, Suite.AES256GCM, new AeadScratch(), ofB,
                    new InetSocketAddress("198.51.100.2", 51820), b, b);
            PeerTable tableB = StaticSessions.side(false, Suite.AES256GCM, new AeadScratch(), ofA, underlayA, a, a);
            // The route counts its bytes, as the conductor's routes do: counting must not allocate either.
            RouteTraffic traffic = new RouteTraffic(1);
            Prefix toB = Prefix.parse("192.0.2.2/32");
            tableA = new PeerTable.Builder(tableA).routes(new RouteTable.Builder(tableA.routes())
                    .add(toB, tableA.routes().lookup4(0xC0000202), traffic).build()).build();
            if (relayed) {
                InetSocketAddress turn = new InetSocketAddress("203.0.113.3", 3478);
                ofB.setRelayed(new InetSocketAddress("203.0.113.3", 50002), turn, 0x4001);
                ofA.setRelayed(new InetSocketAddress("203.0.113.3", 50001), turn, 0x4001);
                tableA = new PeerTable.Builder(tableA).build();
                tableB = new PeerTable.Builder(tableB).build();
                wire.remote(0).set(turn);
            }
            InboundPath in = new InboundPath(statsB, countOnly, (buf, o, l, s) -> { });
            byte[] packet = Packets.udp4("192.0.2.1", "192.0.2.2", new byte[1000]);
            MemorySegment read = arena.allocate(VirtioNetHeader.SIZE + 2048);
            MemorySegment.copy(packet, 0, read, ValueLayout.JAVA_BYTE, VirtioNetHeader.SIZE, packet.length);
            try (OutboundPath out = new OutboundPath(statsA, 1420, true, countOnly, toWire, sendBatch)) {
                for (int i = 0; i < WARMUP; i++) {
                    roundTrip(out, in, tableA, tableB, read, packet.length, wire);
                }
                long before = allocated();
                for (int i = 0; i < PACKETS; i++) {
                    roundTrip(out, in, tableA, tableB, read, packet.length, wire);
                }
                double pathPerPacket = (allocated() - before) / (double) PACKETS;
                double cipherPerPacket = cipherOnly(arena, packet.length);
                System.out.printf("allocation per packet%s: paths %.1f B, seal+open alone %.1f B%n",
                        relayed ? " (relayed)" : "", pathPerPacket, cipherPerPacket);
                int datagram = ((packet.length + 15) & -16) + 32;
                assertEquals(relayed ? ChannelData.HEADER_LENGTH + datagram : datagram, wire.length(0),
                        "a ChannelData header when relayed");
                assertEquals(WARMUP + PACKETS, delivered[0], statsB::toString);
                assertEquals((long) (WARMUP + PACKETS) * packet.length, traffic.sum(), "bytes counted on the route");
                assertTrue(pathPerPacket <= cipherPerPacket + SLACK_BYTES,
                        "paths " + pathPerPacket + " B/packet vs cipher " + cipherPerPacket);
            }
        }
    }

    /**
     * Everything but the cipher, exactly: outbound up to the seal (with a retired key, so the seal
     * refuses before any crypto) and the NO_ROUTE drop; inbound lookups with unknown index,
     * replayed counter and garbage. Zero bytes per packet.
     */
    @Test
    void pathsWithoutCryptoAllocateNothing() {
        try (Arena arena = Arena.ofConfined();
             MessageBatch sendBatch = new MessageBatch(4, MessageBatch.MAX_BUFFER_SIZE);
             MessageBatch wire = new MessageBatch(4, MessageBatch.MAX_BUFFER_SIZE);
             PeerEndpoint ofB = new PeerEndpoint();
             PeerEndpoint ofA = new PeerEndpoint()) {
            PathStats statsA = new PathStats();
            PathStats statsB = new PathStats();
            TunSink none = (b, o, l) -> true;
            DatagramSink noSend = (batch, count) -> 0;
            List<String> b = List.of("192.0.2.2/32");
            List<String> a = List.of("192.0.2.1/32");
            AeadScratch scratch = new AeadScratch();
            PeerTable tableA = StaticSessions.side(true, Suite.AES256GCM, scratch, ofB,
                    new InetSocketAddress("198.51.100.2", 51820), b, b);
            PeerTable tableB = StaticSessions.side(false, Suite.AES256GCM, scratch, ofA,
                    new InetSocketAddress("198.51.100.1", 51820), a, a);
            // A replayed datagram: sealed once, opened once, then fed again and again.
            int sealed = tableA.peer(0).current().sealer().seal(wire.buffer(0), 0, 64);
            byte[] replay = wire.buffer(0).asSlice(0, sealed).toArray(ValueLayout.JAVA_BYTE);
            assertEquals(64, tableB.peer(0).current().opener().open(wire.buffer(0), 0, sealed));
            tableA.peer(0).current().close();
            InboundPath in = new InboundPath(statsB, none, (buf, o, l, s) -> { });
            byte[] routed = Packets.udp4("192.0.2.1", "192.0.2.2", new byte[1000]);
            byte[] unrouted = Packets.udp4("192.0.2.1", "203.0.113.1", new byte[1000]);
            MemorySegment read1 = arena.allocate(VirtioNetHeader.SIZE + 2048);
            MemorySegment read2 = arena.allocate(VirtioNetHeader.SIZE + 2048);
            MemorySegment.copy(routed, 0, read1, ValueLayout.JAVA_BYTE, VirtioNetHeader.SIZE, routed.length);
            MemorySegment.copy(unrouted, 0, read2, ValueLayout.JAVA_BYTE, VirtioNetHeader.SIZE, unrouted.length);
            MemorySegment replaySegment = arena.allocate(replay.length);
            MemorySegment.copy(replay, 0, replaySegment, ValueLayout.JAVA_BYTE, 0, replay.length);
            wire.remote(0).set(new InetSocketAddress("198.51.100.1", 51820));
            wire.remote(1).set(new InetSocketAddress("198.51.100.1", 51820));
            try (OutboundPath out = new OutboundPath(statsA, 1420, true, none, noSend, sendBatch)) {
                long before = 0;
                for (int i = 0; i < WARMUP + PACKETS; i++) {
                    if (i == WARMUP) {
                        before = allocated();
                    }
                    out.begin(tableA);
                    out.process(read1, VirtioNetHeader.SIZE + routed.length);
                    out.process(read2, VirtioNetHeader.SIZE + unrouted.length);
                    out.flush();
                    MemorySegment.copy(replaySegment, 0, wire.buffer(0), 0, replay.length);
                    wire.setLength(0, replay.length);
                    wire.buffer(1).set(ValueLayout.JAVA_INT_UNALIGNED, 0, 4);
                    wire.buffer(1).set(ValueLayout.JAVA_INT_UNALIGNED, 4, i); // unknown receiver index
                    wire.setLength(1, 48);
                    in.process(tableB, wire, 2);
                }
                long bytes = allocated() - before;
                System.out.printf("allocation without crypto: %d B over %d rounds%n", bytes, PACKETS);
                assertEquals(WARMUP + PACKETS, statsA.drops(DropReason.KEY_EXHAUSTED), statsA::toString);
                assertEquals(WARMUP + PACKETS, statsA.drops(DropReason.NO_ROUTE));
                assertEquals(WARMUP + PACKETS, statsB.drops(DropReason.REPLAYED), statsB::toString);
                assertTrue(statsB.drops(DropReason.NO_SESSION) >= PACKETS);
                assertTrue(bytes < PACKETS / 100, bytes + " B allocated over " + PACKETS + " rounds");
            }
        }
    }

    /**
     * The ChannelData paths on the way in, without crypto: a replayed datagram on the relayed peer's channel
     * (found through the relayed-peer lookup, dropped by the replay window), an unknown channel, a bad
     * length, and STUN inside ChannelData punted whole. Zero bytes per round.
     */
    @Test
    void channelDataPathsWithoutCryptoAllocateNothing() {
        try (MessageBatch wire = new MessageBatch(4, MessageBatch.MAX_BUFFER_SIZE);
             PeerEndpoint ofB = new PeerEndpoint();
             PeerEndpoint ofA = new PeerEndpoint()) {
            PathStats statsB = new PathStats();
            long[] punted = new long[1];
            List<String> b = List.of("192.0.2.2/32");
            List<String> a = List.of("192.0.2.1/32");
            AeadScratch scratch = new AeadScratch();
            InetSocketAddress turn = new InetSocketAddress("203.0.113.3", 3478);
            PeerTable tableA = StaticSessions.side(true, Suite.AES256GCM, scratch, ofB,
                    new InetSocketAddress("198.51.100.2", 51820), b, b);
            PeerTable tableB = StaticSessions.side(false, Suite.AES256GCM, scratch, ofA,
                    new InetSocketAddress("198.51.100.1", 51820), a, a);
            ofA.setRelayed(new InetSocketAddress("203.0.113.3", 50001), turn, 0x4001);
            tableB = new PeerTable.Builder(tableB).build();
            MemorySegment first = wire.buffer(0);
            int sealed = tableA.peer(0).current().sealer().seal(first, 4, 64);
            assertEquals(64, tableB.peer(0).current().opener().open(first, 4, sealed));
            byte[] replay = first.asSlice(4, sealed).toArray(ValueLayout.JAVA_BYTE);
            InboundPath in = new InboundPath(statsB, (buf, o, l) -> true, (buf, o, l, s) -> punted[0]++);
            for (int slot = 0; slot < 4; slot++) {
                wire.remote(slot).set(turn);
            }
            long before = 0;
            for (int i = 0; i < WARMUP + PACKETS; i++) {
                if (i == WARMUP) {
                    before = allocated();
                }
                MemorySegment.copy(replay, 0, wire.buffer(0), ValueLayout.JAVA_BYTE, 4, replay.length);
                ChannelData.writeHeader(wire.buffer(0), 0, 0x4001, replay.length);
                wire.setLength(0, 4 + replay.length);
                MemorySegment.copy(replay, 0, wire.buffer(1), ValueLayout.JAVA_BYTE, 4, replay.length);
                ChannelData.writeHeader(wire.buffer(1), 0, 0x4002, replay.length); // unknown channel
                wire.setLength(1, 4 + replay.length);
                ChannelData.writeHeader(wire.buffer(2), 0, 0x4001, 100); // longer than the datagram
                wire.setLength(2, 40);
                MemorySegment stun = wire.buffer(3);
                ChannelData.writeHeader(stun, 0, 0x4001, 20);
                stun.set(INT_BE, 4, 0x00010000); // Binding request, no attributes
                stun.set(INT_BE, 8, 0x2112A442); // magic cookie
                wire.setLength(3, 24);
                in.process(tableB, wire, 4);
            }
            long bytes = allocated() - before;
            System.out.printf("allocation on the ChannelData paths: %d B over %d rounds%n", bytes, PACKETS);
            assertEquals(WARMUP + PACKETS, statsB.drops(DropReason.REPLAYED), statsB::toString);
            assertEquals(WARMUP + PACKETS, statsB.drops(DropReason.UNKNOWN_CHANNEL), statsB::toString);
            assertEquals(WARMUP + PACKETS, statsB.drops(DropReason.MALFORMED), statsB::toString);
            assertEquals(WARMUP + PACKETS, punted[0]);
            assertTrue(bytes < PACKETS / 100, bytes + " B allocated over " + PACKETS + " rounds");
        }
    }

    /**
     * The relay: A's outbound path seals for B, B's inbound path opens, decrements the TTL and seals
     * again for C through its {@link Forwarder}. Per packet that is two seals and one open, so the
     * bound is twice the seal + open baseline plus the same slack.
     */
    @Test
    void forwardPathAllocatesNothingBeyondTheCipher() {
        try (Arena arena = Arena.ofConfined();
             MessageBatch sendA = new MessageBatch(4, MessageBatch.MAX_BUFFER_SIZE);
             MessageBatch sendB = new MessageBatch(4, MessageBatch.MAX_BUFFER_SIZE);
             MessageBatch wire = new MessageBatch(4, MessageBatch.MAX_BUFFER_SIZE);
             PeerEndpoint ofB = new PeerEndpoint();
             PeerEndpoint ofA = new PeerEndpoint();
             PeerEndpoint ofC = new PeerEndpoint()) {
            PathStats statsA = new PathStats();
            PathStats statsB = new PathStats();
            long[] relayed = new long[1];
            TunSink none = (b, o, l) -> true;
            InetSocketAddress underlayA = new InetSocketAddress("198.51.100.1", 51820);
            wire.remote(0).set(underlayA);
            DatagramSink toWire = (batch, count) -> {
                MemorySegment.copy(batch.sendSegment(0), batch.sendOffset(0), wire.buffer(0), 0, batch.length(0));
                wire.setLength(0, batch.length(0));
                wire.setSegmentSize(0, batch.segmentSize(0));
                return 0;
            };
            DatagramSink toC = (batch, count) -> {
                relayed[0] += count;
                return 0;
            };
            List<String> viaB = List.of("192.0.2.2/32", "192.0.2.3/32");
            AeadScratch scratchB = new AeadScratch();
            PeerTable tableA = StaticSessions.side(true, Suite.AES256GCM, new AeadScratch(), ofB,
                    new InetSocketAddress("198.51.100.2", 51820), viaB, viaB);
            PeerTable sideB = StaticSessions.side(false, Suite.AES256GCM, scratchB, ofA, underlayA,
                    List.of("192.0.2.1/32"), List.of("192.0.2.1/32"));
            ofC.set(new InetSocketAddress("203.0.113.3", 51820));
            Session bToC = new Session(0xB2, 0xC1, Suite.AES256GCM, StaticSessions.key(3), StaticSessions.key(4),
                    scratchB, System.nanoTime());
            Peer c = Peer.create(1, "c", List.of(Prefix.parse("192.0.2.3/32")), ofC).withSession(bToC);
            PeerTable tableB = new PeerTable.Builder(sideB).put(c)
                    .routes(new RouteTable.Builder(sideB.routes()).add(Prefix.parse("192.0.2.3/32"), 1).build())
                    .build();
            byte[] packet = Packets.udp4("192.0.2.1", "192.0.2.3", new byte[1000]);
            MemorySegment read = arena.allocate(VirtioNetHeader.SIZE + 2048);
            MemorySegment.copy(packet, 0, read, ValueLayout.JAVA_BYTE, VirtioNetHeader.SIZE, packet.length);
            try (OutboundPath out = new OutboundPath(statsA, 1420, true, none, toWire, sendA);
                 OutboundPath outB = new OutboundPath(statsB, 1420, true, none, toC, sendB)) {
                InboundPath in = new InboundPath(statsB, none, (buf, o, l, s) -> { },
                        new Forwarder(statsB, outB.batcher()));
                for (int i = 0; i < WARMUP; i++) {
                    roundTrip(out, in, tableA, tableB, read, packet.length, wire);
                }
                long before = allocated();
                for (int i = 0; i < PACKETS; i++) {
                    roundTrip(out, in, tableA, tableB, read, packet.length, wire);
                }
                double pathPerPacket = (allocated() - before) / (double) PACKETS;
                double cipherPerPacket = cipherOnly(arena, packet.length);
                System.out.printf("allocation per relayed packet: paths %.1f B, seal+open alone %.1f B%n",
                        pathPerPacket, cipherPerPacket);
                assertEquals(WARMUP + PACKETS, relayed[0], statsB::toString);
                assertEquals(WARMUP + PACKETS, statsB.forwarded(), statsB::toString);
                assertTrue(pathPerPacket <= 2 * cipherPerPacket + SLACK_BYTES,
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
