package net.ipop.dataplane.pipeline;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetSocketAddress;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

import net.ipop.crypto.Suite;
import net.ipop.dataplane.route.Prefix;
import net.ipop.dataplane.route.RouteTable;
import net.ipop.dataplane.session.Peer;
import net.ipop.dataplane.session.PeerEndpoint;
import net.ipop.dataplane.session.PeerTable;
import net.ipop.dataplane.session.PeerTableHolder;
import net.ipop.ffm.tun.VirtioNetHeader;
import net.ipop.ffm.udp.MessageBatch;
import org.junit.jupiter.api.Test;

/** Two agents driven by hand over in-memory I/O: cycles, work counts, and snapshot changes. */
class PipelineAgentTest {
    /** In-memory TUN and "network": TUN packets queued by the test, datagrams delivered to the other side. */
    private static final class MemoryIo implements PipelineIo {
        final ArrayDeque<byte[]> tunIn = new ArrayDeque<>();
        final List<byte[]> tunOut = new ArrayList<>();
        final ArrayDeque<byte[]> datagramsIn = new ArrayDeque<>();
        MemoryIo peer;
        InetSocketAddress self;

        @Override
        public int readTun(MemorySegment[] buffers, int[] lengths, int count) {
            int n = 0;
            while (n < count && !tunIn.isEmpty()) {
                byte[] p = tunIn.poll();
                MemorySegment.copy(p, 0, buffers[n], ValueLayout.JAVA_BYTE, 0, p.length);
                lengths[n++] = p.length;
            }
            return n;
        }

        @Override
        public int receive(MessageBatch batch) {
            int n = 0;
            while (n < batch.capacity() && !datagramsIn.isEmpty()) {
                byte[] d = datagramsIn.poll();
                MemorySegment.copy(d, 0, batch.buffer(n), ValueLayout.JAVA_BYTE, 0, d.length);
                batch.setLength(n, d.length);
                batch.setSegmentSize(n, 0);
                batch.remote(n).set(peer.self);
                n++;
            }
            return n;
        }

        @Override
        public int send(MessageBatch batch, int count) {
            for (int i = 0; i < count; i++) {
                int seg = batch.segmentSize(i) == 0 ? batch.length(i) : batch.segmentSize(i);
                for (int off = 0; off < batch.length(i); off += seg) {
                    int len = Math.min(seg, batch.length(i) - off);
                    peer.datagramsIn.add(batch.sendSegment(i).asSlice(batch.sendOffset(i) + off, len).toArray(ValueLayout.JAVA_BYTE));
                }
            }
            return 0;
        }

        @Override
        public boolean write(MemorySegment buffer, long offset, int length) {
            tunOut.add(buffer.asSlice(offset, length).toArray(ValueLayout.JAVA_BYTE));
            return true;
        }

        /** Keeps the packet behind the virtio-net header (the test's packets are never merged). */
        @Override
        public boolean writeFrame(MemorySegment frame, int length) {
            return write(frame, VirtioNetHeader.SIZE, length - VirtioNetHeader.SIZE);
        }

        @Override
        public void awaitReadable(int timeoutMs) {
        }

        @Override
        public void close() {
        }
    }

    @Test
    void agentsExchangePacketsAndFollowPublishedSnapshots() throws Exception {
        InetSocketAddress underlayA = new InetSocketAddress("198.51.100.1", 51820);
        InetSocketAddress underlayB = new InetSocketAddress("198.51.100.2", 51820);
        MemoryIo ioA = new MemoryIo();
        MemoryIo ioB = new MemoryIo();
        ioA.peer = ioB;
        ioB.peer = ioA;
        ioA.self = underlayA;
        ioB.self = underlayB;
        PeerTableHolder tablesA = new PeerTableHolder();
        PeerTableHolder tablesB = new PeerTableHolder();
        PipelineAgent.Settings settings = new PipelineAgent.Settings(1420, false, 4, 4);
        PipelineAgent a = new PipelineAgent(0, tablesA, ioA, settings, (b, o, l, s) -> { });
        PipelineAgent b = new PipelineAgent(0, tablesB, ioB, settings, (bb, o, l, s) -> { });
        try (PeerEndpoint ofB = new PeerEndpoint(); PeerEndpoint ofA = new PeerEndpoint()) {
            assertEquals(0, a.doWork());
            // A knows B and routes to it, but has no session yet: the packet is dropped and counted.
            ofB.set(underlayB);
            tablesA.publish(new PeerTable.Builder()
                    .put(Peer.create(0, "b", List.of(Prefix.parse("192.0.2.2/32")), ofB))
                    .routes(new RouteTable.Builder().add(Prefix.parse("192.0.2.0/24"), 0).build()).build());
            byte[] p = Packets.udp4("192.0.2.1", "192.0.2.2", new byte[100]);
            ioA.tunIn.add(p);
            assertEquals(1, a.doWork());
            assertEquals(1, a.stats().drops(DropReason.NO_SESSION));

            // The "handshake" completes: both sides publish sessions; the next cycle uses them.
            List<String> bNets = List.of("192.0.2.2/32");
            List<String> aNets = List.of("192.0.2.1/32");
            tablesA.publish(StaticSessions.side(true, Suite.AES256GCM, a.scratch(), ofB, underlayB, bNets, bNets));
            tablesB.publish(StaticSessions.side(false, Suite.AES256GCM, b.scratch(), ofA, underlayA, aNets, aNets));
            for (int i = 0; i < 6; i++) {
                ioA.tunIn.add(p);
            }
            assertEquals(4, a.doWork()); // tunBatch = 4 reads per cycle
            assertEquals(2, a.doWork());
            assertEquals(6, ioB.datagramsIn.size());
            assertEquals(4, b.doWork()); // udpBatch = 4 slots per receive
            assertEquals(2, b.doWork());
            assertEquals(6, ioB.tunOut.size());
            assertArrayEquals(p, ioB.tunOut.get(5));

            byte[] reply = Packets.udp4("192.0.2.2", "192.0.2.1", new byte[40]);
            ioB.tunIn.add(reply);
            assertEquals(1, b.doWork());
            assertEquals(1, a.doWork());
            assertArrayEquals(reply, ioA.tunOut.get(0));
            assertEquals(0, a.doWork() + b.doWork());
            assertEquals(6, a.stats().datagramsSent());
            assertEquals(6, b.stats().packetsDelivered());
            assertEquals(1, a.stats().totalDrops());
            assertEquals(0, b.stats().totalDrops());
        } finally {
            a.onClose();
            b.onClose();
        }
    }
}
