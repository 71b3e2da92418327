package net.ipop.ffm.udp;

import static net.ipop.ffm.udp.UdpTraffic.at;
import static net.ipop.ffm.udp.UdpTraffic.bound;
import static net.ipop.ffm.udp.UdpTraffic.concat;
import static net.ipop.ffm.udp.UdpTraffic.expected;
import static net.ipop.ffm.udp.UdpTraffic.fill;
import static net.ipop.ffm.udp.UdpTraffic.receiveBytes;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.util.List;

import org.junit.jupiter.api.Test;

import net.ipop.ffm.libc.Errno;
import net.ipop.ffm.libc.ErrnoException;
import net.ipop.ffm.libc.Libc;
import net.ipop.ffm.testing.Privileged;
import net.ipop.ffm.testing.TestNamespace;
import net.ipop.ffm.udp.UdpTraffic.Read;

/** Real sockets on the loopback of a namespace each test creates and deletes. */
@Privileged
class UdpSocketTest {
    private static final int SEGMENT = 1200;
    private static final int SEGMENTS = 10;

    @Test
    void gsoSendArrivesThroughGroWithItsSegmentSize() throws Exception {
        try (TestNamespace ns = TestNamespace.create("udp")) {
            ns.call(() -> {
                try (UdpSocket rx = bound("127.0.0.1", 0); UdpSocket tx = bound("127.0.0.1", 0);
                     MessageBatch out = new MessageBatch(1, 65536); MessageBatch in = new MessageBatch(8, 65536)) {
                    rx.setGro(true);
                    oneGsoSlot(out, rx.localAddress(), 0);
                    assertEquals(1, tx.send(out, 0, 1));

                    List<Read> reads = receiveBytes(rx, in, SEGMENTS * SEGMENT);
                    boolean coalesced = false;
                    for (Read r : reads) {
                        // A coalesced read carries the segment size; a lone segment may come without it.
                        assertTrue(r.segmentSize() == SEGMENT || (r.segmentSize() == 0 && r.length() == SEGMENT),
                                "read of " + r.length() + " B with segment size " + r.segmentSize());
                        coalesced |= r.length() > SEGMENT;
                        assertEquals(tx.localAddress(), r.source());
                    }
                    assertTrue(coalesced, "GRO delivered no coalesced read: " + reads.size() + " reads");
                    assertArrayEquals(expected(SEGMENTS * SEGMENT, 0), concat(reads));
                    assertFalse(tx.gsoRefused());
                }
                return null;
            });
        }
    }

    @Test
    void sendFromMemoryOutsideTheBatchSendsThatMemoryThenTheSlotGoesBackToItsBuffer() throws Exception {
        try (TestNamespace ns = TestNamespace.create("udp")) {
            ns.call(() -> {
                try (Arena arena = Arena.ofConfined(); UdpSocket rx = bound("127.0.0.1", 0);
                     UdpSocket tx = bound("127.0.0.1", 0);
                     MessageBatch out = new MessageBatch(1, 65536); MessageBatch in = new MessageBatch(16, 2048)) {
                    // The datagrams lie at an offset inside a larger segment, as a sealing area does.
                    MemorySegment area = arena.allocate(100 + SEGMENTS * SEGMENT + 100);
                    fill(area.asSlice(100), SEGMENTS * SEGMENT, 2);
                    fill(out.buffer(0), SEGMENTS * SEGMENT, 3);
                    out.remote(0).set(rx.localAddress());
                    out.local(0).clear();
                    out.setSegmentSize(0, SEGMENT);
                    out.sendFrom(0, area, 100, SEGMENTS * SEGMENT);
                    assertEquals(1, tx.send(out, 0, 1));
                    assertArrayEquals(expected(SEGMENTS * SEGMENT, 2), concat(receiveBytes(rx, in, SEGMENTS * SEGMENT)));

                    out.setLength(0, SEGMENTS * SEGMENT);
                    assertEquals(1, tx.send(out, 0, 1));
                    assertArrayEquals(expected(SEGMENTS * SEGMENT, 3), concat(receiveBytes(rx, in, SEGMENTS * SEGMENT)));
                    assertThrows(IllegalArgumentException.class, () -> out.sendFrom(0, area, 201, SEGMENTS * SEGMENT));
                }
                return null;
            });
        }
    }

