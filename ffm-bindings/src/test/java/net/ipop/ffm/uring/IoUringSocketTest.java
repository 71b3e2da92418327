package net.ipop.ffm.uring;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.BitSet;
import java.util.concurrent.TimeUnit;

import net.ipop.ffm.libc.Libc;
import net.ipop.ffm.libc.Sockets;
import net.ipop.ffm.testing.Privileged;
import net.ipop.ffm.testing.TestNamespace;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** RECVMSG/SENDMSG through the ring on UDP sockets on the loopback of a private namespace. */
@Privileged
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class IoUringSocketTest {
    private static final int IN_FLIGHT = 32;
    private static final long SECOND = 1_000_000_000L;

    /** Three UDP sockets bound to 127.0.0.1 inside {@code ns}: {fd0, port0, fd1, port1, fd2, port2}. */
    private static int[] threeSockets(TestNamespace ns) throws Exception {
        return ns.call(() -> {
            int[] a = TestIo.udpOnLoopback();
            int[] b = TestIo.udpOnLoopback();
            int[] c = TestIo.udpOnLoopback();
            return new int[] {a[0], a[1], b[0], b[1], c[0], c[1]};
        });
    }

    private static void closeAll(int[] socks) throws Exception {
        for (int i = 0; i < socks.length; i += 2) {
            Libc.close(socks[i]);
        }
    }

    /** Waits and drains with {@code handler} until {@code want} completions or 10 s; returns the count. */
    private static int collect(IoUring ring, CompletionHandler handler, int want) throws Exception {
        long deadline = System.nanoTime() + 10 * SECOND;
        int got = 0;
        while (got < want && System.nanoTime() < deadline) {
            ring.submitAndWait(1, SECOND);
            got += ring.drain(handler, want - got);
        }
        return got;
    }

    @Test
    void thirtyTwoPendingRecvmsgsEachGetOneDatagramRoutedByUserData() throws Exception {
        try (TestNamespace ns = TestNamespace.create("uring");
             IoUring ring = IoUring.open(64);
             Arena arena = Arena.ofConfined()) {
            int[] s = threeSockets(ns);
            int receiver = s[0];
            try {
                MemorySegment[] names = new MemorySegment[IN_FLIGHT];
                MemorySegment[] bufs = new MemorySegment[IN_FLIGHT];
                MemorySegment[] msgs = new MemorySegment[IN_FLIGHT];
                for (int i = 0; i < IN_FLIGHT; i++) {
                    names[i] = arena.allocate(TestIo.SOCKADDR_IN_SIZE, 4);
                    bufs[i] = arena.allocate(2048);
                    msgs[i] = TestIo.msghdr(arena, names[i], bufs[i], 2048);
                    assertTrue(ring.prepRecvmsg(receiver, msgs[i], 0, 0x5000 + i));
                }
                assertEquals(IN_FLIGHT, ring.submit(), "all 32 go in one enter");
                assertEquals(1, ring.enterCalls());
                assertEquals(0, ring.cqReady(), "nothing sent yet");

                MemorySegment to = arena.allocate(TestIo.SOCKADDR_IN_SIZE, 4);
                TestIo.loopback(to, s[1]);
                MemorySegment payload = arena.allocate(2048);
                for (int j = 0; j < IN_FLIGHT; j++) {
                    payload.fill((byte) (j ^ 0x5a));
                    payload.set(ValueLayout.JAVA_BYTE, 0, (byte) j);
                    int from = j % 2 == 0 ? s[2] : s[4];
                    assertEquals(100 + j, Sockets.sendto(from, payload, 100 + j, 0, to, TestIo.SOCKADDR_IN_SIZE));
                }

                BitSet slots = new BitSet();
                BitSet seqs = new BitSet();
                int n = collect(ring, (userData, res, flags) -> {
                    int slot = (int) (userData - 0x5000);
                    assertTrue(slot >= 0 && slot < IN_FLIGHT, "user_data " + userData);
                    assertTrue(res > 0, "res " + res);
                    int seq = bufs[slot].get(ValueLayout.JAVA_BYTE, 0);
                    assertEquals(100 + seq, res, "length of datagram " + seq + " in slot " + slot);
                    assertEquals((byte) (seq ^ 0x5a), bufs[slot].get(ValueLayout.JAVA_BYTE, res - 1L));
                    int expectedPort = seq % 2 == 0 ? s[3] : s[5];
                    assertEquals(expectedPort, TestIo.port(names[slot]), "source of datagram " + seq);
                    assertEquals(TestIo.SOCKADDR_IN_SIZE, msgs[slot].get(ValueLayout.JAVA_INT, TestIo.MSG_NAMELEN_OFFSET));
                    slots.set(slot);
                    seqs.set(seq);
                }, IN_FLIGHT);
                assertEquals(IN_FLIGHT, n);
                assertEquals(IN_FLIGHT, slots.cardinality(), "every pending recvmsg completed once");
                assertEquals(IN_FLIGHT, seqs.cardinality(), "every datagram landed once");
            } finally {
                closeAll(s);
            }
        }
    }

    @Test
    void thirtyTwoSendmsgsInOneEnterAllArrive() throws Exception {
        try (TestNamespace ns = TestNamespace.create("uring");
             IoUring ring = IoUring.open(IN_FLIGHT);
             Arena arena = Arena.ofConfined()) {
            int[] s = threeSockets(ns);
            int receiver = s[0];
            int sender = s[2];
            try {
                MemorySegment to = arena.allocate(TestIo.SOCKADDR_IN_SIZE, 4);
                TestIo.loopback(to, s[1]);
                for (int j = 0; j < IN_FLIGHT; j++) {
                    MemorySegment buf = arena.allocate(200 + j);
                    buf.fill((byte) j);
                    assertTrue(ring.prepSendmsg(sender, TestIo.msghdr(arena, to, buf, 200 + j), 0, 0x6000 + j));
                }
                assertEquals(IN_FLIGHT, ring.submit());
                BitSet sent = new BitSet();
                int n = collect(ring, (userData, res, flags) -> {
                    int j = (int) (userData - 0x6000);
                    assertEquals(200 + j, res, "bytes sent by user_data " + userData);
                    sent.set(j);
                }, IN_FLIGHT);
                assertEquals(IN_FLIGHT, n);
                assertEquals(IN_FLIGHT, sent.cardinality());

                MemorySegment from = arena.allocate(TestIo.SOCKADDR_IN_SIZE, 4);
                MemorySegment fromLen = arena.allocate(ValueLayout.JAVA_INT);
                MemorySegment in = arena.allocate(2048);
                BitSet received = new BitSet();
                for (int k = 0; k < IN_FLIGHT; k++) {
                    fromLen.set(ValueLayout.JAVA_INT, 0, TestIo.SOCKADDR_IN_SIZE);
                    int len = Sockets.recvfrom(receiver, in, 2048, Sockets.MSG_DONTWAIT, from, fromLen);
                    assertTrue(len > 0, "datagram " + k + " queued");
                    int j = in.get(ValueLayout.JAVA_BYTE, 0);
                    assertEquals(200 + j, len);
                    assertEquals(s[3], TestIo.port(from));
                    received.set(j);
                }
                assertEquals(IN_FLIGHT, received.cardinality());
            } finally {
                closeAll(s);
            }
        }
    }

    @Test
    void recvmsgWaitTimesOutEmptyThenCompletesWhenADatagramArrives() throws Exception {
        try (TestNamespace ns = TestNamespace.create("uring");
             IoUring ring = IoUring.open(4);
             Arena arena = Arena.ofConfined()) {
            int[] s = threeSockets(ns);
            try {
                MemorySegment name = arena.allocate(TestIo.SOCKADDR_IN_SIZE, 4);
                MemorySegment buf = arena.allocate(1500);
                assertTrue(ring.prepRecvmsg(s[0], TestIo.msghdr(arena, name, buf, 1500), 0, 42));
                long t0 = System.nanoTime();
                assertEquals(1, ring.submitAndWait(1, 300_000_000L));
                long waitedMs = (System.nanoTime() - t0) / 1_000_000;
                assertEquals(0, ring.drain((u, r, f) -> { }, 4), "nothing can have completed");
                assertTrue(waitedMs >= 250 && waitedMs < 5000, "300 ms wait took " + waitedMs + " ms");

                MemorySegment to = arena.allocate(TestIo.SOCKADDR_IN_SIZE, 4);
                TestIo.loopback(to, s[1]);
                MemorySegment payload = arena.allocateFrom("late datagram");
                assertEquals(13, Sockets.sendto(s[2], payload, 13, 0, to, TestIo.SOCKADDR_IN_SIZE));
                long t1 = System.nanoTime();
                ring.submitAndWait(1, 10 * SECOND);
                assertTrue(System.nanoTime() - t1 < 5 * SECOND, "the datagram ends the wait");
                long[] ud = new long[1];
                int[] res = new int[1];
                assertEquals(1, ring.drain(ud, res, new int[1], 1));
                assertEquals(42, ud[0]);
                assertEquals(13, res[0]);
                assertEquals("late datagram", buf.getString(0));
                assertEquals(s[3], TestIo.port(name));
            } finally {
                closeAll(s);
            }
        }
    }
}
