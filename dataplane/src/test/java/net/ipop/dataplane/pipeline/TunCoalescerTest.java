package net.ipop.dataplane.pipeline;

import static net.ipop.dataplane.pipeline.Packets.sum;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import net.ipop.ffm.tun.VirtioNetHeader;
import org.junit.jupiter.api.Test;

/** Segments in, frames out: what the coalescer merges, what it leaves alone, and the headers it writes. */
class TunCoalescerTest {
    private static final int ACK = 0x10;
    private static final int PSH_ACK = 0x18;
    private static final int SYN = 0x02;
    private static final byte[] NO_OPTIONS = new byte[0];

    private final List<byte[]> frames = new ArrayList<>();
    private final PathStats stats = new PathStats();
    private final TunFrameSink capture = (frame, length) -> {
        frames.add(frame.asSlice(0, length).toArray(ValueLayout.JAVA_BYTE));
        return true;
    };

    /** A TCP segment 40000 -> 5201 with valid IP and TCP checksums. */
    private static byte[] tcp(boolean v6, int seq, int flags, byte[] options, byte[] payload) {
        return tcp(v6, 40000, seq, flags, options, payload);
    }

    private static byte[] tcp(boolean v6, int srcPort, int seq, int flags, byte[] options, byte[] payload) {
        int ipLen = v6 ? 40 : 20;
        int tcpLen = 20 + options.length;
        ByteBuffer b = ByteBuffer.allocate(ipLen + tcpLen + payload.length);
        if (v6) {
            b.putInt(0x6000_0000).putShort((short) (tcpLen + payload.length)).put((byte) 6).put((byte) 64)
                    .put(Packets.addr("2001:db8::1")).put(Packets.addr("2001:db8::2"));
        } else {
            b.put((byte) 0x45).put((byte) 0).putShort((short) b.capacity()).putShort((short) seq)
                    .putShort((short) 0x4000).put((byte) 64).put((byte) 6).putShort((short) 0)
                    .put(Packets.addr("192.0.2.1")).put(Packets.addr("192.0.2.2"));
            b.putShort(10, (short) ~fold(sum(b.array(), 0, 20)));
        }
        b.putShort((short) srcPort).putShort((short) 5201).putInt(seq).putInt(777)
                .put((byte) (tcpLen / 4 << 4)).put((byte) flags).putShort((short) 1000).putInt(0)
                .put(options).put(payload);
        byte[] p = b.array();
        int check = ~fold(pseudo(p, v6, tcpLen + payload.length) + sum(p, ipLen, tcpLen + payload.length)) & 0xFFFF;
        p[ipLen + 16] = (byte) (check >>> 8);
        p[ipLen + 17] = (byte) check;
        return p;
    }

    private static int fold(long s) {
        while ((s >>> 16) != 0) {
            s = (s & 0xFFFF) + (s >>> 16);
        }
        return (int) s;
    }

    /** The pseudo-header sum of the packet, for its own protocol (TCP or UDP). */
    private static long pseudo(byte[] p, boolean v6, int transportLength) {
        return (v6 ? sum(p, 8, 32) : sum(p, 12, 8)) + p[v6 ? 6 : 9] + transportLength;
    }

    private static byte[] payload(int length, int fill) {
        byte[] b = new byte[length];
        Arrays.fill(b, (byte) fill);
        return b;
    }

    private void feed(TunCoalescer c, byte[]... packets) {
        try (Arena arena = Arena.ofConfined()) {
            for (byte[] p : packets) {
                MemorySegment s = arena.allocate(p.length + 8);
                MemorySegment.copy(p, 0, s, ValueLayout.JAVA_BYTE, 8, p.length);
                assertTrue(c.write(s, 8, p.length));
            }
        }
    }

    private static VirtioNetHeader header(byte[] frame) {
        return new VirtioNetHeader().wrap(MemorySegment.ofArray(frame), 0);
    }

    private static byte[] packet(byte[] frame) {
        return Arrays.copyOfRange(frame, VirtioNetHeader.SIZE, frame.length);
    }

