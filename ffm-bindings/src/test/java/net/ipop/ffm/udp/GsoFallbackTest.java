package net.ipop.ffm.udp;

import static net.ipop.ffm.udp.UdpTraffic.at;
import static net.ipop.ffm.udp.UdpTraffic.bound;
import static net.ipop.ffm.udp.UdpTraffic.expected;
import static net.ipop.ffm.udp.UdpTraffic.fill;
import static net.ipop.ffm.udp.UdpTraffic.receiveBytes;
import static net.ipop.ffm.udp.UdpTraffic.sendAll;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.util.Arrays;
import java.util.List;

import org.junit.jupiter.api.Test;

import net.ipop.ffm.libc.Errno;
import net.ipop.ffm.libc.ErrnoException;
import net.ipop.ffm.testing.Privileged;
import net.ipop.ffm.testing.TestNamespace;
import net.ipop.ffm.udp.UdpTraffic.Read;

/**
 * The per-segment fallback for sockets whose GSO sends the kernel refuses. Kernel 6.18 no longer
 * refuses GSO on devices without checksum offload, and this kernel has no IPsec (xfrm) protocols;
 * UDP-Lite is the remaining real refusal (EIO on any UDP_SEGMENT send), so it drives the real case.
 */
@Privileged
class GsoFallbackTest {
    /** Slot sizes: 10 x 1200 GSO, a plain 500 B datagram, 1000 + 1000 + 500 GSO with a short tail. */
    private static final int[] LENGTHS = {12000, 500, 2500};
    private static final int[] GSO = {1200, 0, 1000};
    private static final int[][] DATAGRAMS = {
        {1200, 1200, 1200, 1200, 1200, 1200, 1200, 1200, 1200, 1200}, {500}, {1000, 1000, 500}};

    @Test
    void forcedFallbackDeliversEverySegmentAsItsOwnDatagram() throws Exception {
        try (TestNamespace ns = TestNamespace.create("gso")) {
            ns.call(() -> {
                try (UdpSocket rx = bound("127.0.0.1", 0); UdpSocket tx = bound("127.0.0.1", 0);
                     MessageBatch out = new MessageBatch(3, 65536); MessageBatch in = new MessageBatch(32, 2048)) {
                    tx.refuseGsoForTest();
                    fillSlots(out, rx.localAddress());
                    assertEquals(3, tx.send(out, 0, 3), "all 14 segments fit one split sendmmsg");
                    assertSegmentsArrived(receiveBytes(rx, in, 15000), 0, tx.localAddress());
                    assertEquals(3, tx.splitSlots());
                    assertEquals(0, tx.gsoFallbacks(), "forced, not refused by the kernel");
                    assertEquals(0, tx.droppedSegments());
                }
                return null;
            });
        }
    }

    @Test
    void kernelRefusalSwitchesTheSocketToSplitSendsOnce() throws Exception {
        try (TestNamespace ns = TestNamespace.create("gso")) {
            ns.call(() -> {
                try (UdpSocket rx = udpLite(); UdpSocket tx = udpLite();
                     MessageBatch out = new MessageBatch(3, 65536); MessageBatch in = new MessageBatch(32, 2048)) {
                    InetSocketAddress dst = rx.localAddress();
                    fillSlots(out, dst);
                    // [plain, GSO]: the plain datagram never carries UDP_SEGMENT and goes out; the kernel
                    // refuses the GSO slot behind it, and sendmmsg reports the one it sent.
                    assertEquals(1, tx.send(out, 1, 2));
                    assertFalse(tx.gsoRefused());
                    // Retried from the refused slot: EIO now comes first, and the socket falls back.
                    assertEquals(1, tx.send(out, 2, 1));
                    assertTrue(tx.gsoRefused());
                    assertEquals(1, tx.gsoFallbacks());
                    assertSegmentsArrived(receiveBytes(rx, in, 3000), 1, tx.localAddress());

                    // Every slot kind, split, in one call.
                    sendAll(tx, out, 3);
                    assertSegmentsArrived(receiveBytes(rx, in, 15000), 0, tx.localAddress());

                    // Later sends stay split without asking the kernel again.
                    sendAll(tx, out, 3);
                    assertEquals(1, tx.gsoFallbacks());
                    assertEquals(1 + 3 + 3, tx.splitSlots());
                    assertSegmentsArrived(receiveBytes(rx, in, 15000), 0, tx.localAddress());
                }
                return null;
            });
        }
    }

    @Test
    void tooManySegmentsIsEinvalWithOrWithoutGso() throws Exception {
        try (TestNamespace ns = TestNamespace.create("gso")) {
            ns.call(() -> {
                try (UdpSocket rx = bound("127.0.0.1", 0); UdpSocket tx = bound("127.0.0.1", 0);
                     MessageBatch out = new MessageBatch(1, 65536)) {
                    out.remote(0).set(rx.localAddress());
                    out.setLength(0, 65000);
                    out.setSegmentSize(0, 100); // 650 segments > UDP_MAX_SEGMENTS
                    ErrnoException kernel = assertThrows(ErrnoException.class, () -> tx.send(out, 0, 1));
                    assertEquals(Errno.EINVAL, kernel.errno());
                    assertFalse(tx.gsoRefused(), "EINVAL is the caller's fault, not a GSO refusal");

                    tx.refuseGsoForTest();
                    ErrnoException split = assertThrows(ErrnoException.class, () -> tx.send(out, 0, 1));
                    assertEquals(Errno.EINVAL, split.errno());
                    assertTrue(split.getMessage().contains("650 segments of 100 B exceed 128"), split.getMessage());
                }
                return null;
            });
        }
    }

    private static UdpSocket udpLite() throws Exception {
        UdpSocket s = UdpSocket.open(StandardProtocolFamily.INET, UdpSocket.IPPROTO_UDPLITE);
        try {
            s.bind(at("127.0.0.1", 0));
        } catch (Exception e) {
            s.close();
            throw e;
        }
        return s;
    }

    private static void fillSlots(MessageBatch out, InetSocketAddress dst) {
        for (int i = 0; i < LENGTHS.length; i++) {
            out.remote(i).set(dst);
            out.setLength(i, LENGTHS[i]);
            out.setSegmentSize(i, GSO[i]);
            fill(out.buffer(i), LENGTHS[i], 10 + i);
        }
    }

    /** Every segment of slots {@code first..2} arrived as its own datagram, in order, with its bytes and our source. */
    private static void assertSegmentsArrived(List<Read> reads, int first, InetSocketAddress source) {
        int r = 0;
        for (int slot = first; slot < DATAGRAMS.length; slot++) {
            byte[] whole = expected(LENGTHS[slot], 10 + slot);
            int offset = 0;
            for (int size : DATAGRAMS[slot]) {
                Read read = reads.get(r++);
                assertEquals(size, read.length(), "slot " + slot + " segment at " + offset);
                assertEquals(0, read.segmentSize());
                assertEquals(source, read.source());
                assertArrayEquals(Arrays.copyOfRange(whole, offset, offset + size), read.data());
                offset += size;
            }
        }
        assertEquals(r, reads.size());
    }
}
