package net.ipop.control.ice;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;

/**
 * The sharing rules of {@link SharedAllocation} against a scripted TURN server on a fake clock: one Allocate for
 * every user, one binding per peer address whoever sends, Send indications until the binding is confirmed and
 * ChannelData after, relayed data handed to the right user, refreshes of the allocation and of the bindings in
 * use, and the deletion once the last user has been gone for the linger time.
 */
final class SharedAllocationTest {
    private static final IceConfig.TurnServer SERVER = new IceConfig.TurnServer(
            new InetSocketAddress(ip("203.0.113.100"), 3478), "ipop", "secret");
    private static final InetSocketAddress HOST = new InetSocketAddress(ip("192.0.2.2"), 51820);
    private static final InetSocketAddress RELAYED = new InetSocketAddress(ip("203.0.113.100"), 50000);
    private static final InetSocketAddress MAPPED = new InetSocketAddress(ip("203.0.113.2"), 40000);
    private static final InetSocketAddress PEER_X = new InetSocketAddress(ip("203.0.113.6"), 1111);
    private static final InetSocketAddress PEER_Y = new InetSocketAddress(ip("203.0.113.7"), 2222);
    private static final long SECOND = 1_000_000_000L;

    /** A TURN server that wants a long-term credential, grants everything, and records what it was sent. */
    private static final class Server implements TurnLink {
        final List<byte[]> requests = new ArrayList<>();
        final List<byte[]> sent = new ArrayList<>();
        /** Answers Refresh requests with 437, as a restarted server does. */
        boolean lost;
        byte[] nonce = "n1".getBytes(StandardCharsets.US_ASCII);

        @Override
        public synchronized byte[] exchange(byte[] request, long timeoutMs) {
            int type = StunPackets.type(request, 0);
            if (StunPackets.findAttribute(request, 0, request.length, TurnRefresh.ATTR_MESSAGE_INTEGRITY) < 0) {
                return error(type, TurnRefresh.UNAUTHENTICATED);
            }
            byte[] used = TurnRefresh.attributeValue(request, 0, request.length, TurnRefresh.ATTR_NONCE);
            if (!Arrays.equals(used, nonce)) {
                return error(type, TurnRefresh.STALE_NONCE);
            }
            requests.add(request);
            if (type == TurnRefresh.REFRESH_REQUEST && lost) {
                return error(type, TurnRefresh.ALLOCATION_MISMATCH);
            }
            TurnMessage answer = new TurnMessage(type | StunPackets.CLASS_SUCCESS);
            if (type == TurnMessage.ALLOCATE_REQUEST) {
                answer.xorAddress(TurnMessage.ATTR_XOR_RELAYED_ADDRESS, RELAYED)
                        .xorAddress(TurnMessage.ATTR_XOR_MAPPED_ADDRESS, MAPPED).lifetime(600);
            } else if (type == TurnRefresh.REFRESH_REQUEST) {
                answer.lifetime((int) TurnMessage.lifetime(request, 0, request.length));
            }
            return answer.build(null);
        }

        private byte[] error(int type, int code) {
            byte[] errorCode = {0, 0, (byte) (code / 100), (byte) (code % 100)};
            return new TurnMessage(type | StunPackets.CLASS_ERROR).attribute(TurnRefresh.ATTR_ERROR_CODE, errorCode)
                    .attribute(TurnRefresh.ATTR_REALM, "ipop.test".getBytes(StandardCharsets.US_ASCII))
                    .attribute(TurnRefresh.ATTR_NONCE, nonce).build(null);
        }

        @Override
        public synchronized void send(byte[] datagram) {
            sent.add(datagram);
        }

        synchronized List<byte[]> requests(int type) {
            return requests.stream().filter(r -> StunPackets.type(r, 0) == type).toList();
        }

        synchronized byte[] lastSent() {
            return sent.getLast();
        }
    }

    private final Server server = new Server();
    private long now = 1000 * SECOND;
    private final AtomicInteger wakes = new AtomicInteger();

