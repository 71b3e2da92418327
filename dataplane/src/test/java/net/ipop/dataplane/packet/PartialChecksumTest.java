package net.ipop.dataplane.packet;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Random;

import org.junit.jupiter.api.Test;

/** Which packets the aes256gcm checksum contract covers, and the conversions both ways. */
class PartialChecksumTest {
    private final Random rnd = new Random(11);

    /** An IPv4 or IPv6 packet of {@code proto} with a random payload and a correct full L4 checksum. */
    private MemorySegment packet(boolean v6, int proto, int payload) throws Exception {
        int ip = v6 ? 40 : 20;
        int l4 = proto == Ipv4.PROTO_TCP ? 20 : 8;
        int total = ip + l4 + payload;
        MemorySegment p = MemorySegment.ofArray(new byte[total]);
        TestIpHeader.write(p, v6, total, proto, 0);
        byte[] body = new byte[total - ip];
        rnd.nextBytes(body);
        MemorySegment.copy(body, 0, p, ValueLayout.JAVA_BYTE, ip, body.length);
        if (proto == Ipv4.PROTO_TCP) {
            p.set(ValueLayout.JAVA_BYTE, ip + 12, (byte) 0x50);
        } else if (proto == Ipv4.PROTO_UDP) {
            Net.u16(p, ip + 4, total - ip);
        }
        if (proto == Ipv4.PROTO_TCP || proto == Ipv4.PROTO_UDP) {
            int field = ip + (proto == Ipv4.PROTO_TCP ? 16 : 6);
            Net.u16(p, field, 0);
            int c = InternetChecksum.finish(InternetChecksum.add(
                    InternetChecksum.pseudoHeader(p, 0, proto, total - ip), p, ip, total - ip));
            Net.u16(p, field, c == 0 ? 0xFFFF : c);
        }
        return p;
    }

    private static boolean fullChecksumHolds(MemorySegment p, int proto) {
        int ip = (Net.u8(p, 0) >>> 4) == 4 ? 20 : 40;
        int len = (int) p.byteSize();
        return InternetChecksum.finish(InternetChecksum.add(
                InternetChecksum.pseudoHeader(p, 0, proto, len - ip), p, ip, len - ip)) == 0;
    }

    @Test
    void coversTcpAndUdpWithTheirHeaderAtTheKernelsOffsets() throws Exception {
        for (boolean v6 : new boolean[] {false, true}) {
            MemorySegment tcp = packet(v6, Ipv4.PROTO_TCP, 100);
            assertEquals(v6 ? 40 : 20, PartialChecksum.start(tcp, 0, (int) tcp.byteSize()));
            assertEquals(16, PartialChecksum.field(tcp, 0));
            assertTrue(PartialChecksum.matches(tcp, 0, (int) tcp.byteSize(), v6 ? 40 : 20, 16));
            assertFalse(PartialChecksum.matches(tcp, 0, (int) tcp.byteSize(), v6 ? 40 : 20, 6), "wrong offset");
            MemorySegment udp = packet(v6, Ipv4.PROTO_UDP, 0);
            assertEquals(v6 ? 40 : 20, PartialChecksum.start(udp, 0, (int) udp.byteSize()));
            assertEquals(6, PartialChecksum.field(udp, 0));
        }
    }

    @Test
    void leavesOutWhatTheReceiverCouldNotLocate() throws Exception {
        MemorySegment icmp = packet(false, Ipv4.PROTO_ICMP, 40);
        assertEquals(PartialChecksum.NOT_COVERED, PartialChecksum.start(icmp, 0, (int) icmp.byteSize()), "not TCP/UDP");
        MemorySegment fragment = packet(false, Ipv4.PROTO_UDP, 40);
        Net.u16(fragment, 6, 0x2000); // MF: the first fragment of several
        assertEquals(PartialChecksum.NOT_COVERED, PartialChecksum.start(fragment, 0, (int) fragment.byteSize()));
        MemorySegment hopByHop = packet(true, 0, 40);
        assertEquals(PartialChecksum.NOT_COVERED, PartialChecksum.start(hopByHop, 0, (int) hopByHop.byteSize()),
                "IPv6 extension header");
        MemorySegment tcp = packet(false, Ipv4.PROTO_TCP, 0);
        assertEquals(PartialChecksum.NOT_COVERED, PartialChecksum.start(tcp, 0, 39), "TCP header cut short");
        byte[] before = tcp.toArray(ValueLayout.JAVA_BYTE);
        PartialChecksum.complete(tcp, 0, 39);
        assertTrue(PartialChecksum.fromFull(tcp, 0, 39, true));
        assertArrayEquals(before, tcp.toArray(ValueLayout.JAVA_BYTE), "an uncovered packet is never touched");
    }

    @Test
    void fullToPartialAndBackGivesTheSameChecksum() throws Exception {
        for (int proto : new int[] {Ipv4.PROTO_TCP, Ipv4.PROTO_UDP}) {
            for (boolean v6 : new boolean[] {false, true}) {
                MemorySegment p = packet(v6, proto, 1001);
                byte[] full = p.toArray(ValueLayout.JAVA_BYTE);
                int len = (int) p.byteSize();
                assertTrue(PartialChecksum.fromFull(p, 0, len, true));
                int ip = v6 ? 40 : 20;
                int field = ip + PartialChecksum.field(p, 0);
                assertEquals(InternetChecksum.folded(InternetChecksum.pseudoHeader(p, 0, proto, len - ip)),
                        Net.u16(p, field), "the folded pseudo-header sum");
                assertFalse(fullChecksumHolds(p, proto));
                PartialChecksum.complete(p, 0, len);
                assertTrue(fullChecksumHolds(p, proto));
                assertArrayEquals(full, p.toArray(ValueLayout.JAVA_BYTE));
            }
        }
    }

    @Test
    void aWrongFullChecksumIsRefusedWhenNothingVouchesForIt() throws Exception {
        MemorySegment p = packet(false, Ipv4.PROTO_TCP, 500);
        int len = (int) p.byteSize();
        p.set(ValueLayout.JAVA_BYTE, 100, (byte) (p.get(ValueLayout.JAVA_BYTE, 100) ^ 1)); // corrupted on the way
        byte[] corrupt = p.toArray(ValueLayout.JAVA_BYTE);
        assertFalse(PartialChecksum.fromFull(p, 0, len, true));
        assertArrayEquals(corrupt, p.toArray(ValueLayout.JAVA_BYTE), "left as it was");
        assertTrue(PartialChecksum.fromFull(p, 0, len, false), "the kernel vouched for it (DATA_VALID)");

        MemorySegment none = packet(false, Ipv4.PROTO_UDP, 64);
        Net.u16(none, 26, 0); // UDP over IPv4 without a checksum
        assertTrue(PartialChecksum.fromFull(none, 0, (int) none.byteSize(), true));
        PartialChecksum.complete(none, 0, (int) none.byteSize());
        assertTrue(fullChecksumHolds(none, Ipv4.PROTO_UDP), "it arrives with a real one");
    }
}
