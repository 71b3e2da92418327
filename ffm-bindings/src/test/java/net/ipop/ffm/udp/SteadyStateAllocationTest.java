package net.ipop.ffm.udp;

import static net.ipop.ffm.udp.UdpTraffic.bound;
import static net.ipop.ffm.udp.UdpTraffic.fill;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import net.ipop.ffm.libc.Libc;
import net.ipop.ffm.testing.Privileged;
import net.ipop.ffm.testing.TestNamespace;

/**
 * The packet path allocates nothing per packet once warm: sendmmsg with GSO, the split fallback,
 * recvmmsg with GRO and pktinfo parsing, poll, and the endpoint hash/compare/copy, measured with the
 * calling thread's allocation counter ({@code com.sun.management.ThreadMXBean}).
 *
 * <p>What the JDK adds: every downcall linked with {@code captureCallState} slices the call-state
 * segment ({@code SharedUtils.checkCaptureSegment}), a 40 B object that C2's escape analysis
 * normally removes. Found with a JFR allocation profile, then per-call counters: in about one run
 * in three, one call site (receive, the split send or poll, varying) stays compiled such that the
 * slice survives: 40 B per syscall, never per packet. Until C2 has compiled a site, the same slice
 * is allocated by interpreted and C1 code. Hence the tolerance below: less than one byte per
 * datagram over a window. Allocation per datagram by this package (>= 16 B each) or per syscall at
 * every site (4-5 calls x 40 B per 52-datagram round = ~3.8 B/datagram) fails it.
 */
@Privileged
class SteadyStateAllocationTest {
    private static final int PLAIN = 16;
    private static final int DATAGRAMS_PER_ROUND = 2 * (PLAIN + 10);
    private static final int WARM_UP_ROUNDS = 5_000;
    private static final int SYSCALL_WARM_UP_CALLS = 30_000;
    private static final int WINDOW_ROUNDS = 250;
    /** C2 lags on two busy cores; windows are measured until one meets the tolerance. */
    private static final int MAX_WINDOWS = 20;
    /**
     * Half the smallest object (16 B) per datagram: any allocation per packet fails. It admits what
     * the JDK itself sometimes leaves: an errno-capturing downcall slices its call-state segment
     * (a 40-byte object) on every call, and in some runs C2 does not scalar-replace it; that is per
     * system call (a handful per round of 52 datagrams), not per packet.
     */
    private static final long TOLERANCE_BYTES = (long) WINDOW_ROUNDS * DATAGRAMS_PER_ROUND * 8;

    @Test
    @Timeout(120)
    void sendAndReceiveLoopAllocatesNothingPerPacketAfterWarmUp() throws Exception {
        try (TestNamespace ns = TestNamespace.create("alloc")) {
            long best = ns.call(() -> {
                try (UdpSocket rx = bound("127.0.0.1", 0); UdpSocket gso = bound("127.0.0.1", 0);
                     UdpSocket split = bound("127.0.0.1", 0);
                     MessageBatch out = new MessageBatch(PLAIN + 1, 65536); MessageBatch in = new MessageBatch(64, 65536);
                     Arena arena = Arena.ofConfined()) {
                    rx.setGro(true);
                    rx.setPacketInfo(true);
                    rx.setBufferSizes(4 << 20, 4 << 20);
                    split.refuseGsoForTest();
                    InetSocketAddress dst = rx.localAddress();
                    for (int i = 0; i < PLAIN; i++) {
                        out.remote(i).set(dst);
                        out.setLength(i, 1400);
                        fill(out.buffer(i), 1400, i);
                    }
                    out.remote(PLAIN).set(dst);
                    out.setLength(PLAIN, 10 * 1200);
                    out.setSegmentSize(PLAIN, 1200);
                    SockAddr peer = new SockAddr(arena.allocate(SockAddr.MAX_SIZE), 0).set(gso.localAddress());
                    SockAddr last = new SockAddr(arena.allocate(SockAddr.MAX_SIZE), 0);
                    long expectedBytes = 2L * (PLAIN * 1400 + 10 * 1200);

                    for (int i = 0; i < WARM_UP_ROUNDS; i++) {
                        round(rx, gso, split, out, in, peer, last, expectedBytes);
                    }
                    // A round makes only a few calls of each kind; one-datagram ping-pongs and empty
                    // polls (~µs each) drive the syscall wrappers well past C2's thresholds, with the
                    // same branch profile (data present) as the rounds.
                    for (int i = 0; i < SYSCALL_WARM_UP_CALLS; i++) {
                        gso.send(out, 0, 1);
                        split.send(out, 0, 1);
                        while (rx.receive(in) != Libc.WOULD_BLOCK) {
                            rx.awaitReadable(0);
                        }
                    }

                    com.sun.management.ThreadMXBean mx =
                            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
                    long min = Long.MAX_VALUE;
                    StringBuilder windows = new StringBuilder();
                    for (int w = 0; w < MAX_WINDOWS && min > TOLERANCE_BYTES; w++) {
                        long before = mx.getCurrentThreadAllocatedBytes();
                        int matches = 0;
                        for (int i = 0; i < WINDOW_ROUNDS; i++) {
                            matches += round(rx, gso, split, out, in, peer, last, expectedBytes);
                        }
                        long window = mx.getCurrentThreadAllocatedBytes() - before;
                        assertTrue(matches >= WINDOW_ROUNDS, "peer endpoint was recognised " + matches + " times");
                        assertTrue(last.sameEndpoint(peer));
                        min = Math.min(min, window);
                        windows.append(window).append(' ');
                    }
                    assertEquals(0, split.droppedSegments());
                    System.out.println("udp steady state: bytes allocated per window of " + WINDOW_ROUNDS
                            + " rounds (" + DATAGRAMS_PER_ROUND + " datagrams each): " + windows);
                    return min;
                }
            }, 110);
            assertTrue(best <= TOLERANCE_BYTES, "best window of " + WINDOW_ROUNDS + " rounds ("
                    + WINDOW_ROUNDS * DATAGRAMS_PER_ROUND + " datagrams) allocated " + best + " bytes");
        }
    }

    /** Sends the whole batch from each sender, receives until every byte is back; returns datagrams from {@code peer}. */
    private static int round(UdpSocket rx, UdpSocket gso, UdpSocket split, MessageBatch out, MessageBatch in,
                             SockAddr peer, SockAddr last, long expectedBytes) throws Exception {
        sendAll(gso, out);
        sendAll(split, out);
        long got = 0;
        int fromPeer = 0;
        int peerHash = peer.endpointHash();
        while (got < expectedBytes) {
            int n = rx.receive(in);
            if (n == Libc.WOULD_BLOCK) {
                rx.awaitReadable(1000);
                continue;
            }
            for (int i = 0; i < n; i++) {
                got += in.length(i);
                SockAddr source = in.remote(i);
                if (source.endpointHash() == peerHash && source.sameEndpoint(peer)) {
                    fromPeer++;
                    last.copyFrom(source);
                }
            }
        }
        rx.awaitReadable(0); // once per round even when never needed, so the measurement covers it
        return fromPeer;
    }

    private static void sendAll(UdpSocket socket, MessageBatch out) throws Exception {
        int done = 0;
        while (done < PLAIN + 1) {
            int n = socket.send(out, done, PLAIN + 1 - done);
            if (n == Libc.WOULD_BLOCK) {
                Thread.onSpinWait();
                continue;
            }
            done += n;
        }
    }
}