    private SharedAllocation allocate() throws Exception {
        return SharedAllocation.allocate(SERVER, HOST, server, () -> now, wakes::incrementAndGet);
    }

    @Test
    void everyUserGetsTheOneAllocation() throws Exception {
        SharedAllocation a = allocate();
        SharedAllocation.User u1 = a.acquire("ufrag1");
        SharedAllocation.User u2 = a.acquire("ufrag2");
        assertEquals(1, server.requests(TurnMessage.ALLOCATE_REQUEST).size(), "one Allocate for every user");
        assertEquals(RELAYED, a.relayed());
        assertEquals(MAPPED, a.mapped());
        assertEquals(RELAYED, u1.socket.getLocalSocketAddress());
        assertEquals(RELAYED, u2.socket.getLocalSocketAddress());
        assertEquals(2, a.users());
    }

    @Test
    void eachPeerIsBoundOnceAndGetsChannelDataOnceConfirmed() throws Exception {
        SharedAllocation a = allocate();
        SharedAllocation.User u1 = a.acquire("ufrag1");
        SharedAllocation.User u2 = a.acquire("ufrag2");
        byte[] data = {1, 2, 3};

        send(u1, PEER_X, data);
        assertEquals(TurnMessage.SEND_INDICATION, StunPackets.type(server.lastSent(), 0), "unbound: a Send indication");
        assertEquals(PEER_X, TurnMessage.xorAddress(server.lastSent(), 0, server.lastSent().length,
                StunPackets.ATTR_XOR_PEER_ADDRESS));
        assertEquals(1, wakes.get(), "a new peer asks for the upkeep at once");
        assertEquals(-1, u1.channel(PEER_X));

        assertTrue(a.maintain());
        List<byte[]> binds = server.requests(StunPackets.CHANNEL_BIND_REQUEST);
        assertEquals(1, binds.size());
        assertEquals(PEER_X, TurnMessage.xorAddress(binds.getFirst(), 0, binds.getFirst().length,
                StunPackets.ATTR_XOR_PEER_ADDRESS));
        assertEquals(SharedAllocation.FIRST_CHANNEL, u1.channel(PEER_X));
        assertEquals(SharedAllocation.FIRST_CHANNEL, u2.channel(PEER_X), "the channel is the allocation's");

        send(u2, PEER_X, data);
        byte[] frame = server.lastSent();
        assertTrue(StunPackets.isChannelData(frame, 0, frame.length), "bound: ChannelData");
        assertEquals(SharedAllocation.FIRST_CHANNEL, StunPackets.uint16(frame, 0));
        assertArrayEquals(data, Arrays.copyOfRange(frame, 4, frame.length));
        assertEquals(1, wakes.get(), "a known peer needs no binding");

        send(u2, PEER_Y, data);
        a.maintain();
        assertEquals(2, server.requests(StunPackets.CHANNEL_BIND_REQUEST).size(), "one binding per peer address");
        assertEquals(SharedAllocation.FIRST_CHANNEL + 1, u1.channel(PEER_Y));
        a.maintain();
        assertEquals(2, server.requests(StunPackets.CHANNEL_BIND_REQUEST).size(), "bound peers are not bound again");
    }

