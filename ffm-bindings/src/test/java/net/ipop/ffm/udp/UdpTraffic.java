package net.ipop.ffm.udp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.ByteArrayOutputStream;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ProtocolFamily;
import java.net.StandardProtocolFamily;
import java.util.ArrayList;
import java.util.List;

import net.ipop.ffm.libc.Libc;

/** Test helpers: payload patterns, bound sockets and receive loops with a deadline. */
final class UdpTraffic {
    /** One datagram as the receiver saw it. */
    record Read(int length, int segmentSize, InetSocketAddress source, InetSocketAddress local, byte[] data) {
    }

    private UdpTraffic() {
    }

    /** The byte at {@code index} of test payload {@code seed}: position-dependent so reordering or cuts show. */
    static byte pattern(int seed, int index) {
        return (byte) (seed * 31 + index * 7 + (index >>> 8));
    }

    static void fill(MemorySegment buffer, int length, int seed) {
        for (int i = 0; i < length; i++) {
            buffer.set(ValueLayout.JAVA_BYTE, i, pattern(seed, i));
        }
    }

    static byte[] expected(int length, int seed) {
        byte[] b = new byte[length];
        for (int i = 0; i < length; i++) {
            b[i] = pattern(seed, i);
        }
        return b;
    }

    static InetSocketAddress at(String ip, int port) throws Exception {
        return new InetSocketAddress(InetAddress.getByName(ip), port);
    }

    /** A socket of the address's family bound to it. */
    static UdpSocket bound(String ip, int port) throws Exception {
        InetSocketAddress a = at(ip, port);
        ProtocolFamily f = a.getAddress().getAddress().length == 4 ? StandardProtocolFamily.INET
                : StandardProtocolFamily.INET6;
        UdpSocket s = UdpSocket.open(f);
        try {
            s.bind(a);
        } catch (Exception e) {
            s.close();
            throw e;
        }
        return s;
    }

    /** Receives (polling, 5 s deadline) until at least {@code totalBytes} arrived; fails if they don't. */
    static List<Read> receiveBytes(UdpSocket socket, MessageBatch batch, long totalBytes) throws Exception {
        List<Read> reads = new ArrayList<>();
        long got = 0;
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (got < totalBytes) {
            int n = socket.receive(batch);
            if (n == Libc.WOULD_BLOCK) {
                if (System.nanoTime() > deadline) {
                    fail("received " + got + " of " + totalBytes + " bytes in " + reads.size() + " reads");
                }
                socket.awaitReadable(100);
                continue;
            }
            for (int i = 0; i < n; i++) {
                assertFalse(batch.truncated(i), "slot " + i + " truncated");
                reads.add(new Read(batch.length(i), batch.segmentSize(i), batch.remote(i).toInetSocketAddress(),
                        batch.local(i).toInetSocketAddress(),
                        batch.buffer(i).asSlice(0, batch.length(i)).toArray(ValueLayout.JAVA_BYTE)));
                got += batch.length(i);
            }
        }
        assertEquals(totalBytes, got, "more bytes than sent");
        return reads;
    }

    static byte[] concat(List<Read> reads) {
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        for (Read r : reads) {
            all.writeBytes(r.data());
        }
        return all.toByteArray();
    }

    /** Sends slots {@code [0, count)}, retrying partial sends; fails on WOULD_BLOCK past the deadline. */
    static void sendAll(UdpSocket socket, MessageBatch batch, int count) throws Exception {
        int done = 0;
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (done < count) {
            int n = socket.send(batch, done, count - done);
            if (n == Libc.WOULD_BLOCK) {
                if (System.nanoTime() > deadline) {
                    fail("sent only " + done + " of " + count + " slots");
                }
                Thread.sleep(1);
                continue;
            }
            done += n;
        }
    }
}
