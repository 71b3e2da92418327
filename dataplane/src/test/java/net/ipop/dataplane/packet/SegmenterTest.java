package net.ipop.dataplane.packet;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayOutputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Random;

import org.junit.jupiter.api.Test;

class SegmenterTest {
    private static final int STRIDE = 1600;
    private final Arena arena = Arena.ofAuto();
    private final Random rnd = new Random(3);

    /** Builds an IPv4 or IPv6 TCP/UDP packet with a random payload; returns payload bytes via {@code payloadOut}. */
    private int build(MemorySegment p, boolean v6, boolean tcp, byte[] payload, int tcpFlags) throws Exception {
        int ip = v6 ? 40 : 20;
        int l4 = tcp ? 32 : 8; // TCP with 12 bytes of options, to prove the data offset is honoured
        int total = ip + l4 + payload.length;
        TestIpHeader.write(p, v6, total, tcp ? 6 : 17, 0xFFFE);
        Net.u16(p, ip, 40000);
        Net.u16(p, ip + 2, 5201);
        if (tcp) {
            p.set(Net.U32, ip + 4, 0xFFFF_FF00); // sequence wraps inside the packet
            p.set(ValueLayout.JAVA_BYTE, ip + 12, (byte) ((l4 / 4) << 4));
            p.set(ValueLayout.JAVA_BYTE, ip + 13, (byte) tcpFlags);
        }
        MemorySegment.copy(payload, 0, p, ValueLayout.JAVA_BYTE, ip + l4, payload.length);
        return total;
    }

    private void check(boolean v6, boolean tcp) throws Exception {
        check(v6, tcp, false);
    }

    private void check(boolean v6, boolean tcp, boolean partial) throws Exception {
        byte[] payload = new byte[4000];
        rnd.nextBytes(payload);
        MemorySegment in = arena.allocate(70_000);
        int flags = Segmenter.TCP_FIN | Segmenter.TCP_PSH | Segmenter.TCP_CWR | 0x10;
        int len = build(in, v6, tcp, payload, flags);
        MemorySegment out = arena.allocate(STRIDE * 8L);
        int[] lengths = new int[8];
        int type = tcp ? (v6 ? Segmenter.GSO_TCPV6 : Segmenter.GSO_TCPV4) : Segmenter.GSO_UDP_L4;
        int n = Segmenter.segment(in, 0, len, type, 1400, true, v6 ? 40 : 20, tcp ? 16 : 6, out, 0, STRIDE, lengths,
                partial);
        assertEquals(3, n);
        int ip = v6 ? 40 : 20;
        int l4 = tcp ? 32 : 8;
        ByteArrayOutputStream joined = new ByteArrayOutputStream();
        for (int i = 0; i < n; i++) {
            long o = (long) i * STRIDE;
            int segLen = lengths[i];
            assertEquals(ip + l4 + (i < 2 ? 1400 : 1200), segLen);
            if (v6) {
                assertEquals(segLen - 40, Ipv6.payloadLength(out, o));
            } else {
                assertEquals(segLen, Ipv4.totalLength(out, o));
                assertEquals(0, InternetChecksum.of(out, o, 20), "IPv4 header checksum of segment " + i);
                assertEquals((0xFFFE + i) & 0xFFFF, Net.u16(out, o + 4), "IP id increments");
            }
            long sum = InternetChecksum.pseudoHeader(out, o, tcp ? 6 : 17, segLen - ip);
            if (partial) {
                // The contract of aes256gcm sessions: the field holds the folded pseudo-header sum only.
                assertEquals(InternetChecksum.folded(sum), Net.u16(out, o + ip + (tcp ? 16 : 6)),
                        "partial L4 checksum of segment " + i);
                assertEquals(ip, PartialChecksum.start(out, o, segLen));
                PartialChecksum.complete(out, o, segLen); // what the receiving kernel does when it must
            }
            assertEquals(0, InternetChecksum.finish(InternetChecksum.add(sum, out, o + ip, segLen - ip)),
                    "L4 checksum of segment " + i);
            if (tcp) {
                assertEquals(0xFFFF_FF00 + i * 1400, out.get(Net.U32, o + ip + 4), "sequence number");
                int f = Net.u8(out, o + ip + 13);
                assertEquals(i == n - 1, (f & Segmenter.TCP_FIN) != 0, "FIN only on the last");
                assertEquals(i == n - 1, (f & Segmenter.TCP_PSH) != 0, "PSH only on the last");
                assertEquals(i == 0, (f & Segmenter.TCP_CWR) != 0, "CWR only on the first");
            } else {
                assertEquals(segLen - ip, Net.u16(out, o + ip + 4), "UDP length");
            }
            byte[] chunk = new byte[segLen - ip - l4];
            MemorySegment.copy(out, ValueLayout.JAVA_BYTE, o + ip + l4, chunk, 0, chunk.length);
            joined.writeBytes(chunk);
        }
        assertArrayEquals(payload, joined.toByteArray(), "payload survives in order");
    }