    @Test
    void gsoSendWithoutGroArrivesAsSeparateDatagrams() throws Exception {
        try (TestNamespace ns = TestNamespace.create("udp")) {
            ns.call(() -> {
                try (UdpSocket rx = bound("127.0.0.1", 0); UdpSocket tx = bound("127.0.0.1", 0);
                     MessageBatch out = new MessageBatch(1, 65536); MessageBatch in = new MessageBatch(16, 2048)) {
                    oneGsoSlot(out, rx.localAddress(), 1);
                    assertEquals(1, tx.send(out, 0, 1));
                    List<Read> reads = receiveBytes(rx, in, SEGMENTS * SEGMENT);
                    assertEquals(SEGMENTS, reads.size());
                    for (Read r : reads) {
                        assertEquals(SEGMENT, r.length());
                        assertEquals(0, r.segmentSize());
                    }
                    assertArrayEquals(expected(SEGMENTS * SEGMENT, 1), concat(reads));
                }
                return null;
            });
        }
    }

    @Test
    void oneRecvmmsgReturnsManyDatagramsWithContentsAndSources() throws Exception {
        try (TestNamespace ns = TestNamespace.create("udp")) {
            ns.call(() -> {
                try (UdpSocket rx = bound("127.0.0.1", 0); UdpSocket tx = bound("127.0.0.1", 0);
                     MessageBatch out = new MessageBatch(32, 1500); MessageBatch in = new MessageBatch(32, 1500);
                     Arena arena = Arena.ofConfined()) {
                    InetSocketAddress dst = rx.localAddress();
                    for (int i = 0; i < 32; i++) {
                        out.remote(i).set(dst);
                        out.setLength(i, 100 + i);
                        fill(out.buffer(i), 100 + i, i);
                    }
                    assertEquals(32, tx.send(out, 0, 32), "one sendmmsg takes all 32 on an empty socket");

                    assertTrue(rx.awaitReadable(5000));
                    int n = rx.receive(in);
                    assertTrue(n > 1, "one recvmmsg returned " + n);
                    SockAddr expectedSource = new SockAddr(arena.allocate(SockAddr.MAX_SIZE), 0).set(tx.localAddress());
                    int seen = 0;
                    while (seen < 32) {
                        if (n == Libc.WOULD_BLOCK) {
                            assertTrue(rx.awaitReadable(5000), "only " + seen + " of 32 arrived");
                            n = rx.receive(in);
                            continue;
                        }
                        for (int i = 0; i < n; i++, seen++) {
                            assertEquals(100 + seen, in.length(i), "datagram " + seen);
                            assertArrayEquals(expected(100 + seen, seen),
                                    in.buffer(i).asSlice(0, in.length(i)).toArray(ValueLayout.JAVA_BYTE));
                            assertTrue(in.remote(i).sameEndpoint(expectedSource), in.remote(i) + " sent it");
                        }
                        n = seen < 32 ? rx.receive(in) : 0;
                    }
                }
                return null;
            });
        }
    }

