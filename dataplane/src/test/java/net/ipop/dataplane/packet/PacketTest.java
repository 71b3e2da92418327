package net.ipop.dataplane.packet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.util.HexFormat;
import java.util.Random;

import org.junit.jupiter.api.Test;

class PacketTest {
    private final Arena arena = Arena.ofAuto();

    private MemorySegment hex(String h) {
        byte[] b = HexFormat.of().parseHex(h.replace(" ", ""));
        MemorySegment s = arena.allocate(Math.max(b.length, 1600));
        MemorySegment.copy(b, 0, s, ValueLayout.JAVA_BYTE, 0, b.length);
        return s;
    }

    /** RFC 1071 by the book: 16-bit words, end-around carry. The reference the fast sum must match. */
    private static int reference(byte[] b) {
        long sum = 0;
        for (int i = 0; i + 1 < b.length; i += 2) {
            sum += ((b[i] & 0xFF) << 8) | (b[i + 1] & 0xFF);
        }
        if ((b.length & 1) == 1) {
            sum += (b[b.length - 1] & 0xFF) << 8;
        }
        while ((sum >> 16) != 0) {
            sum = (sum & 0xFFFF) + (sum >> 16);
        }
        return (int) (~sum & 0xFFFF);
    }

    @Test
    void checksumOfAKnownIpv4Header() {
        MemorySegment s = hex("4500 0073 0000 4000 4011 0000 c0a8 0001 c0a8 00c7");
        assertEquals(0xb861, InternetChecksum.of(s, 0, 20));
        Ipv4.fixHeaderChecksum(s, 0);
        assertEquals(0, InternetChecksum.of(s, 0, 20), "a header with its checksum sums to zero");
    }

    @Test
    void checksumMatchesReferenceOnRandomLengthsAndOffsets() {
        Random rnd = new Random(7);
        MemorySegment s = arena.allocate(2048);
        for (int round = 0; round < 2000; round++) {
            int off = rnd.nextInt(8);
            int len = rnd.nextInt(1500);
            byte[] b = new byte[len];
            rnd.nextBytes(b);
            MemorySegment.copy(b, 0, s, ValueLayout.JAVA_BYTE, off, len);
            assertEquals(reference(b), InternetChecksum.of(s, off, len), "len " + len + " off " + off);
        }
    }

    @Test
    void checksumOfAll0xffAndOfMaximalLengthsMatchesReference() {
        // All-ones words carry on every add: the bulk loop's accumulators must not lose any.
        MemorySegment s = arena.allocate(65536 + 8);
        Random rnd = new Random(11);
        for (int len : new int[] {31, 32, 33, 47, 48, 1379, 1380, 65535}) {
            for (int fill : new int[] {0xFF, -1}) {
                byte[] b = new byte[len];
                if (fill == -1) {
                    rnd.nextBytes(b);
                } else {
                    java.util.Arrays.fill(b, (byte) fill);
                }
                int off = rnd.nextInt(8);
                MemorySegment.copy(b, 0, s, ValueLayout.JAVA_BYTE, off, len);
                assertEquals(reference(b), InternetChecksum.of(s, off, len), "len " + len + " fill " + fill);
            }
        }
    }

    private static MemorySegment udpV4(Arena arena, int totalLen, boolean df) throws Exception {
        MemorySegment p = arena.allocate(2000);
        p.set(ValueLayout.JAVA_BYTE, 0, (byte) 0x45);
        Net.u16(p, 2, totalLen);
        Net.u16(p, 6, df ? 0x4000 : 0);
        p.set(ValueLayout.JAVA_BYTE, 8, (byte) 64);
        p.set(ValueLayout.JAVA_BYTE, 9, (byte) Ipv4.PROTO_UDP);
        p.set(Net.U32, 12, ByteBuffer.wrap(InetAddress.getByName("192.0.2.10").getAddress()).getInt());
        p.set(Net.U32, 16, ByteBuffer.wrap(InetAddress.getByName("192.0.2.20").getAddress()).getInt());
        Ipv4.fixHeaderChecksum(p, 0);
        return p;
    }