    @Test
    void relayedDatagramsGoToTheUserTheyAreFor() throws Exception {
        SharedAllocation a = allocate();
        SharedAllocation.User u1 = a.acquire("ufrag1");
        SharedAllocation.User u2 = a.acquire("ufrag2");

        // A check for u2's agent, in a Data indication: by the ufrag in its USERNAME.
        byte[] check = new TurnMessage(0x0001).attribute(StunPackets.ATTR_USERNAME,
                "ufrag2:theirs".getBytes(StandardCharsets.US_ASCII)).build(null);
        assertTrue(a.received(dataIndication(PEER_X, check), 0, dataIndication(PEER_X, check).length));
        assertArrayEquals(check, receive(u2, PEER_X));
        assertNothing(u1);

        // u1's check goes out; its answer comes back over the channel once bound: to u1 by transaction id.
        byte[] request = new TurnMessage(0x0001).attribute(StunPackets.ATTR_USERNAME,
                "theirs:ufrag1".getBytes(StandardCharsets.US_ASCII)).build(null);
        send(u1, PEER_X, request);
        a.maintain();
        byte[] response = new TurnMessage(0x0101).build(null);
        System.arraycopy(request, StunPackets.TRANSACTION_OFFSET, response, StunPackets.TRANSACTION_OFFSET,
                StunPackets.TRANSACTION_LENGTH);
        byte[] frame = TurnMessage.channelData(u1.channel(PEER_X), response, 0, response.length);
        assertTrue(a.received(frame, 0, frame.length));
        assertArrayEquals(response, receive(u1, PEER_X));
        assertNothing(u2);

        // Anything else from a peer goes to whoever last sent to it.
        send(u2, PEER_X, new byte[] {9});
        byte[] other = TurnMessage.channelData(u1.channel(PEER_X), new byte[] {7, 7}, 0, 2);
        assertTrue(a.received(other, 0, other.length));
        assertArrayEquals(new byte[] {7, 7}, receive(u2, PEER_X));
        assertNothing(u1);

        // An unknown channel is dropped and counted; what is not relayed data is the caller's to route.
        byte[] unknown = TurnMessage.channelData(0x4FFF, new byte[] {1}, 0, 1);
        assertTrue(a.received(unknown, 0, unknown.length));
        assertEquals(1, a.unrouted());
        byte[] refreshAnswer = new TurnMessage(TurnRefresh.REFRESH_SUCCESS).build(null);
        assertFalse(a.received(refreshAnswer, 0, refreshAnswer.length));
    }

    @Test
    void theAllocationAndTheBindingsInUseAreRefreshed() throws Exception {
        SharedAllocation a = allocate();
        SharedAllocation.User u = a.acquire("ufrag1");
        send(u, PEER_X, new byte[] {1});
        send(u, PEER_Y, new byte[] {1});
        a.maintain();
        assertEquals(2, server.requests(StunPackets.CHANNEL_BIND_REQUEST).size());

        now += 200 * SECOND;
        send(u, PEER_X, new byte[] {1}); // PEER_X stays in use, PEER_Y not
        now += 100 * SECOND;
        a.maintain();
        List<byte[]> refreshes = server.requests(TurnRefresh.REFRESH_REQUEST);
        assertEquals(1, refreshes.size(), "refreshed at half the granted 600 s");
        assertEquals(SharedAllocation.LIFETIME_SECONDS, TurnMessage.lifetime(refreshes.getFirst(), 0,
                refreshes.getFirst().length));
        List<byte[]> binds = server.requests(StunPackets.CHANNEL_BIND_REQUEST);
        assertEquals(3, binds.size(), "the binding in use is renewed before its permission lapses");
        assertEquals(PEER_X, TurnMessage.xorAddress(binds.getLast(), 0, binds.getLast().length,
                StunPackets.ATTR_XOR_PEER_ADDRESS));
        assertEquals(-1, u.channel(PEER_Y), "an idle peer's binding lapses");
        assertEquals(SharedAllocation.FIRST_CHANNEL, u.channel(PEER_X));

        // A stale nonce (438) is answered with the new one.
        server.nonce = "n2".getBytes(StandardCharsets.US_ASCII);
        now += 300 * SECOND;
        assertTrue(a.maintain());
        assertEquals(2, server.requests(TurnRefresh.REFRESH_REQUEST).size());
    }

