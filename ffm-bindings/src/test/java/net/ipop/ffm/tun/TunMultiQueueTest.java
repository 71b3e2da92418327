package net.ipop.ffm.tun;

import static net.ipop.ffm.tun.Packets.PROTO_UDP;
import static net.ipop.ffm.tun.Packets.isIpv4;
import static net.ipop.ffm.tun.Packets.protocol;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;

import net.ipop.ffm.testing.Privileged;
import net.ipop.ffm.testing.TestNamespace;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Privileged
class TunMultiQueueTest {
    private static final int FLOWS = 64;
    private static final int BATCH = 16;

    @Test
    @Timeout(60)
    void flowsSpreadOverBothQueues() throws Exception {
        try (TestNamespace ns = TestNamespace.create("tunmq");
             TunDevice dev = ns.call(() -> TunDevice.tun().name("mq0").queues(2).open());
             Arena arena = Arena.ofConfined()) {
            assertEquals(2, dev.queueCount());
            assertTrue(dev.queue(0).fd() != dev.queue(1).fd());
            ns.exec("ip", "addr", "add", "192.0.2.1/24", "dev", "mq0");
            ns.exec("ip", "link", "set", "mq0", "up");

            // One socket per flow, so each has its own ephemeral source port (and flow hash).
            ns.call(() -> {
                ByteBuffer payload = ByteBuffer.allocate(32);
                for (int i = 0; i < FLOWS; i++) {
                    try (DatagramChannel ch = DatagramChannel.open()) {
                        payload.clear();
                        ch.send(payload, new InetSocketAddress("192.0.2." + (2 + i % 50), 20000 + i));
                    }
                }
                return null;
            });

            MemorySegment[] bufs = new MemorySegment[BATCH];
            for (int i = 0; i < BATCH; i++) {
                bufs[i] = arena.allocate(2048);
            }
            int[] lengths = new int[BATCH];
            int[] udpPerQueue = new int[2];
            long deadline = System.nanoTime() + 5_000_000_000L;
            while (udpPerQueue[0] + udpPerQueue[1] < FLOWS && System.nanoTime() < deadline) {
                for (int q = 0; q < 2; q++) {
                    TunQueue queue = dev.queue(q);
                    if (!queue.awaitReadable(50)) {
                        continue;
                    }
                    int n = queue.readBatch(bufs, lengths, BATCH);
                    for (int i = 0; i < n; i++) {
                        if (isIpv4(bufs[i], 0, lengths[i]) && protocol(bufs[i], 0) == PROTO_UDP) {
                            udpPerQueue[q]++;
                        }
                    }
                }
            }
            assertEquals(FLOWS, udpPerQueue[0] + udpPerQueue[1], "every datagram arrives exactly once");
            assertTrue(udpPerQueue[0] > 0 && udpPerQueue[1] > 0,
                    "both queues carry flows: " + udpPerQueue[0] + " / " + udpPerQueue[1]);
        }
    }
}
