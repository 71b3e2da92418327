package net.ipop.dataplane.pipeline;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.nio.ByteOrder;

import net.ipop.ffm.testing.Privileged;
import net.ipop.ffm.testing.TestNamespace;
import net.ipop.dataplane.packet.InternetChecksum;
import net.ipop.ffm.tun.TunDevice;
import net.ipop.ffm.tun.TunOffload;
import net.ipop.ffm.udp.MessageBatch;
import net.ipop.ffm.udp.UdpSocket;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@link PollingIo#send} against a real socket in a namespace: a slot the kernel refuses is dropped, counted,
 * and named by {@link PollingIo#refused} so the caller can count it for its peer; the slots around it go out.
 */
@Privileged
@Timeout(60)
class PollingIoTest {
    @Test
    void aRefusedSlotIsDroppedNamedAndTheOthersAreSent() throws Exception {
        try (TestNamespace ns = TestNamespace.create("pio");
             MessageBatch batch = new MessageBatch(4, 2048)) {
            ns.exec("ip", "link", "set", "lo", "up");
            try (TunDevice tun = ns.call(() -> TunDevice.tun().name("ipop0").open());
                 UdpSocket sender = ns.call(() -> UdpSocket.open(StandardProtocolFamily.INET));
                 UdpSocket receiver = ns.call(() -> {
                     UdpSocket s = UdpSocket.open(StandardProtocolFamily.INET);
                     s.bind(new InetSocketAddress("127.0.0.1", 51820));
                     return s;
                 });
                 PollingIo io = new PollingIo(tun.queue(0), false, sender)) {
                // Slot 1 goes where the namespace has no route (ENETUNREACH); slot 2 is a GSO slot of 3 datagrams.
                InetSocketAddress reachable = new InetSocketAddress("127.0.0.1", 51820);
                batch.remote(0).set(reachable);
                batch.setLength(0, 100);
                batch.setSegmentSize(0, 0);
                batch.remote(1).set(new InetSocketAddress("203.0.113.9", 51820));
                batch.setLength(1, 300);
                batch.setSegmentSize(1, 100);
                batch.remote(2).set(reachable);
                batch.setLength(2, 300);
                batch.setSegmentSize(2, 100);
                for (int i = 0; i < 3; i++) {
                    batch.local(i).clear();
                }

                assertEquals(3, io.send(batch, 3), "the refused GSO slot's 3 datagrams");
                assertFalse(io.refused(0));
                assertTrue(io.refused(1));
                assertFalse(io.refused(2));
                assertEquals(1, io.sendErrors());

                int received = 0;
                try (MessageBatch in = new MessageBatch(8, 2048)) {
                    while (received < 4 && receiver.awaitReadable(5000)) {
                        received += receiver.receive(in);
                    }
                }
                assertEquals(4, received, "slot 0 and the 3 datagrams of slot 2");

                // A send without drops leaves no slot marked from the one before.
                batch.remote(1).set(reachable);
                assertEquals(0, io.send(batch, 2));
                assertFalse(io.refused(0));
                assertFalse(io.refused(1));
            }
        }
    }

    /**
     * The receiving half of the aes256gcm checksum contract against a real kernel: a UDP packet whose checksum
     * field holds only the pseudo-header sum is dropped as corrupt when written plainly, and delivered to the
     * socket when written with {@link PollingIo#writePartial} (F_NEEDS_CSUM at the UDP header).
     */
    @Test
    void thePartialChecksumOfAnAesPacketIsTakenByTheKernelWithNeedsCsum() throws Exception {
        try (TestNamespace ns = TestNamespace.create("pcs");
             Arena arena = Arena.ofConfined();
             MessageBatch in = new MessageBatch(4, 2048)) {
            try (TunDevice tun = ns.call(() -> TunDevice.tun().name("ipop0").vnetHeader(true)
                    .offloads(TunOffload.ALL).open())) {
                ns.exec("ip", "link", "set", "lo", "up");
                ns.exec("ip", "link", "set", "ipop0", "addrgenmode", "none");
                ns.exec("ip", "addr", "add", "192.0.2.1/24", "dev", "ipop0");
                ns.exec("ip", "link", "set", "ipop0", "up");
                try (UdpSocket receiver = ns.call(() -> {
                         UdpSocket s = UdpSocket.open(StandardProtocolFamily.INET);
                         s.bind(new InetSocketAddress("192.0.2.1", 5201));
                         return s;
                     });
                     PollingIo io = new PollingIo(tun.queue(0), true, receiver)) {
                    MemorySegment plain = partialUdp(arena, "written plainly".getBytes());
                    MemorySegment partial = partialUdp(arena, "with NEEDS_CSUM".getBytes());
                    assertTrue(io.write(plain, 0, (int) plain.byteSize()));
                    assertTrue(io.writePartial(partial, 0, (int) partial.byteSize()));

                    assertTrue(receiver.awaitReadable(5000), "the partial one arrives");
                    assertEquals(1, receiver.receive(in));
                    byte[] got = in.buffer(0).asSlice(0, in.length(0)).toArray(ValueLayout.JAVA_BYTE);
                    assertArrayEquals("with NEEDS_CSUM".getBytes(), got, "and the plain one, written first, did not");
                }
            }
        }
    }

    /** UDP 192.0.2.2:40000 -> 192.0.2.1:5201 carrying {@code payload}, checksum field = folded pseudo-header sum. */
    private static MemorySegment partialUdp(Arena arena, byte[] payload) {
        ValueLayout.OfShort u16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
        MemorySegment p = arena.allocate(28 + payload.length);
        p.set(ValueLayout.JAVA_BYTE, 0, (byte) 0x45);
        p.set(u16, 2, (short) p.byteSize());
        p.set(u16, 6, (short) 0x4000);
        p.set(ValueLayout.JAVA_BYTE, 8, (byte) 64);
        p.set(ValueLayout.JAVA_BYTE, 9, (byte) 17);
        p.set(ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN), 12, 0xC0000202);
        p.set(ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN), 16, 0xC0000201);
        p.set(u16, 10, (short) InternetChecksum.of(p, 0, 20));
        p.set(u16, 20, (short) 40000);
        p.set(u16, 22, (short) 5201);
        p.set(u16, 24, (short) (8 + payload.length));
        MemorySegment.copy(payload, 0, p, ValueLayout.JAVA_BYTE, 28, payload.length);
        p.set(u16, 26, (short) InternetChecksum.folded(InternetChecksum.pseudoHeader(p, 0, 17, 8 + payload.length)));
        return p;
    }
}
