package net.ipop.dataplane.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;

import net.ipop.ffm.testing.Privileged;
import net.ipop.ffm.testing.TestNamespace;
import net.ipop.ffm.tun.TunDevice;
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
}