    @Test
    void ipv6BatchesAndGsoOnLoopbackAndDocumentationAddresses() throws Exception {
        try (TestNamespace ns = TestNamespace.create("udp6")) {
            ns.exec("ip", "-6", "addr", "add", "2001:db8::1/128", "dev", "lo", "nodad");
            ns.exec("ip", "-6", "addr", "add", "2001:db8::2/128", "dev", "lo", "nodad");
            ns.call(() -> {
                for (String[] pair : new String[][] {{"::1", "::1"}, {"2001:db8::1", "2001:db8::2"}}) {
                    try (UdpSocket tx = bound(pair[0], 0); UdpSocket rx = bound(pair[1], 0);
                         MessageBatch out = new MessageBatch(17, 65536); MessageBatch in = new MessageBatch(64, 65536)) {
                        rx.setGro(true);
                        InetSocketAddress dst = rx.localAddress();
                        for (int i = 0; i < 16; i++) {
                            out.remote(i).set(dst);
                            out.setLength(i, 1000);
                            fill(out.buffer(i), 1000, i);
                        }
                        oneGsoSlotAt(out, 16, dst, 16);
                        assertEquals(17, tx.send(out, 0, 17));

                        List<Read> reads = receiveBytes(rx, in, 16 * 1000 + SEGMENTS * SEGMENT);
                        for (int i = 0; i < 16; i++) {
                            assertArrayEquals(expected(1000, i), reads.get(i).data(), pair[1] + " datagram " + i);
                            assertEquals(tx.localAddress(), reads.get(i).source());
                        }
                        List<Read> gso = reads.subList(16, reads.size());
                        assertArrayEquals(expected(SEGMENTS * SEGMENT, 16), concat(gso));
                        assertTrue(gso.stream().anyMatch(r -> r.segmentSize() == SEGMENT), "GRO size on " + pair[1]);
                    }
                }
                return null;
            });
        }
    }

    @Test
    void packetInfoReportsTheDestinationAndRepliesLeaveFromIt() throws Exception {
        try (TestNamespace ns = TestNamespace.create("udppi")) {
            ns.exec("ip", "addr", "add", "192.0.2.1/32", "dev", "lo");
            ns.exec("ip", "addr", "add", "192.0.2.2/32", "dev", "lo");
            ns.exec("ip", "-6", "addr", "add", "2001:db8::1/128", "dev", "lo", "nodad");
            ns.exec("ip", "-6", "addr", "add", "2001:db8::2/128", "dev", "lo", "nodad");
            ns.call(() -> {
                replyFromDestination("0.0.0.0", "192.0.2.1", "192.0.2.2");
                replyFromDestination("::", "2001:db8::1", "2001:db8::2");
                return null;
            });
        }
    }

    /**
     * A wildcard-bound server with pktinfo gets a request for {@code serverIp} from a client at
     * {@code clientIp}; its reply with the slot's local address leaves from {@code serverIp}, while
     * the same reply with the local address cleared leaves from what routing picks ({@code clientIp},
     * the destination itself on loopback) — so the first check could fail.
     */
    private static void replyFromDestination(String wildcard, String clientIp, String serverIp) throws Exception {
        try (UdpSocket server = bound(wildcard, 0); UdpSocket client = bound(clientIp, 0);
             MessageBatch sb = new MessageBatch(4, 2048); MessageBatch cb = new MessageBatch(4, 2048)) {
            server.setPacketInfo(true);
            int port = server.localPort();
            cb.remote(0).set(at(serverIp, port));
            cb.setLength(0, 64);
            assertEquals(1, client.send(cb, 0, 1));

            List<Read> req = receiveBytes(server, sb, 64);
            assertEquals(at(serverIp, 0), req.get(0).local(), "pktinfo destination");
            assertTrue(sb.interfaceIndex(0) > 0, "arrival interface");
            assertEquals(client.localAddress(), req.get(0).source());

            sb.setLength(0, 32);
            assertEquals(1, server.send(sb, 0, 1)); // remote = client, local = serverIp from pktinfo
            assertEquals(at(serverIp, port), receiveBytes(client, cb, 32).get(0).source());

            sb.local(0).clear();
            assertEquals(1, server.send(sb, 0, 1));
            assertEquals(at(clientIp, port), receiveBytes(client, cb, 32).get(0).source(),
                    "without pktinfo routing picks another source, so the check above is meaningful");
        }
    }

