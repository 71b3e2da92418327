package net.ipop.ffm.tun;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.util.HashSet;
import java.util.Set;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import net.ipop.ffm.testing.Privileged;
import net.ipop.ffm.testing.TestNamespace;
import net.ipop.ffm.uring.IoUring;

/** TUN reads completing through io_uring with many in flight: the data plane's receive pattern. */
@Privileged
class TunThroughUringTest {
    private static final int IN_FLIGHT = 32;

    @Test
    @Timeout(60)
    void manyReadsInFlightEachGetOnePacket() throws Exception {
        try (TestNamespace ns = TestNamespace.create("tunuring")) {
            ns.call(() -> {
                try (TunDevice tun = TunDevice.tun().name("ur%d").open();
                     IoUring ring = IoUring.open(64);
                     Arena arena = Arena.ofConfined();
                     DatagramChannel sender = DatagramChannel.open()) {
                    // No IPv6 on the device, so only our datagrams come out of it (no router solicitations).
                    ns.exec("sysctl", "-qw", "net.ipv6.conf." + tun.name() + ".disable_ipv6=1");
                    ns.exec("ip", "addr", "add", "192.0.2.1/24", "dev", tun.name());
                    ns.exec("ip", "link", "set", tun.name(), "up");

                    MemorySegment[] slots = new MemorySegment[IN_FLIGHT];
                    for (int i = 0; i < IN_FLIGHT; i++) {
                        slots[i] = arena.allocate(2048);
                        assertTrue(ring.prepRead(tun.queue(0).fd(), slots[i], 2048, -1, 1000 + i));
                    }
                    assertEquals(IN_FLIGHT, ring.submit(), "all reads go to the kernel in one enter");

                    sender.bind(new InetSocketAddress(InetAddress.getByName("192.0.2.1"), 0));
                    for (int i = 0; i < IN_FLIGHT; i++) {
                        ByteBuffer payload = ByteBuffer.allocate(100 + i);
                        payload.putInt(0, i);
                        sender.send(payload, new InetSocketAddress(InetAddress.getByName("192.0.2.77"), 4000 + i));
                    }

                    long[] userData = new long[IN_FLIGHT];
                    int[] res = new int[IN_FLIGHT];
                    int[] flags = new int[IN_FLIGHT];
                    Set<Integer> seenSlots = new HashSet<>();
                    Set<Integer> seenPayloads = new HashSet<>();
                    long deadline = System.nanoTime() + 10_000_000_000L;
                    while (seenSlots.size() < IN_FLIGHT && System.nanoTime() < deadline) {
                        ring.submitAndWait(1, 500_000_000L);
                        int n = ring.drain(userData, res, flags, IN_FLIGHT);
                        for (int k = 0; k < n; k++) {
                            int slot = (int) (userData[k] - 1000);
                            assertTrue(seenSlots.add(slot), "each read completes once");
                            MemorySegment p = slots[slot];
                            assertTrue(Packets.isIpv4(p, 0, res[k]), "an IPv4 packet, length " + res[k]);
                            int payload = p.get(Packets.BE32, 28);
                            assertEquals(28 + 100 + payload, res[k], "length matches the datagram sent");
                            seenPayloads.add(payload);
                        }
                    }
                    assertEquals(IN_FLIGHT, seenSlots.size());
                    assertEquals(IN_FLIGHT, seenPayloads.size(), "every datagram arrived exactly once");
                }
                return null;
            });
        }
    }
}
