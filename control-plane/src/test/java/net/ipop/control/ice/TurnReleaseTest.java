package net.ipop.control.ice;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

import org.junit.jupiter.api.Test;

/**
 * The Refresh-with-lifetime-0 exchange against a fake TURN server that checks the long-term credential
 * with its own MD5/HMAC code (RFC 8489 section 9.2), answers 401, 438, 437 or success, and may lose datagrams.
 */
final class TurnReleaseTest {
    private static final InetSocketAddress HOST = new InetSocketAddress(addr("192.0.2.2"), 40000);
    private static final InetSocketAddress SERVER = new InetSocketAddress(addr("203.0.113.100"), 3478);
    private static final IceConfig.TurnServer TURN = new IceConfig.TurnServer(SERVER, "ipop", "secret");

    /** A TURN server behind an in-memory transport: answers each request on the sending thread. */
    private static final class FakeServer implements IceTransport {
        boolean allocation = true;
        boolean staleOnce;
        int dropFirst;
        boolean silent;
        String password = "secret";
        final List<byte[]> requests = new ArrayList<>();
        private Receiver receiver;
        private String nonce = "nonce-1";

        @Override
        public List<InetSocketAddress> hostAddresses() {
            return List.of(HOST);
        }

        @Override
        public void send(InetSocketAddress from, InetSocketAddress to, byte[] b, int off, int len) {
            assertEquals(SERVER, to);
            byte[] m = Arrays.copyOfRange(b, off, off + len);
            requests.add(m);
            if (silent || dropFirst-- > 0) {
                return;
            }
            byte[] answer = answer(m);
            receiver.datagram(HOST, SERVER, answer, 0, answer.length);
        }

        private byte[] answer(byte[] m) {
            ByteBuffer in = ByteBuffer.wrap(m);
            assertEquals(TurnRefresh.REFRESH_REQUEST, in.getShort(0) & 0xFFFF);
            assertEquals(m.length - 20, in.getShort(2) & 0xFFFF, "the header counts the whole body");
            assertEquals(0, attr(m, 0x000D).getInt(), "LIFETIME 0");
            ByteBuffer integrity = attr(m, 0x0008);
            if (integrity == null) {
                return error(m, 401, true);
            }
            String user = text(attr(m, 0x0006));
            String realm = text(attr(m, 0x0014));
            String gotNonce = text(attr(m, 0x0015));
            assertEquals("ipop", user);
            assertEquals("lab", realm);
            int miAt = integrity.position() - 4;
            assertEquals(m.length - 24, miAt, "MESSAGE-INTEGRITY comes last");
            byte[] expected = hmac(md5(user + ":" + realm + ":" + password), Arrays.copyOf(m, miAt));
            byte[] got = new byte[20];
            integrity.get(got);
            if (!Arrays.equals(expected, got)) {
                return error(m, 401, true);
            }
            if (!gotNonce.equals(nonce)) {
                return error(m, 438, true);
            }
            if (staleOnce) {
                staleOnce = false;
                nonce = "nonce-2";
                return error(m, 438, true);
            }
            if (!allocation) {
                return error(m, 437, false);
            }
            allocation = false;
            return header(m, 0x0104, 0).array();
        }

        private byte[] error(byte[] request, int code, boolean challenge) {
            byte[] realm = "lab".getBytes(StandardCharsets.US_ASCII);
            byte[] n = nonce.getBytes(StandardCharsets.US_ASCII);
            int body = 8 + (challenge ? 4 + pad(realm.length) + 4 + pad(n.length) : 0);
            ByteBuffer out = header(request, 0x0114, body);
            out.putShort((short) 0x0009).putShort((short) 4).putShort((short) 0)
                    .put((byte) (code / 100)).put((byte) (code % 100));
            if (challenge) {
                out.putShort((short) 0x0014).putShort((short) realm.length).put(realm);
                out.position(out.position() + pad(realm.length) - realm.length);
                out.putShort((short) 0x0015).putShort((short) n.length).put(n);
            }
            return out.array();
        }

        @Override
        public void receiver(Receiver r) {
            receiver = r;
        }

        @Override
        public void close() {
        }
    }

    @Test
    void aHeldAllocationIsReleasedWithTheLongTermCredential() throws Exception {
        FakeServer server = new FakeServer();
        try (IceMux mux = new IceMux(server)) {
            assertEquals(TurnRelease.Outcome.RELEASED, TurnRelease.release(mux, TURN, 2000));
        }
        assertEquals(2, server.requests.size(), "unauthenticated, then authenticated");
        assertTrue(!server.allocation, "the allocation is gone");
        assertEquals(null, attr(server.requests.get(0), 0x0008), "the first request is unauthenticated");
    }

