package net.ipop.control.ipc;

import net.ipop.ffm.testing.ShmDirectory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import net.ipop.dataplane.ipc.EventProxy;
import net.ipop.ipc.sbe.AddressFamily;
import net.ipop.ipc.sbe.PathKind;
import net.ipop.ipc.sbe.Result;
import net.ipop.ipc.sbe.SessionEventKind;
import net.ipop.ipc.sbe.Suite;

/** Both planes in one JVM, through a real driver: every command and event crosses with all its fields. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class IpcRoundTripTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(5);

    private ShmDirectory dir;
    private EchoDataPlane dataPlane;
    private DataPlaneConnection connection;
    private final Set<Long> correlationIds = new HashSet<>();

    @BeforeEach
    void start() {
        dir = new ShmDirectory("ipc");
        dataPlane = new EchoDataPlane(dir.path);
        connection = DataPlaneConnection.connect(dir.path, TIMEOUT);
    }

    @AfterEach
    void stop() {
        try {
            if (connection != null) {
                connection.close();
            }
            if (dataPlane != null) {
                dataPlane.close();
            }
        } finally {
            dir.close();
        }
        assertFalse(Files.exists(dir.path), "left behind: " + dir.path);
    }

    @Test
    void everyCommandArrivesWithAllItsFieldsAndIsAnsweredByCorrelationId() throws Exception {
        byte[] key = bytes(32, 1);
        byte[] send = bytes(32, 100);
        byte[] receive = bytes(32, 200);
        byte[] small = bytes(48, 7);
        byte[] large = bytes(5000, 3); // longer than the IPC MTU: crosses in fragments

        assertAnswered("ConfigureInterface mtu 1420 192.0.2.1/24 2001:db8:0:0:0:0:0:1/64",
                p -> p.configureInterface(1420, List.of(new OverlayAddress(InetAddress.getByName("192.0.2.1"), 24),
                        new OverlayAddress(InetAddress.getByName("2001:db8::1"), 64))));
        assertAnswered("ConfigureInterface mtu 1280", p -> p.configureInterface(1280, List.of()));
        assertAnswered("AddPeer 4294967295 CHACHA20POLY1305 keepalive 25000 key " + Describe.hex(key) + " name alice",
                p -> p.addPeer(0xFFFF_FFFFL, Suite.CHACHA20POLY1305, 25_000, key, "alice"));
        assertAnswered("RemovePeer 7", p -> p.removePeer(7));
        assertAnswered("SetEndpoint 7 IPV4 203.0.113.9 port 51820 DIRECT",
                p -> p.setEndpoint(7, new InetSocketAddress(InetAddress.getByName("203.0.113.9"), 51820),
                        PathKind.DIRECT));
        assertAnswered("SetEndpoint 7 IPV6 2001:db8:0:0:0:0:0:7 port 65535 RELAYED",
                p -> p.setEndpoint(7, new InetSocketAddress(InetAddress.getByName("2001:db8::7"), 65535),
                        PathKind.RELAYED));
        assertAnswered("SetEndpoint 7 IPV4 198.51.100.7 port 50000 RELAYED via IPV6 2001:db8:0:0:0:0:0:3 port 3478"
                        + " channel 0x4fff",
                p -> p.setEndpoint(7, new InetSocketAddress(InetAddress.getByName("198.51.100.7"), 50000),
                        PathKind.RELAYED, new InetSocketAddress(InetAddress.getByName("2001:db8::3"), 3478), 0x4FFF));
        // The next plain SetEndpoint clears the relay fields the previous one left in the proxy's buffer.
        assertAnswered("SetEndpoint 7 IPV4 203.0.113.9 port 51820 DIRECT",
                p -> p.setEndpoint(7, new InetSocketAddress(InetAddress.getByName("203.0.113.9"), 51820),
                        PathKind.DIRECT));
        assertThrows(IllegalArgumentException.class, () -> proxyForArgumentChecks().setEndpoint(7,
                new InetSocketAddress(InetAddress.getByName("198.51.100.7"), 50000), PathKind.RELAYED,
                new InetSocketAddress(InetAddress.getByName("203.0.113.3"), 3478), 0x3FFF));
        assertThrows(IllegalArgumentException.class, () -> proxyForArgumentChecks().setEndpoint(7,
                new InetSocketAddress(InetAddress.getByName("198.51.100.7"), 50000), PathKind.DIRECT, null, 0x4000));
        assertAnswered("InstallSession 7 local 4294967294 remote 12 AES256GCM initiator TRUE created 123456789 send "
                + Describe.hex(send) + " receive " + Describe.hex(receive),
                p -> p.installSession(7, 0xFFFF_FFFEL, 12, Suite.AES256GCM, true, 123_456_789L, send, receive));
        assertAnswered("RetireSession 7 local 99", p -> p.retireSession(7, 99));
        assertAnswered("AddRoute 198.51.100.0/24 via 7", p -> p.addRoute(InetAddress.getByName("198.51.100.0"), 24, 7));
        assertAnswered("AddRoute 2001:db8:1:0:0:0:0:0/48 via 8",
                p -> p.addRoute(InetAddress.getByName("2001:db8:1::"), 48, 8));
        assertAnswered("RemoveRoute 2001:db8:1:0:0:0:0:0/48",
                p -> p.removeRoute(InetAddress.getByName("2001:db8:1::"), 48));
        assertAnswered("InjectPacket IPV4 192.0.2.44 port 3478 payload " + Describe.payload(small),
                p -> p.injectPacket(new InetSocketAddress(InetAddress.getByName("192.0.2.44"), 3478),
                        new UnsafeBuffer(small), 0, small.length));
        assertAnswered("InjectPacket IPV6 2001:db8:0:0:0:0:0:44 port 3478 payload " + Describe.payload(large),
                p -> p.injectPacket(new InetSocketAddress(InetAddress.getByName("2001:db8::44"), 3478),
                        new UnsafeBuffer(large), 0, large.length));
        assertEquals(15, correlationIds.size(), "correlation ids repeat: " + correlationIds);
    }

    @Test
    void queryStateIsAnsweredByOnePeerStatePerPeerThenStateDoneThenTheResult() {
        RecordingEvents others = new RecordingEvents();
        Reply reply = connection.call(CommandProxy::queryState, TIMEOUT, others);
        long id = reply.correlationId();
        assertEquals(new Reply(id, Result.OK, "QueryState"), reply);
        List<String> expected = new ArrayList<>();
        for (int peer = 1; peer <= EchoDataPlane.PEERS; peer++) {
            expected.add("PeerState " + id + " peer " + peer + " IPV4 198.51.100." + peer + " port " + (51820 + peer)
                    + " DIRECT session " + (100 + peer) + " since " + (1_000 * peer) + " tx " + (10 * peer) + "/" + peer
                    + " rx " + (20 * peer) + "/" + (2 * peer) + " last " + (5_000 * peer));
        }
        expected.add("StateDone " + id + " peers " + EchoDataPlane.PEERS);
        assertEquals(expected, others.events);
    }

    @Test
    void everyEventArrivesWithAllItsFields() {
        EventProxy events = new EventProxy(dataPlane.events(), 100);
        byte[] punted = bytes(2000, 9); // longer than the IPC MTU
        UnsafeBuffer v6 = new UnsafeBuffer(new byte[16]);
        v6.putByte(0, (byte) 0x20);
        v6.putByte(1, (byte) 0x01);
        v6.putByte(2, (byte) 0x0d);
        v6.putByte(3, (byte) 0xb8);
        v6.putByte(15, (byte) 5);
        UnsafeBuffer v4 = new UnsafeBuffer(new byte[] {(byte) 203, 0, 113, 77});

        assertTrue(events.commandResult(77, Result.UNKNOWN_PEER, "no peer 9"));
        assertTrue(events.commandResult(78, Result.TABLE_FULL));
        assertTrue(events.puntedPacket(42, AddressFamily.IPV6, v6, 0, 4500, 51820, new UnsafeBuffer(punted), 0,
                punted.length));
        assertTrue(events.sessionEvent(0xFFFF_FFFFL, 17, SessionEventKind.REKEY_DUE));
        assertTrue(events.peerState(5, 3, AddressFamily.IPV4, v4, 0, 1, PathKind.FORWARDED, 0, 0, Long.MAX_VALUE, 1,
                2, 3, -1));
        assertTrue(events.peerState(5, 4, AddressFamily.NONE, null, 0, 0, PathKind.RELAYED, 0, 0, 0, 0, 0, 0, 0));
        assertTrue(events.stateDone(5, 2));

        List<String> expected = List.of(
                "CommandResult 77 UNKNOWN_PEER no peer 9",
                "CommandResult 78 TABLE_FULL ",
                "PuntedPacket at 42 from IPV6 2001:db8:0:0:0:0:0:5 port 4500 to 51820 payload " + Describe.payload(punted),
                "SessionEvent 4294967295 local 17 REKEY_DUE",
                "PeerState 5 peer 3 IPV4 203.0.113.77 port 1 FORWARDED session 0 since 0 tx " + Long.MAX_VALUE
                        + "/2 rx 1/3 last -1",
                "PeerState 5 peer 4 NONE none port 0 RELAYED session 0 since 0 tx 0/0 rx 0/0 last 0",
                "StateDone 5 peers 2");
        RecordingEvents recorder = new RecordingEvents();
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        while (recorder.events.size() < expected.size() && System.nanoTime() - deadline < 0) {
            if (connection.pollEvents(recorder, 10) == 0) {
                Thread.onSpinWait();
            }
        }
        assertEquals(expected, recorder.events);
        assertEquals(0, events.notDelivered());
    }

    @Test
    void connectingWhereNoDataPlaneRunsSaysSo() {
        try (ShmDirectory nothing = new ShmDirectory("none")) {
            DataPlaneUnavailableException e = assertThrows(DataPlaneUnavailableException.class,
                    () -> DataPlaneConnection.connect(nothing.path, Duration.ofMillis(500)));
            assertEquals("no data plane at " + nothing.path + "; is `ipop up` running?", e.getMessage());
            assertFalse(Files.exists(nothing.path));
        }
        assertEquals(Path.of("/dev/shm/ipop-ipop0"), DataPlaneConnection.defaultDirectory("ipop0"));
    }

    @FunctionalInterface
    private interface Send {
        long send(CommandProxy proxy) throws Exception;
    }

    private void assertAnswered(String expectedDetail, Send send) throws Exception {
        long[] sent = {CommandProxy.NOT_SENT};
        Exception[] failure = {null};
        Reply reply = connection.call(p -> {
            try {
                sent[0] = send.send(p);
            } catch (Exception e) {
                failure[0] = e;
            }
            return sent[0];
        }, TIMEOUT);
        if (failure[0] != null) {
            throw failure[0];
        }
        assertNotEquals(CommandProxy.NOT_SENT, sent[0]);
        assertEquals(new Reply(sent[0], Result.OK, expectedDetail), reply);
        assertTrue(correlationIds.add(sent[0]), "correlation id used twice: " + sent[0]);
    }

    /** A proxy that checks arguments before it sends: a refused call never reaches the (absent) publication. */
    private static CommandProxy proxyForArgumentChecks() {
        return new CommandProxy(null, () -> 1, 0, Duration.ZERO);
    }

    private static byte[] bytes(int length, int seed) {
        byte[] bytes = new byte[length];
        for (int i = 0; i < length; i++) {
            bytes[i] = (byte) (seed + i * 31);
        }
        return bytes;
    }
}
