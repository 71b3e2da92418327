package net.ipop.ffm.tun;

import static net.ipop.ffm.tun.Packets.PROTO_ICMP;
import static net.ipop.ffm.tun.Packets.dst;
import static net.ipop.ffm.tun.Packets.ip;
import static net.ipop.ffm.tun.Packets.isIpv4;
import static net.ipop.ffm.tun.Packets.protocol;
import static net.ipop.ffm.tun.Packets.u16;
import static net.ipop.ffm.tun.Packets.u8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

import net.ipop.ffm.libc.Libc;
import net.ipop.ffm.testing.Privileged;
import net.ipop.ffm.testing.TestNamespace;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Privileged
class TunDeviceTest {
    private static final int LOCAL = ip(192, 0, 2, 1);
    private static final int REMOTE = ip(192, 0, 2, 2);

    @Test
    @Timeout(60)
    void tunAnswersPingFromTheNamespace() throws Exception {
        try (TestNamespace ns = TestNamespace.create("tunping");
             TunDevice dev = ns.call(() -> TunDevice.tun().open());
             Arena arena = Arena.ofConfined()) {
            // A fresh namespace has no ipop devices, so the kernel's first pick for "ipop%d" is ipop0.
            assertEquals("ipop0", dev.name());
            assertEquals(1, dev.queueCount());
            assertEquals(0, dev.vnetHeaderSize());
            assertTrue((Libc.fcntl(dev.queue(0).fd(), Libc.F_GETFL, 0) & Libc.O_NONBLOCK) != 0);
            MemorySegment buf = arena.allocate(2048);
            // Checked while the link is down: once up, IPv6 autoconfiguration queues packets of its own.
            assertEquals(Libc.WOULD_BLOCK, dev.queue(0).read(buf), "an idle non-blocking queue would block");
            ns.exec("ip", "addr", "add", "192.0.2.1/24", "dev", dev.name());
            ns.exec("ip", "link", "set", dev.name(), "up");

            Process ping = ns.start("ping", "-c", "1", "-W", "3", "192.0.2.2");
            try {
                int len = Reads.until(dev.queue(0), buf, 5000, "ICMP echo request to 192.0.2.2",
                        n -> isIpv4(buf, 0, n) && protocol(buf, 0) == PROTO_ICMP && dst(buf, 0) == REMOTE
                                && u8(buf, 20) == 8);
                assertEquals(len, u16(buf, 2), "read returns exactly one IP packet");

                // Turn the request into the reply in place: swap addresses, type 0, fresh checksums.
                Packets.put32(buf, 12, REMOTE);
                Packets.put32(buf, 16, LOCAL);
                Packets.put8(buf, 20, 0);
                Packets.fixIcmpChecksum(buf, 0, len);
                Packets.fixIpChecksum(buf, 0);
                assertEquals(len, dev.queue(0).write(buf, len));

                assertTrue(ping.waitFor(10, TimeUnit.SECONDS), "ping did not finish");
                String out = new String(ping.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                assertEquals(0, ping.exitValue(), out);
                assertTrue(out.contains("1 received"), out);
            } finally {
                ping.destroyForcibly();
            }
        }
    }

    @Test
    @Timeout(60)
    void tapCarriesEthernetFramesBothWays() throws Exception {
        try (TestNamespace ns = TestNamespace.create("tap");
             TunDevice dev = ns.call(() -> TunDevice.tap().name("tap0").open());
             Arena arena = Arena.ofConfined()) {
            assertEquals("tap0", dev.name());
            assertEquals(TunDevice.Mode.TAP, dev.mode());
            ns.exec("ip", "addr", "add", "192.0.2.1/24", "dev", "tap0");
            ns.exec("ip", "link", "set", "tap0", "up");

            MemorySegment buf = arena.allocate(2048);
            Process ping = ns.start("ping", "-c", "1", "-W", "2", "192.0.2.2");
            try {
                // IPv6 autoconfiguration frames may come first: wait for the ARP request.
                int len = Reads.until(dev.queue(0), buf, 5000, "ARP request for 192.0.2.2",
                        n -> n >= 42 && u16(buf, 12) == 0x0806 && u16(buf, 20) == 1
                                && Packets.i32(buf, 38) == REMOTE);
                assertTrue(len >= 42);
                for (int i = 0; i < 6; i++) {
                    assertEquals(0xff, u8(buf, i), "ARP request goes to the broadcast address");
                }
                assertEquals(LOCAL, Packets.i32(buf, 28), "sender protocol address");
                for (int i = 0; i < 6; i++) {
                    assertEquals(u8(buf, 6 + i), u8(buf, 22 + i), "sender hardware address is the frame source");
                }

                // Answer it with a frame of our own; the kernel learning the neighbour proves the write.
                MemorySegment reply = arena.allocate(42);
                MemorySegment.copy(buf, 6, reply, 0, 6);               // to the requester
                byte[] peerMac = {0x02, 0, 0, 0, 0, 0x02};
                MemorySegment.copy(MemorySegment.ofArray(peerMac), 0, reply, 6, 6);
                Packets.put16(reply, 12, 0x0806);
                Packets.put16(reply, 14, 1);                            // Ethernet
                Packets.put16(reply, 16, 0x0800);                       // IPv4
                Packets.put8(reply, 18, 6);
                Packets.put8(reply, 19, 4);
                Packets.put16(reply, 20, 2);                            // reply
                MemorySegment.copy(MemorySegment.ofArray(peerMac), 0, reply, 22, 6);
                Packets.put32(reply, 28, REMOTE);
                MemorySegment.copy(buf, 6, reply, 32, 6);
                Packets.put32(reply, 38, LOCAL);
                assertEquals(42, dev.queue(0).write(reply, 42));

                String neigh = waitForNeighbour(ns);
                assertTrue(neigh.contains("02:00:00:00:00:02"), neigh);
            } finally {
                ping.destroyForcibly();
            }
        }
    }

    private static String waitForNeighbour(TestNamespace ns) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        String neigh;
        do {
            neigh = ns.exec("ip", "neigh", "show", "192.0.2.2", "dev", "tap0");
            if (neigh.contains("lladdr")) {
                return neigh;
            }
            Thread.sleep(50);
        } while (System.nanoTime() < deadline);
        return neigh;
    }

    @Test
    void blockingModeLeavesONonblockClear() throws Exception {
        try (TestNamespace ns = TestNamespace.create("tunblk");
             TunDevice dev = ns.call(() -> TunDevice.tun().name("blk0").blocking(true).open())) {
            int flags = Libc.fcntl(dev.queue(0).fd(), Libc.F_GETFL, 0);
            assertFalse((flags & Libc.O_NONBLOCK) != 0);
            // FD_CLOEXEC is a descriptor flag: F_GETFD = 1, FD_CLOEXEC = 1.
            assertEquals(1, Libc.fcntl(dev.queue(0).fd(), 1, 0) & 1);
        }
    }
}