    @Test
    void tcpOverIpv4() throws Exception {
        check(false, true);
    }

    @Test
    void tcpOverIpv6() throws Exception {
        check(true, true);
    }

    @Test
    void udpOverIpv4() throws Exception {
        check(false, false);
    }

    @Test
    void udpOverIpv6() throws Exception {
        check(true, false);
    }

    @Test
    void partialSegmentsOfTcpAndUdpOverIpv4AndIpv6() throws Exception {
        check(false, true, true);
        check(true, true, true);
        check(false, false, true);
        check(true, false, true);
    }

    @Test
    void plainPacketWithPartialChecksumIsCompleted() throws Exception {
        byte[] payload = new byte[300];
        rnd.nextBytes(payload);
        MemorySegment in = arena.allocate(2000);
        int len = build(in, false, false, payload, 0);
        // What the kernel leaves with CHECKSUM_PARTIAL: the pseudo-header sum, folded, not complemented.
        long pseudo = InternetChecksum.pseudoHeader(in, 0, 17, len - 20);
        Net.u16(in, 26, ~InternetChecksum.finish(pseudo) & 0xFFFF);
        MemorySegment out = arena.allocate(STRIDE);
        int[] lengths = new int[1];
        assertEquals(1, Segmenter.segment(in, 0, len, Segmenter.GSO_NONE, 0, true, 20, 6, out, 0, STRIDE, lengths));
        long sum = InternetChecksum.pseudoHeader(out, 0, 17, len - 20);
        assertEquals(0, InternetChecksum.finish(InternetChecksum.add(sum, out, 20, len - 20)));
    }

    @Test
    void malformedInputsAreRejectedNotTrusted() throws Exception {
        MemorySegment in = arena.allocate(70_000);
        MemorySegment out = arena.allocate(STRIDE * 4L);
        int[] lengths = new int[4];
        int len = build(in, false, true, new byte[4000], 0x10);
        assertEquals(Segmenter.MALFORMED, Segmenter.segment(in, 0, len, Segmenter.GSO_TCPV6, 1400, false, 0, 0, out, 0, STRIDE, lengths), "v4 packet labelled TCPv6");
        assertEquals(Segmenter.MALFORMED, Segmenter.segment(in, 0, len, Segmenter.GSO_TCPV4, 999, false, 0, 0, out, 0, STRIDE, lengths), "needs 5 segments, room for 4");
        assertEquals(Segmenter.MALFORMED, Segmenter.segment(in, 0, len - 100, Segmenter.GSO_TCPV4, 1400, false, 0, 0, out, 0, STRIDE, lengths), "truncated");
        assertEquals(Segmenter.MALFORMED, Segmenter.segment(in, 0, len, Segmenter.GSO_UDP_L4, 1400, false, 0, 0, out, 0, STRIDE, lengths), "TCP labelled UDP");
        assertEquals(Segmenter.MALFORMED, Segmenter.segment(in, 0, len, Segmenter.GSO_TCPV4, 1580, false, 0, 0, out, 0, STRIDE, lengths), "segment larger than the stride");
        assertEquals(Segmenter.MALFORMED, Segmenter.segment(in, 0, 10, Segmenter.GSO_TCPV4, 1400, false, 0, 0, out, 0, STRIDE, lengths), "runt");
        assertEquals(Segmenter.MALFORMED, Segmenter.segment(in, 0, 100, Segmenter.GSO_NONE, 0, true, 90, 16, out, 0, STRIDE, lengths), "checksum offset past the end");
    }
}