    @Test
    void theAllocationOutlivesItsLastUserByTheLingerThenIsDeleted() throws Exception {
        SharedAllocation a = allocate();
        SharedAllocation.User u1 = a.acquire("ufrag1");
        SharedAllocation.User u2 = a.acquire("ufrag2");
        u1.release();
        u1.release();
        assertEquals(1, a.users(), "release is idempotent");
        now += 60 * SECOND;
        assertTrue(a.maintain());
        assertTrue(server.requests(TurnRefresh.REFRESH_REQUEST).isEmpty(), "a user remains: kept");
        u2.release();
        assertThrows(IOException.class, () -> send(u2, PEER_X, new byte[] {1}), "a released share cannot send");

        now += SharedAllocation.LINGER_NANOS / 2;
        assertTrue(a.maintain(), "lingers");
        SharedAllocation.User again = a.acquire("ufrag3");
        assertNotNull(again, "an ICE restart within the linger shares it again");
        again.release();

        now += SharedAllocation.LINGER_NANOS;
        assertFalse(a.maintain(), "deleted after the linger");
        List<byte[]> refreshes = server.requests(TurnRefresh.REFRESH_REQUEST);
        assertEquals(1, refreshes.size());
        assertEquals(0, TurnMessage.lifetime(refreshes.getFirst(), 0, refreshes.getFirst().length));
        assertTrue(a.ended());
        assertNull(a.acquire("ufrag4"), "an ended allocation takes no new users");
    }

    @Test
    void anAllocationTheServerLostEndsOnVerification() throws Exception {
        SharedAllocation a = allocate();
        assertTrue(a.verify(SharedRelays.VERIFY_AFTER_NANOS), "recently confirmed: no exchange");
        assertTrue(server.requests(TurnRefresh.REFRESH_REQUEST).isEmpty());
        now += 10 * SECOND;
        assertTrue(a.verify(SharedRelays.VERIFY_AFTER_NANOS), "a granted Refresh confirms it");
        server.lost = true;
        now += 10 * SECOND;
        assertFalse(a.verify(SharedRelays.VERIFY_AFTER_NANOS), "437: the server no longer holds it");
        assertTrue(a.ended());
    }

    @Test
    void xorAddressesRoundTripForBothFamilies() {
        for (InetSocketAddress a : List.of(PEER_X, new InetSocketAddress(ip("2001:db8::7"), 65535))) {
            byte[] m = new TurnMessage(TurnMessage.SEND_INDICATION).xorAddress(StunPackets.ATTR_XOR_PEER_ADDRESS, a)
                    .build(null);
            assertTrue(StunPackets.isStun(m, 0, m.length));
            assertEquals(a, TurnMessage.xorAddress(m, 0, m.length, StunPackets.ATTR_XOR_PEER_ADDRESS));
            int v = StunPackets.findAttribute(m, 0, m.length, StunPackets.ATTR_XOR_PEER_ADDRESS);
            assertNotEquals(a.getPort(), StunPackets.uint16(m, v + 2), "the port is sent xor'ed");
        }
        assertNull(TurnMessage.xorAddress(new TurnMessage(0x0001).build(null), 0, 20, TurnMessage.ATTR_DATA));
    }

    private static void send(SharedAllocation.User u, InetSocketAddress to, byte[] b) throws IOException {
        u.socket.send(new DatagramPacket(b, b.length, to));
    }

    private static byte[] dataIndication(InetSocketAddress peer, byte[] data) {
        return new TurnMessage(TurnMessage.DATA_INDICATION).xorAddress(StunPackets.ATTR_XOR_PEER_ADDRESS, peer)
                .attribute(TurnMessage.ATTR_DATA, data).build(null);
    }

    private static byte[] receive(SharedAllocation.User u, InetSocketAddress from) throws IOException {
        DatagramPacket p = new DatagramPacket(new byte[2048], 2048);
        u.socket.setSoTimeout(2000);
        u.socket.receive(p);
        assertEquals(from, p.getSocketAddress());
        return Arrays.copyOf(p.getData(), p.getLength());
    }

    private static void assertNothing(SharedAllocation.User u) throws IOException {
        u.socket.setSoTimeout(50);
        assertThrows(SocketTimeoutException.class, () -> u.socket.receive(new DatagramPacket(new byte[64], 64)));
    }

    private static InetAddress ip(String literal) {
        try {
            return InetAddress.getByName(literal);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