    /** Completes the partial checksum as the kernel would and checks the result verifies. */
    private static void assertChecksumsComplete(byte[] frame, boolean v6) {
        byte[] p = packet(frame);
        VirtioNetHeader h = header(frame);
        int start = h.csumStart();
        int at = start + h.csumOffset();
        int completed = ~fold(sum(p, start, p.length - start)) & 0xFFFF;
        p[at] = (byte) (completed >>> 8);
        p[at + 1] = (byte) completed;
        int ipLen = v6 ? 40 : 20;
        assertEquals(0xFFFF, fold(pseudo(p, v6, p.length - ipLen) + sum(p, ipLen, p.length - ipLen)),
                "transport checksum of the super-packet");
        if (!v6) {
            assertEquals(0xFFFF, fold(sum(p, 0, 20)), "IPv4 header checksum");
        }
    }

    /**
     * The one frame the three segments or datagrams of 1000, 1000 and 500 bytes (filled with 1, 2, 3)
     * became: virtio-net header, lengths, payload in order, checksums that complete; returns the packet.
     */
    private byte[] assertMergedFrame(TunCoalescer c, boolean v6, int gsoType, int transportHeader, int checksumField) {
        assertEquals(1, frames.size());
        byte[] frame = frames.get(0);
        int ipLen = v6 ? 40 : 20;
        int headers = ipLen + transportHeader;
        VirtioNetHeader h = header(frame);
        assertEquals(VirtioNetHeader.F_NEEDS_CSUM, h.flags());
        assertEquals(gsoType, h.gsoType());
        assertEquals(1000, h.gsoSize());
        assertEquals(headers, h.hdrLen());
        assertEquals(ipLen, h.csumStart());
        assertEquals(checksumField, h.csumOffset());
        byte[] p = packet(frame);
        assertEquals(headers + 2500, p.length);
        assertEquals(p.length - (v6 ? 40 : 0), ByteBuffer.wrap(p).getShort(v6 ? 4 : 2) & 0xFFFF, "IP length field");
        byte[] expected = new byte[2500];
        Arrays.fill(expected, 0, 1000, (byte) 1);
        Arrays.fill(expected, 1000, 2000, (byte) 2);
        Arrays.fill(expected, 2000, 2500, (byte) 3);
        assertArrayEquals(expected, Arrays.copyOfRange(p, headers, p.length));
        assertChecksumsComplete(frame, v6);
        assertEquals(1, c.superPackets());
        assertEquals(3, c.mergedSegments());
        return p;
    }

    private void mergesContiguousSegments(boolean v6) {
        byte[] ts = {1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2}; // NOP NOP timestamps, equal in all three
        try (TunCoalescer c = new TunCoalescer(capture, stats, true)) {
            feed(c, tcp(v6, 1000, ACK, ts, payload(1000, 1)),
                    tcp(v6, 2000, ACK, ts, payload(1000, 2)),
                    tcp(v6, 3000, PSH_ACK, ts, payload(500, 3)));
            assertEquals(0, frames.size(), "held until the flush");
            c.flush();
            byte[] p = assertMergedFrame(c, v6, v6 ? VirtioNetHeader.GSO_TCPV6 : VirtioNetHeader.GSO_TCPV4, 32, 16);
            int ipLen = v6 ? 40 : 20;
            assertEquals(1000, ByteBuffer.wrap(p).getInt(ipLen + 4), "first sequence number");
            assertEquals(PSH_ACK, p[ipLen + 13], "PSH of the last segment carried over");
            assertEquals(1, stats.tunWrites());
        }
    }

    @Test
    void mergesContiguousIpv4Segments() {
        mergesContiguousSegments(false);
    }

    @Test
    void mergesContiguousIpv6Segments() {
        mergesContiguousSegments(true);
    }

    @Test
    void aLoneSegmentGoesOutUnchangedBehindAZeroHeader() {
        byte[] segment = tcp(false, 1000, ACK, NO_OPTIONS, payload(100, 9));
        try (TunCoalescer c = new TunCoalescer(capture, stats, true)) {
            feed(c, segment);
            c.flush();
            c.flush(); // nothing pending: no second write
        }
        assertEquals(1, frames.size());
        assertArrayEquals(new byte[VirtioNetHeader.SIZE], Arrays.copyOf(frames.get(0), VirtioNetHeader.SIZE));
        assertArrayEquals(segment, packet(frames.get(0)));
    }

