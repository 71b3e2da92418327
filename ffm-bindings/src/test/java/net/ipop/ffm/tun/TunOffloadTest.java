package net.ipop.ffm.tun;

import static net.ipop.ffm.tun.Packets.PROTO_TCP;
import static net.ipop.ffm.tun.Packets.PROTO_UDP;
import static net.ipop.ffm.tun.Packets.dst;
import static net.ipop.ffm.tun.Packets.ip;
import static net.ipop.ffm.tun.Packets.isIpv4;
import static net.ipop.ffm.tun.Packets.protocol;
import static net.ipop.ffm.tun.Packets.u16;
import static net.ipop.ffm.tun.Packets.u8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;

import net.ipop.ffm.libc.ErrnoException;
import net.ipop.ffm.libc.Libc;
import net.ipop.ffm.libc.Sockets;
import net.ipop.ffm.testing.Privileged;
import net.ipop.ffm.testing.TestNamespace;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Super-packets through a TUN with a virtio-net header: with the offloads on, the kernel hands over
 * UDP_SEGMENT sends and TCP streams unsegmented, larger than the 1500-byte MTU.
 */
@Privileged
class TunOffloadTest {
    private static final int MTU = 1500;
    private static final int HDR = VirtioNetHeader.SIZE;
    private static final int LOCAL = ip(192, 0, 2, 1);
    private static final int REMOTE = ip(192, 0, 2, 2);
    private static final int SOL_UDP = 17;
    private static final int UDP_SEGMENT = 103;

    private static TunDevice openOffloaded(TestNamespace ns, String name) throws Exception {
        TunDevice dev = ns.call(() -> TunDevice.tun().name(name).vnetHeader(true).offloads(TunOffload.ALL).open());
        try {
            ns.exec("ip", "addr", "add", "192.0.2.1/24", "dev", name);
            ns.exec("ip", "link", "set", name, "up", "mtu", Integer.toString(MTU));
        } catch (Exception e) {
            dev.close();
            throw e;
        }
        return dev;
    }

    @Test
    @Timeout(60)
    void udpSegmentSendArrivesAsOneUdpL4SuperPacket() throws Exception {
        int segment = 1200;
        int payload = 6 * segment;
        try (TestNamespace ns = TestNamespace.create("tunuso");
             TunDevice dev = openOffloaded(ns, "uso0");
             Arena arena = Arena.ofConfined()) {
            assertEquals(HDR, dev.vnetHeaderSize());
            // This kernel (6.18) accepts every offload; on one without USO the ladder would drop it.
            assertEquals(TunOffload.ALL, dev.offloads(), TunOffload.describe(dev.offloads()));

            ns.call(() -> {
                int fd = Sockets.socket(Sockets.AF_INET, Sockets.SOCK_DGRAM | Sockets.SOCK_CLOEXEC, 0);
                try (Arena a = Arena.ofConfined()) {
                    MemorySegment opt = a.allocate(ValueLayout.JAVA_INT);
                    opt.set(ValueLayout.JAVA_INT, 0, segment);
                    Sockets.setsockopt(fd, SOL_UDP, UDP_SEGMENT, opt, 4, "UDP_SEGMENT");
                    MemorySegment to = sockaddrIn(a, REMOTE, 4789);
                    MemorySegment data = a.allocate(payload);
                    assertEquals(payload, Sockets.sendto(fd, data, payload, 0, to, (int) to.byteSize()));
                } finally {
                    Libc.close(fd);
                }
                return null;
            });

            MemorySegment buf = arena.allocate(HDR + 65535);
            int len = Reads.until(dev.queue(0), buf, 5000, "the UDP super-packet",
                    n -> isIpv4(buf, HDR, n - HDR) && protocol(buf, HDR) == PROTO_UDP && dst(buf, HDR) == REMOTE);
            VirtioNetHeader vh = new VirtioNetHeader().wrap(buf, 0);
            assertEquals(HDR + 20 + 8 + payload, len, "one read carries the whole send");
            assertTrue(len - HDR > MTU);
            assertEquals(VirtioNetHeader.GSO_UDP_L4, vh.gsoType());
            assertEquals(segment, vh.gsoSize());
            assertEquals(VirtioNetHeader.F_NEEDS_CSUM, vh.flags() & VirtioNetHeader.F_NEEDS_CSUM);
            assertEquals(20, vh.csumStart(), "checksum starts at the UDP header");
            assertEquals(6, vh.csumOffset(), "UDP checksum field");
        }
    }