    @Test
    void reusePortLetsTwoSocketsBindOnePort() throws Exception {
        try (TestNamespace ns = TestNamespace.create("udp")) {
            ns.call(() -> {
                try (UdpSocket a = UdpSocket.open(StandardProtocolFamily.INET);
                     UdpSocket b = UdpSocket.open(StandardProtocolFamily.INET)) {
                    a.setReusePort(true);
                    b.setReusePort(true);
                    a.bind(at("127.0.0.1", 0));
                    int port = a.localPort();
                    b.bind(at("127.0.0.1", port));
                    assertEquals(port, b.localPort());
                }
                return null;
            });
        }
    }

    @Test
    void bindingAPortInUseNamesTheAddress() throws Exception {
        try (TestNamespace ns = TestNamespace.create("udp")) {
            ns.call(() -> {
                try (UdpSocket a = bound("127.0.0.1", 0); UdpSocket b = UdpSocket.open(StandardProtocolFamily.INET)) {
                    int port = a.localPort();
                    ErrnoException e = assertThrows(ErrnoException.class, () -> b.bind(at("127.0.0.1", port)));
                    assertEquals(Errno.EADDRINUSE, e.errno());
                    assertTrue(e.getMessage().startsWith("bind(127.0.0.1:" + port + " on udp4 fd "), e.getMessage());
                    assertTrue(e.getMessage().contains("EADDRINUSE"), e.getMessage());
                }
                return null;
            });
        }
    }

    @Test
    void closedSocketFailsWithEbadf() throws Exception {
        UdpSocket s = UdpSocket.open(StandardProtocolFamily.INET6);
        s.close();
        s.close(); // idempotent
        assertEquals(-1, s.fd());
        try (MessageBatch b = new MessageBatch(2, 64)) {
            b.remote(0).setIpv6(0, 1, 9, 0); // ::1, never reached
            assertEquals(Errno.EBADF, assertThrows(ErrnoException.class, () -> s.receive(b)).errno());
            assertEquals(Errno.EBADF, assertThrows(ErrnoException.class, () -> s.send(b, 0, 1)).errno());
            assertEquals(Errno.EBADF, assertThrows(ErrnoException.class, () -> s.awaitReadable(0)).errno());
            assertEquals(Errno.EBADF, assertThrows(ErrnoException.class, () -> s.setGro(true)).errno());
            s.refuseGsoForTest();
            ErrnoException e = assertThrows(ErrnoException.class, () -> s.send(b, 0, 1));
            assertEquals(Errno.EBADF, e.errno());
            assertTrue(e.getMessage().contains("closed"), e.getMessage());
        }
    }

    @Test
    void ipv6SocketIsV6OnlyAndRejectsIpv4Addresses() throws Exception {
        try (UdpSocket s = UdpSocket.open(StandardProtocolFamily.INET6)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> s.bind(at("127.0.0.1", 0)));
            assertTrue(e.getMessage().contains("IPv6-only"), e.getMessage());
        }
    }

    @Test
    void forcedBufferSizesAreGrantedAndReported() throws Exception {
        // Tests run as root, so the FORCE options apply and exceed the default net.core.rmem_max cap.
        try (UdpSocket s = UdpSocket.open(StandardProtocolFamily.INET)) {
            s.setBufferSizes(8 << 20, 4 << 20);
            // The kernel doubles the request for its bookkeeping and reports the doubled value.
            assertEquals(16 << 20, s.receiveBufferSize());
            assertEquals(8 << 20, s.sendBufferSize());
        }
    }

    static void oneGsoSlot(MessageBatch out, InetSocketAddress dst, int seed) {
        oneGsoSlotAt(out, 0, dst, seed);
    }

    static void oneGsoSlotAt(MessageBatch out, int slot, InetSocketAddress dst, int seed) {
        out.remote(slot).set(dst);
        out.setLength(slot, SEGMENTS * SEGMENT);
        out.setSegmentSize(slot, SEGMENT);
        fill(out.buffer(slot), SEGMENTS * SEGMENT, seed);
    }
}