    @Test
    void aLonePacketWithAPartialChecksumGoesOutWithNeedsCsum() {
        // What an aes256gcm peer sends: the checksum field holds the folded pseudo-header sum.
        byte[] v4 = partial(tcp(false, 1000, ACK, NO_OPTIONS, payload(100, 9)), false, 20, 16);
        byte[] v6 = partial(tcp(true, 1000, ACK, NO_OPTIONS, payload(100, 9)), true, 40, 16);
        byte[] udp = partial(Packets.udp4("192.0.2.1", "192.0.2.2", payload(100, 5)), false, 20, 6);
        try (TunCoalescer c = new TunCoalescer(capture, stats, true);
             Arena arena = Arena.ofConfined()) {
            for (byte[] p : new byte[][] {v4, v6, udp}) {
                MemorySegment s = arena.allocate(p.length);
                MemorySegment.copy(p, 0, s, ValueLayout.JAVA_BYTE, 0, p.length);
                assertTrue(c.writePartial(s, 0, p.length));
                c.flush();
            }
        }
        assertEquals(3, frames.size());
        int[][] expected = {{20, 16}, {40, 16}, {20, 6}};
        byte[][] sent = {v4, v6, udp};
        for (int i = 0; i < 3; i++) {
            VirtioNetHeader h = header(frames.get(i));
            assertEquals(VirtioNetHeader.F_NEEDS_CSUM, h.flags(), "frame " + i);
            assertEquals(VirtioNetHeader.GSO_NONE, h.gsoType());
            assertEquals(expected[i][0], h.csumStart());
            assertEquals(expected[i][1], h.csumOffset());
            assertArrayEquals(sent[i], packet(frames.get(i)), "the packet itself as it came");
        }
        assertChecksumsComplete(frames.get(0), false);
        assertChecksumsComplete(frames.get(1), true);
    }

    /** The packet with its L4 checksum replaced by the partial one (pseudo-header sum, folded). */
    private static byte[] partial(byte[] p, boolean v6, int ipLen, int field) {
        int proto = p[v6 ? 6 : 9];
        long pseudo = (v6 ? sum(p, 8, 32) : sum(p, 12, 8)) + proto + (p.length - ipLen);
        int folded = fold(pseudo);
        p[ipLen + field] = (byte) (folded >>> 8);
        p[ipLen + field + 1] = (byte) folded;
        return p;
    }

    /** Each case: two segments that must not be merged come out as two frames, in order, unchanged. */
    private void staysApart(byte[] first, byte[] second) {
        frames.clear();
        try (TunCoalescer c = new TunCoalescer(capture, stats, true)) {
            feed(c, first, second);
            c.flush();
        }
        assertEquals(2, frames.size());
        assertArrayEquals(first, packet(frames.get(0)));
        assertArrayEquals(second, packet(frames.get(1)));
        assertEquals(0, header(frames.get(0)).gsoType());
        assertEquals(0, header(frames.get(1)).gsoType());
    }

    @Test
    void nonContinuingSegmentsFlush() {
        byte[] first = tcp(false, 1000, ACK, NO_OPTIONS, payload(1000, 1));
        staysApart(first, tcp(false, 2500, ACK, NO_OPTIONS, payload(1000, 2))); // sequence gap
        staysApart(first, tcp(false, 41000, 2000, ACK, NO_OPTIONS, payload(1000, 2))); // other flow
        staysApart(first, tcp(true, 2000, ACK, NO_OPTIONS, payload(1000, 2))); // other family
        staysApart(first, tcp(false, 2000, ACK, NO_OPTIONS, payload(1200, 2))); // longer than gso_size
        staysApart(first, tcp(false, 2000, ACK | 0x01, NO_OPTIONS, payload(1000, 2))); // FIN
        staysApart(first, tcp(false, 2000, ACK, new byte[] {1, 1, 1, 1}, payload(1000, 2))); // options differ
        staysApart(tcp(false, 1000, PSH_ACK, NO_OPTIONS, payload(1000, 1)),
                tcp(false, 2000, ACK, NO_OPTIONS, payload(1000, 2))); // PSH ends a super-packet
        staysApart(tcp(false, 1000, SYN, NO_OPTIONS, payload(0, 0)), first); // SYN, no payload
        staysApart(first, Packets.udp4("192.0.2.1", "192.0.2.2", payload(100, 5))); // not TCP
    }