    @Test
    @Timeout(60)
    void tcpStreamArrivesAsTcpV4SuperPackets() throws Exception {
        try (TestNamespace ns = TestNamespace.create("tuntso");
             TunDevice dev = openOffloaded(ns, "tso0");
             Arena arena = Arena.ofConfined()) {
            assertTrue(dev.hasOffloads(TunOffload.CSUM | TunOffload.TSO4));
            TunQueue q = dev.queue(0);
            SocketChannel ch = ns.call(() -> {
                SocketChannel c = SocketChannel.open();
                c.configureBlocking(false);
                c.connect(new InetSocketAddress("192.0.2.2", 8080));
                return c;
            });
            try (ch) {
                MemorySegment buf = arena.allocate(HDR + 65535);
                int ip = HDR;
                Reads.until(q, buf, 5000, "the SYN", n -> isTcpTo(buf, n) && (u8(buf, ip + 33) & 0x3f) == 0x02);
                int clientPort = u16(buf, ip + 20);
                int clientIsn = Packets.i32(buf, ip + 24);

                // Answer as 192.0.2.2:8080: SYN-ACK with MSS 1460 and a 64 KiB window, no other options.
                int serverIsn = 0x1000;
                MemorySegment synAck = arena.allocate(HDR + 44);
                new VirtioNetHeader().wrap(synAck, 0).clear();
                int tcp = ip + 20;
                Packets.put16(synAck, tcp, 8080);
                Packets.put16(synAck, tcp + 2, clientPort);
                Packets.put32(synAck, tcp + 4, serverIsn);
                Packets.put32(synAck, tcp + 8, clientIsn + 1);
                Packets.put8(synAck, tcp + 12, 6 << 4);                 // 24-byte header
                Packets.put8(synAck, tcp + 13, 0x12);                   // SYN|ACK
                Packets.put16(synAck, tcp + 14, 0xffff);
                Packets.put8(synAck, tcp + 20, 2);                      // MSS option
                Packets.put8(synAck, tcp + 21, 4);
                Packets.put16(synAck, tcp + 22, MTU - 40);
                Packets.writeIpv4(synAck, ip, 44, PROTO_TCP, REMOTE, LOCAL);
                Packets.fixTransportChecksum(synAck, ip, 44);
                assertEquals(HDR + 44, q.write(synAck, HDR + 44));

                long deadline = System.nanoTime() + 5_000_000_000L;
                while (!ch.finishConnect()) {
                    assertTrue(System.nanoTime() < deadline, "handshake did not complete");
                    Thread.sleep(10);
                }
                // Well within the initial window (10 segments) and the 64 KiB we advertised.
                ByteBuffer data = ByteBuffer.allocate(10 * (MTU - 40));
                while (data.hasRemaining() && System.nanoTime() < deadline) {
                    ch.write(data);
                }

                VirtioNetHeader vh = new VirtioNetHeader().wrap(buf, 0);
                int len = Reads.until(q, buf, 5000, "a TCP super-packet",
                        n -> isTcpTo(buf, n) && n - HDR > MTU);
                assertEquals(VirtioNetHeader.GSO_TCPV4, vh.gsoType() & ~VirtioNetHeader.GSO_ECN);
                assertTrue(vh.gsoSize() > 0 && vh.gsoSize() <= MTU - 40, "gso_size " + vh.gsoSize());
                assertTrue(len - HDR > vh.gsoSize() + 40, "more than one segment's worth: " + (len - HDR));
                assertEquals(VirtioNetHeader.F_NEEDS_CSUM, vh.flags() & VirtioNetHeader.F_NEEDS_CSUM);
                assertEquals(20, vh.csumStart());
                assertEquals(16, vh.csumOffset(), "TCP checksum field");
            }
        }
    }

    @Test
    @Timeout(60)
    void refusedOffloadsFallBackToWhatTheKernelAccepts() throws Exception {
        // The driver takes TSO_ECN only together with TSO4/TSO6 and answers EINVAL otherwise, a real
        // refusal to walk the ladder with: the richest accepted subset here is checksum offload alone.
        try (TestNamespace ns = TestNamespace.create("tunoffl");
             TunDevice dev = ns.call(() -> TunDevice.tun().name("ecn0").vnetHeader(true)
                     .offloads(TunOffload.CSUM | TunOffload.TSO_ECN | TunOffload.USO4 | TunOffload.USO6).open())) {
            assertEquals(TunOffload.CSUM, dev.offloads(), TunOffload.describe(dev.offloads()));
            assertTrue(dev.hasOffloads(TunOffload.CSUM));
        }
        // Only EINVAL walks the ladder: a descriptor that is not a TUN device fails at once.
        try (Arena a = Arena.ofConfined()) {
            int fd = Libc.open(a.allocateFrom("/dev/null"), Libc.O_RDWR | Libc.O_CLOEXEC, 0, "/dev/null");
            try {
                ErrnoException e = assertThrows(ErrnoException.class,
                        () -> TunOffload.negotiate(fd, TunOffload.ALL, "null0"));
                assertEquals(25, e.errno(), "ENOTTY: " + e.getMessage());
                assertTrue(e.getMessage().contains("TUNSETOFFLOAD CSUM|TSO4|TSO6|USO4|USO6, null0"), e.getMessage());
            } finally {
                Libc.close(fd);
            }
        }
    }

    private static boolean isTcpTo(MemorySegment buf, int n) {
        return isIpv4(buf, HDR, n - HDR) && protocol(buf, HDR) == PROTO_TCP && dst(buf, HDR) == REMOTE;
    }

    /** {@code struct sockaddr_in} of {@code <netinet/in.h>}: family (host order), port and address (network order). */
    private static MemorySegment sockaddrIn(Arena a, int addr, int port) {
        MemorySegment sa = a.allocate(16);
        sa.set(ValueLayout.JAVA_SHORT, 0, (short) Sockets.AF_INET);
        Packets.put16(sa, 2, port);
        Packets.put32(sa, 4, addr);
        return sa;
    }
}
