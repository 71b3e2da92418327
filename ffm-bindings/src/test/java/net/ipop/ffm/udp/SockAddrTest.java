package net.ipop.ffm.udp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.HexFormat;

import org.junit.jupiter.api.Test;

import net.ipop.ffm.libc.Sockets;

class SockAddrTest {
    @Test
    void ipv4IsLaidOutAsSockaddrIn() throws Exception {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment m = arena.allocate(SockAddr.MAX_SIZE);
            m.fill((byte) 0x55);
            SockAddr a = new SockAddr(m, 0).set(new InetSocketAddress(InetAddress.getByName("192.0.2.1"), 4500));
            // family 2 in host (little-endian) order, port 4500 = 0x1194 big-endian, address bytes in order, sin_zero
            assertEquals("02001194c0000201" + "0000000000000000",
                    HexFormat.of().formatHex(m.asSlice(0, 16).toArray(ValueLayout.JAVA_BYTE)));
            assertEquals(Sockets.AF_INET, a.family());
            assertEquals(16, a.length());
            assertEquals(4500, a.port());
            assertEquals(0xC0000201, a.ipv4Address());
            assertEquals(new InetSocketAddress(InetAddress.getByName("192.0.2.1"), 4500), a.toInetSocketAddress());
        }
    }

    @Test
    void ipv6IsLaidOutAsSockaddrIn6WithScope() throws Exception {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment m = arena.allocate(SockAddr.MAX_SIZE);
            byte[] raw = InetAddress.getByName("2001:db8::1").getAddress();
            Inet6Address scoped = Inet6Address.getByAddress(null, raw, 7);
            SockAddr a = new SockAddr(m, 0).set(new InetSocketAddress(scoped, 65535));
            assertEquals("0a00ffff00000000" + "20010db8000000000000000000000001" + "07000000",
                    HexFormat.of().formatHex(m.toArray(ValueLayout.JAVA_BYTE)));
            assertEquals(28, a.length());
            assertEquals(65535, a.port());
            assertEquals(7, a.scopeId());
            assertEquals(0x20010db800000000L, a.ipv6High());
            assertEquals(1L, a.ipv6Low());
            assertEquals(new InetSocketAddress(scoped, 65535), a.toInetSocketAddress());
            a.setIpv6(a.ipv6High(), a.ipv6Low(), 1, 0);
            assertEquals("[2001:db8:0:0:0:0:0:1]:1", UdpSocket.describe(a.toInetSocketAddress()));
        }
    }

    @Test
    void sameEndpointComparesFamilyPortAddressAndScopeButNotFlowInfo() {
        try (Arena arena = Arena.ofConfined()) {
            SockAddr a = new SockAddr(arena.allocate(32), 0);
            SockAddr b = new SockAddr(arena.allocate(64), 32);
            a.setIpv4(0xC0000201, 1000);
            b.setIpv4(0xC0000201, 1000);
            assertTrue(a.sameEndpoint(b));
            assertEquals(a.endpointHash(), b.endpointHash());
            b.setPort(1001);
            assertFalse(a.sameEndpoint(b));
            b.setIpv4(0xC0000202, 1000);
            assertFalse(a.sameEndpoint(b));
            assertNotEquals(a.endpointHash(), b.endpointHash());

            a.setIpv6(0x20010db800000000L, 1, 1000, 0);
            b.setIpv6(0x20010db800000000L, 1, 1000, 0);
            b.segment().set(ValueLayout.JAVA_INT_UNALIGNED, b.offset() + SockAddr.IN6_FLOWINFO_OFFSET, 0x12345);
            assertTrue(a.sameEndpoint(b), "flowinfo is not part of the endpoint");
            assertEquals(a.endpointHash(), b.endpointHash());
            b.setIpv6(0x20010db800000000L, 1, 1000, 3);
            assertFalse(a.sameEndpoint(b), "scope id is");
            b.setIpv6(0x20010db800000000L, 2, 1000, 0);
            assertFalse(a.sameEndpoint(b));
            b.setIpv4(0x20010db8, 1000);
            assertFalse(a.sameEndpoint(b), "different families never match");
        }
    }

    @Test
    void copyFromDuplicatesTheSlotAndClearEmptiesIt() {
        try (Arena arena = Arena.ofConfined()) {
            SockAddr src = new SockAddr(arena.allocate(32), 0).setIpv6(0x20010db800000000L, 9, 443, 2);
            SockAddr dst = new SockAddr(arena.allocate(32), 0).setIpv4(0x7f000001, 1);
            dst.copyFrom(src);
            assertTrue(dst.sameEndpoint(src));
            assertEquals(443, dst.port());
            dst.clear();
            assertEquals(Sockets.AF_UNSPEC, dst.family());
            assertEquals(0, dst.length());
            assertNull(dst.toInetSocketAddress());
            assertFalse(dst.sameEndpoint(src));
        }
    }

    @Test
    void rejectsShortSlotsBadPortsAndUnresolvedAddresses() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment small = arena.allocate(20);
            assertThrows(IndexOutOfBoundsException.class, () -> new SockAddr(small, 0));
            SockAddr a = new SockAddr(arena.allocate(28), 0);
            assertThrows(IllegalArgumentException.class, () -> a.setIpv4(0, 70000));
            assertThrows(IllegalArgumentException.class,
                    () -> a.set(InetSocketAddress.createUnresolved("example.invalid", 1)));
        }
    }
}