    /** UDP 40000 -> {@code dstPort}, addresses of the family, the payload filled with {@code fill}. */
    private static byte[] udp(boolean v6, int dstPort, int length, int fill) {
        byte[] p = v6 ? Packets.udp6("2001:db8::1", "2001:db8::2", payload(length, fill))
                : Packets.udp4("192.0.2.1", "192.0.2.2", payload(length, fill));
        int ipLen = v6 ? 40 : 20;
        if (dstPort != 5201) {
            p[ipLen + 2] = (byte) (dstPort >>> 8);
            p[ipLen + 3] = (byte) dstPort;
            p[ipLen + 6] = 0; // checksum not checked here: the frames below compare bytes, not sums
            p[ipLen + 7] = 0;
        }
        return p;
    }

    private void mergesDatagramsOfOneFlow(boolean v6) {
        try (TunCoalescer c = new TunCoalescer(capture, stats, true)) {
            feed(c, udp(v6, 5201, 1000, 1), udp(v6, 5201, 1000, 2), udp(v6, 5201, 500, 3));
            assertEquals(0, frames.size(), "held until the flush");
            c.flush();
            byte[] p = assertMergedFrame(c, v6, VirtioNetHeader.GSO_UDP_L4, 8, 6);
            assertEquals(8 + 2500, ByteBuffer.wrap(p).getShort((v6 ? 40 : 20) + 4) & 0xFFFF,
                    "UDP length covers the super-packet");
        }
    }

    @Test
    void mergesIpv4DatagramsOfOneFlow() {
        mergesDatagramsOfOneFlow(false);
    }

    @Test
    void mergesIpv6DatagramsOfOneFlow() {
        mergesDatagramsOfOneFlow(true);
    }

    @Test
    void datagramsThatCannotBeCutBackStayApart() {
        byte[] first = udp(false, 5201, 1000, 1);
        staysApart(first, udp(false, 5202, 1000, 2)); // other flow
        staysApart(first, udp(false, 5201, 1200, 2)); // longer than gso_size
        byte[] padded = udp(false, 5201, 1000, 2);
        padded[20 + 5] -= 4; // UDP length 4 short of the IP payload: trailing bytes a merge would swallow
        staysApart(first, padded);
    }

    @Test
    void aShortDatagramEndsTheSuperPacket() {
        try (TunCoalescer c = new TunCoalescer(capture, stats, true)) {
            feed(c, udp(false, 5201, 1000, 1), udp(false, 5201, 400, 2), udp(false, 5201, 400, 3));
            c.flush();
        }
        assertEquals(2, frames.size());
        assertEquals(VirtioNetHeader.GSO_UDP_L4, header(frames.get(0)).gsoType());
        assertEquals(28 + 1400, packet(frames.get(0)).length);
        assertEquals(VirtioNetHeader.GSO_NONE, header(frames.get(1)).gsoType());
        assertEquals(28 + 400, packet(frames.get(1)).length);
    }

    @Test
    void withoutUdpCoalescingDatagramsGoOutOneByOne() {
        try (TunCoalescer c = new TunCoalescer(capture, stats, false)) {
            feed(c, udp(false, 5201, 1000, 1), udp(false, 5201, 1000, 2));
            c.flush();
        }
        assertEquals(2, frames.size(), "a kernel without USO on the TUN would refuse a UDP super-packet");
        assertEquals(VirtioNetHeader.GSO_NONE, header(frames.get(0)).gsoType());
        assertEquals(VirtioNetHeader.GSO_NONE, header(frames.get(1)).gsoType());
    }

    @Test
    void aShortSegmentEndsTheSuperPacket() {
        try (TunCoalescer c = new TunCoalescer(capture, stats, true)) {
            feed(c, tcp(false, 1000, ACK, NO_OPTIONS, payload(1000, 1)),
                    tcp(false, 2000, ACK, NO_OPTIONS, payload(400, 2)),
                    tcp(false, 2400, ACK, NO_OPTIONS, payload(400, 3)));
            c.flush();
        }
        assertEquals(2, frames.size());
        assertEquals(1000, header(frames.get(0)).gsoSize());
        assertEquals(40 + 1400, packet(frames.get(0)).length);
        assertEquals(0, header(frames.get(1)).gsoType());
        assertEquals(40 + 400, packet(frames.get(1)).length);
    }