    @Test
    void noAllocationIsReportedAsFree() throws Exception {
        FakeServer server = new FakeServer();
        server.allocation = false;
        try (IceMux mux = new IceMux(server)) {
            TurnRelease.Outcome o = TurnRelease.release(mux, TURN, 2000);
            assertEquals(TurnRelease.Outcome.NO_ALLOCATION, o);
            assertTrue(o.free());
        }
    }

    @Test
    void aStaleNonceIsRetriedWithTheNewOne() throws Exception {
        FakeServer server = new FakeServer();
        server.staleOnce = true;
        try (IceMux mux = new IceMux(server)) {
            assertEquals(TurnRelease.Outcome.RELEASED, TurnRelease.release(mux, TURN, 2000));
        }
        assertEquals(3, server.requests.size(), "401, 438, success");
        assertEquals("nonce-2", text(attr(server.requests.get(2), 0x0015)));
    }

    @Test
    void aLostRequestIsRetransmittedWithTheSameTransaction() throws Exception {
        FakeServer server = new FakeServer();
        server.dropFirst = 2;
        try (IceMux mux = new IceMux(server)) {
            assertEquals(TurnRelease.Outcome.RELEASED, TurnRelease.release(mux, TURN, 3000));
        }
        assertEquals(4, server.requests.size(), "two lost, 401, success");
        assertArrayEquals(server.requests.get(0), server.requests.get(2), "a retransmission, byte for byte");
    }

    @Test
    void wrongCredentialsAreRefusedAndASilentServerTimesOut() throws Exception {
        FakeServer wrong = new FakeServer();
        wrong.password = "other";
        try (IceMux mux = new IceMux(wrong)) {
            assertEquals(TurnRelease.Outcome.REFUSED, TurnRelease.release(mux, TURN, 2000));
        }
        assertEquals(2, wrong.requests.size(), "a 401 to an authenticated request is not retried");
        FakeServer silent = new FakeServer();
        silent.silent = true;
        long start = System.nanoTime();
        try (IceMux mux = new IceMux(silent)) {
            assertEquals(TurnRelease.Outcome.NO_ANSWER, TurnRelease.release(mux, TURN, 600));
        }
        long ms = (System.nanoTime() - start) / 1_000_000;
        assertTrue(ms >= 500 && ms < 5000, "bounded by the timeout: " + ms + " ms");
        assertTrue(silent.requests.size() >= 2, "retransmitted: " + silent.requests.size());
    }

    @Test
    void theMuxCountsAllocateRefusalsForAHeldFiveTuple() {
        FakeServer server = new FakeServer();
        try (IceMux mux = new IceMux(server)) {
            byte[] request = TurnRefresh.request(0, null);
            ByteBuffer refusal = header(request, TurnRefresh.ALLOCATE_ERROR, 8);
            refusal.putShort((short) 0x0009).putShort((short) 4).putShort((short) 0).put((byte) 4).put((byte) 37);
            mux.datagram(HOST, SERVER, refusal.array(), 0, refusal.capacity());
            assertEquals(1, mux.allocationMismatches());
            refusal.put(23, (byte) 38); // a 438 is not a mismatch
            mux.datagram(HOST, SERVER, refusal.array(), 0, refusal.capacity());
            assertEquals(1, mux.allocationMismatches());
        }
    }

    private static ByteBuffer header(byte[] request, int type, int body) {
        ByteBuffer out = ByteBuffer.allocate(20 + body);
        out.putShort((short) type).putShort((short) body).put(request, 4, 16);
        return out;
    }

    /** The value of attribute {@code type}, positioned at its start, or null. */
    private static ByteBuffer attr(byte[] m, int type) {
        int p = 20;
        while (p + 4 <= m.length) {
            int t = ((m[p] & 0xFF) << 8) | (m[p + 1] & 0xFF);
            int l = ((m[p + 2] & 0xFF) << 8) | (m[p + 3] & 0xFF);
            if (t == type) {
                return ByteBuffer.wrap(m, p + 4, l);
            }
            p += 4 + pad(l);
        }
        return null;
    }

    private static String text(ByteBuffer b) {
        return new String(b.array(), b.position(), b.remaining(), StandardCharsets.UTF_8);
    }

    private static int pad(int l) {
        return (l + 3) & ~3;
    }

    private static byte[] md5(String s) {
        try {
            return MessageDigest.getInstance("MD5").digest(s.getBytes(StandardCharsets.UTF_8));
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    private static byte[] hmac(byte[] key, byte[] data) {
        try {
            Mac mac = Mac.getInstance("HmacSHA1");
            mac.init(new SecretKeySpec(key, "HmacSHA1"));
            return mac.doFinal(data);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    private static InetAddress addr(String literal) {
        try {
            return InetAddress.getByName(literal);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }
}
