package net.ipop.dataplane.pipeline;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;

import net.ipop.dataplane.session.Peer;
import net.ipop.dataplane.session.PeerEndpoint;
import net.ipop.ffm.udp.MessageBatch;
import net.ipop.ffm.udp.UdpSocket;
import org.junit.jupiter.api.Test;

class GsoBatcherTest {
    /** One sender call: per slot {length, segmentSize, port of the destination}. */
    private final List<List<int[]>> calls = new ArrayList<>();

    private int record(MessageBatch batch, int count) {
        List<int[]> slots = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            slots.add(new int[] {batch.length(i), batch.segmentSize(i), batch.remote(i).port()});
        }
        calls.add(slots);
        return 0;
    }

    @Test
    void slotsRespectPeerSizeSegmentAndByteLimitsAndFullBatchesGoOut() {
        try (Arena arena = Arena.ofConfined();
             MessageBatch batch = new MessageBatch(2, MessageBatch.MAX_BUFFER_SIZE);
             PeerEndpoint e1 = new PeerEndpoint().set(new InetSocketAddress("198.51.100.2", 1001));
             PeerEndpoint e2 = new PeerEndpoint().set(new InetSocketAddress("198.51.100.3", 1002))) {
            Peer p1 = Peer.create(1, "p1", List.of(), e1);
            Peer p2 = Peer.create(2, "p2", List.of(), e2);
            MemorySegment data = arena.allocate(2000);
            PathStats stats = new PathStats();
            GsoBatcher b = new GsoBatcher(stats, this::record, batch);

            // 130 small datagrams to p1: one slot reaches MAX_SEGMENTS, the rest starts another.
            for (int i = 0; i < UdpSocket.MAX_SEGMENTS + 2; i++) {
                b.add(p1, data, 0, 100);
            }
            // Then p2 (new slot, batch of 2 is full -> first call), then big ones hitting the byte limit.
            b.add(p2, data, 0, 50);
            for (int i = 0; i < 45; i++) {
                b.add(p2, data, 0, 1600);
            }
            b.flush();

            assertEquals(3, calls.size());
            List<int[]> first = calls.get(0);
            assertEquals(2, first.size());
            assertEquals(UdpSocket.MAX_SEGMENTS * 100, first.get(0)[0]);
            assertEquals(100, first.get(0)[1]);
            assertEquals(1001, first.get(0)[2]);
            assertEquals(200, first.get(1)[0]);
            // Second call: p2's lone 50-byte datagram (no GSO), then 1600-byte ones up to the byte limit.
            List<int[]> second = calls.get(1);
            assertEquals(50, second.get(0)[0]);
            assertEquals(0, second.get(0)[1]);
            assertEquals(1002, second.get(0)[2]);
            int perSlot = GsoBatcher.MAX_SLOT_BYTES / 1600;
            assertEquals(perSlot * 1600, second.get(1)[0]);
            assertEquals(1600, second.get(1)[1]);
            assertEquals((45 - perSlot) * 1600, calls.get(2).get(0)[0]);
            assertEquals(UdpSocket.MAX_SEGMENTS + 2 + 1 + 45, stats.datagramsSent());
            assertEquals(5, stats.slotsSent());
        }
    }
    @Test
    void withoutGsoEveryDatagramIsASlotOfItsOwn() {
        try (Arena arena = Arena.ofConfined();
             MessageBatch batch = new MessageBatch(4, MessageBatch.MAX_BUFFER_SIZE);
             PeerEndpoint e1 = new PeerEndpoint().set(new InetSocketAddress("198.51.100.2", 1001))) {
            Peer p1 = Peer.create(1, "p1", List.of(), e1);
            MemorySegment area = arena.allocate(10 * 1400);
            PathStats stats = new PathStats();
            GsoBatcher b = new GsoBatcher(stats, this::record, batch, 1);
            // Back to back and of one size: with GSO these would be one slot.
            for (int i = 0; i < 6; i++) {
                b.add(p1, area, i * 1400L, 1400);
            }
            b.flush();

            assertEquals(2, calls.size(), "a full batch of 4, then the rest");
            assertEquals(4, calls.get(0).size());
            assertEquals(2, calls.get(1).size());
            for (List<int[]> call : calls) {
                for (int[] slot : call) {
                    assertEquals(1400, slot[0]);
                    assertEquals(0, slot[1], "no UDP_SEGMENT");
                }
            }
            assertEquals(6, stats.datagramsSent());
            assertEquals(6, stats.slotsSent());
            assertThrows(IllegalArgumentException.class, () -> new GsoBatcher(stats, this::record, batch, 0));
        }
    }

    @Test
    void backToBackDatagramsAreSentInPlaceAndAGapMovesTheSlotIntoTheBatch() {
        try (Arena arena = Arena.ofConfined();
             MessageBatch batch = new MessageBatch(4, MessageBatch.MAX_BUFFER_SIZE);
             PeerEndpoint e1 = new PeerEndpoint().set(new InetSocketAddress("198.51.100.2", 1001))) {
            Peer p1 = Peer.create(1, "p1", List.of(), e1);
            MemorySegment area = arena.allocate(10_000);
            for (int i = 0; i < 10_000; i++) {
                area.set(ValueLayout.JAVA_BYTE, i, (byte) (i / 100));
            }
            List<byte[]> ownBuffers = new ArrayList<>();
            GsoBatcher b = new GsoBatcher(new PathStats(), (sent, count) -> {
                for (int i = 0; i < count; i++) {
                    ownBuffers.add(sent.buffer(i).asSlice(0, sent.length(i)).toArray(ValueLayout.JAVA_BYTE));
                }
                return record(sent, count);
            }, batch);

            // Three back to back: one slot sent from the area, the batch's buffer never written.
            b.add(p1, area, 0, 100);
            b.add(p1, area, 100, 100);
            b.add(p1, area, 200, 100);
            b.flush();
            assertEquals(300, calls.get(0).get(0)[0]);
            assertArrayEquals(new byte[300], ownBuffers.get(0), "in-place slot copied into the batch");

            // A gap after the first: both go into the batch's own buffer, in order.
            b.add(p1, area, 1000, 100);
            b.add(p1, area, 2000, 100);
            b.flush();
            byte[] copied = ownBuffers.get(1);
            assertEquals(200, copied.length);
            assertEquals(10, copied[0]);
            assertEquals(10, copied[99]);
            assertEquals(20, copied[100]);
            assertEquals(20, copied[199]);
        }
    }
    @Test
    void relayedDatagramsWithoutHeadroomAreCopiedBehindAChannelDataHeader() {
        try (Arena arena = Arena.ofConfined();
             MessageBatch batch = new MessageBatch(4, MessageBatch.MAX_BUFFER_SIZE);
             PeerEndpoint e1 = new PeerEndpoint().setRelayed(new InetSocketAddress("198.51.100.2", 1001),
                     new InetSocketAddress("203.0.113.5", 3478), 0x4ABC)) {
            Peer p1 = Peer.create(1, "p1", List.of(), e1);
            MemorySegment area = arena.allocate(1000);
            for (int i = 0; i < 1000; i++) {
                area.set(ValueLayout.JAVA_BYTE, i, (byte) (i / 100 + 1));
            }
            List<byte[]> sent = new ArrayList<>();
            PathStats stats = new PathStats();
            GsoBatcher b = new GsoBatcher(stats, (out, count) -> {
                for (int i = 0; i < count; i++) {
                    sent.add(out.sendSegment(i).asSlice(out.sendOffset(i), out.length(i)).toArray(ValueLayout.JAVA_BYTE));
                }
                return record(out, count);
            }, batch);

            // Back to back in memory, but no headroom lent: both copied, each behind its own header.
            b.add(p1, area, 0, 100);
            b.add(p1, area, 100, 100);
            b.flush();
            assertEquals(3478, calls.get(0).get(0)[2], "sent to the TURN server");
            assertEquals(104, calls.get(0).get(0)[1]);
            byte[] slot = sent.get(0);
            assertEquals(208, slot.length);
            assertArrayEquals(new byte[] {0x4A, (byte) 0xBC, 0, 100, 1}, java.util.Arrays.copyOf(slot, 5));
            assertArrayEquals(new byte[] {0x4A, (byte) 0xBC, 0, 100, 2}, java.util.Arrays.copyOfRange(slot, 104, 109));
            assertEquals(1, area.get(ValueLayout.JAVA_BYTE, 99), "the caller's memory is not written");
            assertEquals(208, stats.bytesSent());
        }
    }

    @Test
    void aRefusedSlotsDatagramsAreDropsOfItsPeerKeepalivesOnlyPerReason() {
        try (Arena arena = Arena.ofConfined();
             MessageBatch batch = new MessageBatch(4, MessageBatch.MAX_BUFFER_SIZE);
             PeerEndpoint e1 = new PeerEndpoint().set(new InetSocketAddress("198.51.100.2", 1001));
             PeerEndpoint e2 = new PeerEndpoint().set(new InetSocketAddress("198.51.100.3", 1002))) {
            Peer p1 = Peer.create(1, "p1", List.of(), e1);
            Peer p2 = Peer.create(2, "p2", List.of(), e2);
            MemorySegment data = arena.allocate(2000);
            PathStats stats = new PathStats();
            List<String> peerDrops = new ArrayList<>();
            stats.countPeersInto(new PathStats.PeerTraffic() {
                @Override
                public void sent(int peerSlot, int bytes) {
                }

                @Override
                public void received(int peerSlot, int bytes) {
                }

                @Override
                public void dropped(int peerSlot, DropReason reason) {
                    peerDrops.add(peerSlot + " " + reason);
                }
            });
            // The socket takes slot 0 (p1) and refuses slot 1 (p2: three data datagrams and a keepalive).
            GsoBatcher b = new GsoBatcher(stats, new DatagramSink() {
                @Override
                public int send(MessageBatch out, int count) {
                    record(out, count);
                    assertEquals(2, count);
                    return 4;
                }

                @Override
                public boolean refused(int slot) {
                    return slot == 1;
                }
            }, batch);
            b.add(p1, data, 0, 100);
            b.add(p1, data, 100, 100);
            b.addWithHeadroom(p2, data, 400, 100);
            b.addWithHeadroom(p2, data, 500, 100);
            b.add(p2, data, 600, 100);
            b.addKeepalive(p2, data, 700, 32);
            b.flush();

            assertEquals(1, calls.size());
            assertEquals(3 * 100 + 32, calls.get(0).get(1)[0], "one GSO slot for p2, the keepalive last");
            assertEquals(List.of("2 SEND_FAILED", "2 SEND_FAILED", "2 SEND_FAILED"), peerDrops);
            assertEquals(4, stats.drops(DropReason.SEND_FAILED), "the keepalive counted per reason only");
            assertEquals(2, stats.datagramsSent());
        }
    }
}