    @Test
    void aSuperPacketStaysWithin64KiB() {
        try (TunCoalescer c = new TunCoalescer(capture, stats, true)) {
            for (int i = 0; i < 50; i++) {
                feed(c, tcp(false, 1000 + i * 1400, ACK, NO_OPTIONS, payload(1400, i)));
            }
            c.flush();
        }
        int perFrame = (TunCoalescer.MAX_PACKET - 40) / 1400; // 46 segments fit behind one header
        assertEquals(2, frames.size());
        assertEquals(40 + perFrame * 1400, packet(frames.get(0)).length);
        assertEquals(40 + (50 - perFrame) * 1400, packet(frames.get(1)).length);
        assertChecksumsComplete(frames.get(0), false);
        assertChecksumsComplete(frames.get(1), false);
        ByteBuffer second = ByteBuffer.wrap(packet(frames.get(1)));
        assertEquals(1000 + perFrame * 1400, second.getInt(24), "second frame starts where the first ended");
    }

    @Test
    void aFailedWriteCountsEverySegmentAsDropped() {
        try (TunCoalescer c = new TunCoalescer((frame, length) -> false, stats, true)) {
            stats.packetsDelivered = 3; // as InboundPath counts them when the coalescer takes them
            feed(c, tcp(false, 1000, ACK, NO_OPTIONS, payload(1000, 1)),
                    tcp(false, 2000, ACK, NO_OPTIONS, payload(1000, 2)),
                    tcp(false, 3000, ACK, NO_OPTIONS, payload(1000, 3)));
            c.flush();
        }
        assertEquals(0, stats.packetsDelivered());
        assertEquals(3, stats.drops(DropReason.TUN_WRITE_FAILED));
    }

    @Test
    void coalescingAllocatesNothing() {
        com.sun.management.ThreadMXBean threads =
                (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        long[] written = new long[1];
        int segmentsPerRound = 8;
        try (Arena arena = Arena.ofConfined();
             TunCoalescer c = new TunCoalescer((frame, length) -> {
                 written[0]++;
                 return true;
             }, stats, true)) {
            MemorySegment[] segments = new MemorySegment[segmentsPerRound + 1];
            for (int i = 0; i < segmentsPerRound; i++) {
                byte[] p = tcp(i % 2 == 1, 1000 + (i / 2) * 1000, ACK, NO_OPTIONS, payload(1000, i));
                segments[i] = arena.allocate(p.length);
                MemorySegment.copy(p, 0, segments[i], ValueLayout.JAVA_BYTE, 0, p.length);
            }
            byte[] udp = Packets.udp4("192.0.2.1", "192.0.2.2", payload(100, 5));
            segments[segmentsPerRound] = arena.allocate(udp.length);
            MemorySegment.copy(udp, 0, segments[segmentsPerRound], ValueLayout.JAVA_BYTE, 0, udp.length);
            // Two interleaved flows (v4 and v6, so nothing merges) then v4 only (merges), and a UDP packet.
            long before = 0;
            int rounds = 40_000;
            for (int round = 0; round < rounds; round++) {
                if (round == rounds / 2) {
                    before = threads.getCurrentThreadAllocatedBytes();
                }
                for (int i = 0; i < segmentsPerRound; i++) {
                    c.write(segments[i], 0, (int) segments[i].byteSize());
                }
                for (int i = 0; i < segmentsPerRound; i += 2) {
                    c.write(segments[i], 0, (int) segments[i].byteSize());
                }
                c.write(segments[segmentsPerRound], 0, (int) segments[segmentsPerRound].byteSize());
                c.flush();
            }
            long allocated = threads.getCurrentThreadAllocatedBytes() - before;
            assertTrue(c.superPackets() >= rounds, "the v4-only run merges every round");
            assertEquals(rounds * 10L, written[0], "per round: 8 alone, the 4 merged as one, the UDP packet");
            assertEquals(0, allocated, "bytes allocated over " + rounds / 2 + " rounds");
        }
    }
}