    @Test
    void fragmentationNeededQuotesTheSenderAndChecksumsVerify() throws Exception {
        MemorySegment in = udpV4(arena, 1400, true);
        MemorySegment out = arena.allocate(600);
        int local = ByteBuffer.wrap(InetAddress.getByName("192.0.2.1").getAddress()).getInt();
        int n = IcmpTooBig.writeV4(in, 0, 1400, 1280, local, out, 0);
        assertEquals(576, n);
        assertTrue(Ipv4.valid(out, 0, n));
        assertEquals(0, InternetChecksum.of(out, 0, 20), "IP header checksum");
        assertEquals(0, InternetChecksum.of(out, 20, n - 20), "ICMP checksum");
        assertEquals(Ipv4.src(in, 0), Ipv4.dst(out, 0), "sent back to the original sender");
        assertEquals(local, Ipv4.src(out, 0));
        assertEquals(3, Net.u8(out, 20));
        assertEquals(4, Net.u8(out, 21));
        assertEquals(1280, Net.u16(out, 26));
        assertEquals(Ipv4.dst(in, 0), out.get(Net.U32, 28 + Ipv4.DST_OFFSET), "original header quoted");
    }

    @Test
    void noErrorWithoutDfOrForIcmpErrorsOrGarbage() throws Exception {
        MemorySegment out = arena.allocate(600);
        assertEquals(0, IcmpTooBig.writeV4(udpV4(arena, 1400, false), 0, 1400, 1280, 1, out, 0), "DF clear");
        MemorySegment icmpErr = udpV4(arena, 100, true);
        icmpErr.set(ValueLayout.JAVA_BYTE, 9, (byte) Ipv4.PROTO_ICMP);
        icmpErr.set(ValueLayout.JAVA_BYTE, 20, (byte) 3);
        assertEquals(0, IcmpTooBig.writeV4(icmpErr, 0, 100, 1280, 1, out, 0), "never answer an ICMP error");
        MemorySegment junk = arena.allocate(64);
        assertEquals(0, IcmpTooBig.writeV4(junk, 0, 64, 1280, 1, out, 0), "not IPv4");
        assertEquals(0, IcmpTooBig.writeV4(udpV4(arena, 1400, true), 0, 900, 1280, 1, out, 0), "truncated");
    }

    @Test
    void packetTooBigForIpv6HasValidChecksumAndFitsMinimumMtu() throws Exception {
        MemorySegment in = arena.allocate(2000);
        in.set(Net.U32, 0, 0x6000_0000);
        Net.u16(in, 4, 1460);
        in.set(ValueLayout.JAVA_BYTE, 6, (byte) 17);
        in.set(ValueLayout.JAVA_BYTE, 7, (byte) 64);
        MemorySegment.copy(InetAddress.getByName("2001:db8::10").getAddress(), 0, in, ValueLayout.JAVA_BYTE, 8, 16);
        MemorySegment.copy(InetAddress.getByName("2001:db8::20").getAddress(), 0, in, ValueLayout.JAVA_BYTE, 24, 16);
        MemorySegment out = arena.allocate(1300);
        ByteBuffer local = ByteBuffer.wrap(InetAddress.getByName("2001:db8::1").getAddress());
        int n = IcmpTooBig.writeV6(in, 0, 1500, 1400, local.getLong(), local.getLong(), out, 0);
        assertEquals(1280, n);
        assertTrue(Ipv6.valid(out, 0, n));
        long sum = InternetChecksum.pseudoHeader(out, 0, Ipv6.PROTO_ICMPV6, n - 40);
        assertEquals(0, InternetChecksum.finish(InternetChecksum.add(sum, out, 40, n - 40)), "ICMPv6 checksum verifies");
        assertEquals(Ipv6.srcHi(in, 0), Ipv6.dstHi(out, 0));
        assertEquals(Ipv6.srcLo(in, 0), Ipv6.dstLo(out, 0));
        assertEquals(2, Net.u8(out, 40));
        assertEquals(1400, out.get(Net.U32, 44));
    }
}
