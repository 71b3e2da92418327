package net.ipop.dataplane.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.nio.ByteOrder;

import net.ipop.ffm.testing.Privileged;
import net.ipop.ffm.testing.TestNamespace;
import net.ipop.ffm.tun.TunDevice;
import net.ipop.ffm.tun.TunOffload;
import net.ipop.ffm.tun.VirtioNetHeader;
import net.ipop.ffm.udp.MessageBatch;
import net.ipop.ffm.udp.UdpSocket;
import net.ipop.ffm.uring.IoUring;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@link UringIo} against a real TUN and socket in a namespace: datagrams routed into the TUN come
 * out of {@link UringIo#readTun} intact and in order, idle waits sleep in the kernel, a datagram on
 * the socket ends the wait, and the read/wait cycle allocates nothing.
 */
@Privileged
@Timeout(60)
class UringIoTest {
    private static final int PAYLOAD = 100;
    /** virtio-net header + IPv4 + UDP + payload, as the TUN hands each datagram over. */
    private static final int FRAME = VirtioNetHeader.SIZE + 20 + 8 + PAYLOAD;
    private static final int BATCH = 16;
    /** Rounds of the allocation check, after the others warmed the JIT up. */
    private static final int MEASURED = 2000;
    private static final ValueLayout.OfInt BE32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);

    @BeforeAll
    static void uringAvailable() {
        Assumptions.assumeTrue(IoUring.isAvailable(), () -> IoUring.probe().reason());
    }

    /** A namespace with TUN "ipop0" (192.0.2.1/24, virtio-net headers) and two sockets. */
    private record Setup(TestNamespace ns, TunDevice tun, UdpSocket sender, UdpSocket receiver)
            implements AutoCloseable {
        static Setup create() throws Exception {
            TestNamespace ns = TestNamespace.create("uio");
            TunDevice tun = null;
            UdpSocket sender = null;
            try {
                tun = ns.call(() -> TunDevice.tun().name("ipop0").vnetHeader(true).offloads(TunOffload.ALL).open());
                ns.exec("ip", "link", "set", "lo", "up");
                ns.exec("ip", "link", "set", "ipop0", "addrgenmode", "none");
                ns.exec("ip", "addr", "add", "192.0.2.1/24", "dev", "ipop0");
                ns.exec("ip", "link", "set", "ipop0", "up");
                sender = ns.call(() -> {
                    UdpSocket s = UdpSocket.open(StandardProtocolFamily.INET);
                    s.bind(new InetSocketAddress("192.0.2.1", 40000));
                    return s;
                });
                UdpSocket receiver = ns.call(() -> {
                    UdpSocket s = UdpSocket.open(StandardProtocolFamily.INET);
                    s.bind(new InetSocketAddress("127.0.0.1", 51820));
                    return s;
                });
                return new Setup(ns, tun, sender, receiver);
            } catch (Exception | Error e) {
                if (sender != null) {
                    sender.close();
                }
                if (tun != null) {
                    tun.close();
                }
                ns.close();
                throw e;
            }
        }

        @Override
        public void close() throws java.io.IOException {
            receiver.close();
            sender.close();
            tun.close();
            ns.close();
        }
    }

    /** Fills {@code BATCH} slots with datagrams to 192.0.2.9:5201 numbered from {@code first}. */
    private static void number(MessageBatch batch, int first) {
        for (int i = 0; i < BATCH; i++) {
            batch.buffer(i).set(BE32, 0, first + i);
            batch.setLength(i, PAYLOAD);
            batch.setSegmentSize(i, 0);
        }
    }

    /** Reads until {@code expected} datagram frames arrived, checking their numbers; other frames are skipped. */
    private static final com.sun.management.ThreadMXBean THREADS =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    /** Bytes allocated inside the UringIo calls (the test's own sends and checks excluded). */
    private static long ioAllocated;

    private static int readNumbered(UringIo io, MemorySegment[] buffers, int[] lengths, int next, int expected)
            throws Exception {
        int got = 0;
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (got < expected) {
            assertTrue(System.nanoTime() < deadline, "TUN reads stalled");
            long before = THREADS.getCurrentThreadAllocatedBytes();
            int n = io.readTun(buffers, lengths, buffers.length);
            if (n == 0) {
                io.awaitReadable(100);
            }
            ioAllocated += THREADS.getCurrentThreadAllocatedBytes() - before;
            for (int i = 0; i < n; i++) {
                if (lengths[i] == FRAME) {
                    int number = buffers[i].get(BE32, VirtioNetHeader.SIZE + 28);
                    if (number != next + got) {
                        throw new AssertionError("datagram " + number + " where " + (next + got) + " was due");
                    }
                    got++;
                }
            }
        }
        return got;
    }

    @Test
    void tunPacketsArriveInOrderAndTheCycleAllocatesNothing() throws Exception {
        try (Setup s = Setup.create();
             Arena arena = Arena.ofConfined();
             MessageBatch batch = new MessageBatch(BATCH, 2048);
             UringIo io = new UringIo(s.tun.queue(0), true, s.receiver)) {
            for (int i = 0; i < BATCH; i++) {
                batch.remote(i).set(new InetSocketAddress("192.0.2.9", 5201));
            }
            MemorySegment[] buffers = new MemorySegment[8];
            int[] lengths = new int[buffers.length];
            for (int i = 0; i < buffers.length; i++) {
                buffers[i] = arena.allocate(VirtioNetHeader.SIZE + 65535);
            }
            int next = 0;
            long before = 0;
            int rounds = 16000;
            for (int round = 0; round < rounds; round++) {
                if (round == rounds - MEASURED) {
                    before = ioAllocated;
                }
                number(batch, next);
                assertEquals(BATCH, s.sender.send(batch, 0, BATCH));
                next += readNumbered(io, buffers, lengths, next, BATCH);
            }
            double perPacket = (ioAllocated - before) / ((double) MEASURED * BATCH);
            System.out.println("UringIo: " + next + " TUN reads, " + io.enterCalls() + " io_uring_enter, "
                    + io.rearmedReads() + " re-armed, " + perPacket + " B allocated per packet");
            assertEquals(rounds * BATCH, next);
            assertEquals(0, io.tunReadErrors());
            assertEquals(0, perPacket, 0.0, "bytes allocated per packet in the read/wait cycle");
        }
    }

    @Test
    void idleWaitSleepsInTheKernelAndADatagramEndsIt() throws Exception {
        try (Setup s = Setup.create();
             Arena arena = Arena.ofConfined();
             MessageBatch batch = new MessageBatch(4, 2048);
             UringIo io = new UringIo(s.tun.queue(0), true, s.receiver)) {
            MemorySegment[] buffers = {arena.allocate(VirtioNetHeader.SIZE + 65535)};
            int[] lengths = new int[1];
            while (io.readTun(buffers, lengths, 1) > 0) {
                // Whatever the device queued on coming up.
            }
            com.sun.management.ThreadMXBean threads =
                    (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
            long cpu = threads.getCurrentThreadCpuTime();
            long start = System.nanoTime();
            io.awaitReadable(300);
            long waitedMs = (System.nanoTime() - start) / 1_000_000;
            long cpuMs = (threads.getCurrentThreadCpuTime() - cpu) / 1_000_000;
            assertTrue(waitedMs >= 250, "idle wait returned after " + waitedMs + " ms");
            assertTrue(cpuMs < 50, "idle wait used " + cpuMs + " ms CPU");

            batch.remote(0).set(new InetSocketAddress("127.0.0.1", 51820));
            batch.setLength(0, 10);
            batch.setSegmentSize(0, 0);
            try (UdpSocket peer = s.ns.call(() -> UdpSocket.open(StandardProtocolFamily.INET))) {
                assertEquals(1, peer.send(batch, 0, 1));
                start = System.nanoTime();
                io.awaitReadable(5000);
                waitedMs = (System.nanoTime() - start) / 1_000_000;
                assertTrue(waitedMs < 1000, "a queued datagram did not end the wait: " + waitedMs + " ms");
                assertEquals(1, io.receive(batch));
                assertEquals(10, batch.length(0));
            }
        }
    }

    @Test
    void openPicksIoUringWhereItWorks() throws Exception {
        try (Setup s = Setup.create();
             PipelineIo io = UringIo.open(s.tun.queue(0), true, s.receiver)) {
            assertTrue(io instanceof UringIo, () -> "got " + io.getClass().getSimpleName());
        }
    }
}
