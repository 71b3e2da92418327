package net.ipop.control.node;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import io.aeron.FragmentAssembler;
import io.aeron.Publication;
import io.aeron.Subscription;
import net.ipop.control.ipc.DataPlaneConnection;
import net.ipop.crypto.Suite;
import net.ipop.crypto.noise.NoiseKeyPair;
import net.ipop.dataplane.ipc.CommandAdapter;
import net.ipop.dataplane.ipc.CommandListener;
import net.ipop.dataplane.ipc.DataPlaneDriver;
import net.ipop.dataplane.ipc.EventProxy;
import net.ipop.ipc.sbe.AddPeerDecoder;
import net.ipop.ipc.sbe.AddRouteDecoder;
import net.ipop.ipc.sbe.AddressFamily;
import net.ipop.ipc.sbe.ConfigureInterfaceDecoder;
import net.ipop.ipc.sbe.EndpointDecoder;
import net.ipop.ipc.sbe.InjectPacketDecoder;
import net.ipop.ipc.sbe.InstallSessionDecoder;
import net.ipop.ipc.sbe.QueryStateDecoder;
import net.ipop.ipc.sbe.RemovePeerDecoder;
import net.ipop.ipc.sbe.RemoveRouteDecoder;
import net.ipop.ipc.sbe.RetireSessionDecoder;
import net.ipop.ipc.sbe.SessionEventKind;
import net.ipop.ipc.sbe.SetEndpointDecoder;

/**
 * Node A talks to a real in-JVM Aeron driver through {@link AeronDataPlanePort} and {@link NodeEvents}; the
 * test plays its data plane (decoding commands with the data plane's own adapter, punting with its own event
 * proxy) and wires A's injected packets to node B, whose answers come back to A as punted packets. One
 * thread does everything, so the exchange is deterministic.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class AeronDataPlanePortTest {
    private static final InetSocketAddress ADDRESS_A = Nodes.endpoint("198.51.100.1", 51820);
    private static final InetSocketAddress ADDRESS_B = Nodes.endpoint("203.0.113.2", 51820);

    private final FakeClock clock = new FakeClock();
    private final NoiseKeyPair[] keys = Nodes.orderedPair();
    /** A's public key is the smaller: A initiates at once, B defers at start. */
    private final NoiseKeyPair keyA = keys[0];
    private final NoiseKeyPair keyB = keys[1];

    @Test
    void aHandshakeCrossesTheIpcBothWaysAndTheKeysArriveInTheDataPlane() throws Exception {
        byte[] random = new byte[4];
        ThreadLocalRandom.current().nextBytes(random);
        Path dir = Path.of("/dev/shm", "ipopt-node-" + HexFormat.of().formatHex(random));
        try (DataPlaneDriver driver = DataPlaneDriver.launch(dir)) {
            Subscription commands = driver.addCommandSubscription();
            Publication events = driver.addEventPublication();
            EventProxy eventProxy = new EventProxy(events, 100);
            Recorder dataPlaneOfA = new Recorder();
            FragmentAssembler commandAssembler = new FragmentAssembler(new CommandAdapter(dataPlaneOfA));
            try (DataPlaneConnection connection = DataPlaneConnection.connect(dir)) {
                AeronDataPlanePort port = new AeronDataPlanePort(connection.commands());
                StaticNode a = new StaticNode(Nodes.config("alpha", keyA, "192.0.2.1/24", Suite.AES256GCM,
                        Nodes.peer("beta", keyB, ADDRESS_B, "192.0.2.2/32", Suite.AES256GCM)), keyA, port, clock,
                        Nodes.RANDOM);
                NodeEvents eventsOfA = new NodeEvents(a);
                FakePort portB = new FakePort(ADDRESS_B);
                StaticNode b = new StaticNode(Nodes.config("beta", keyB, "192.0.2.2/24", Suite.AES256GCM,
                        Nodes.peer("alpha", keyA, null, "192.0.2.1/32", Suite.AES256GCM)), keyB, portB, clock,
                        Nodes.RANDOM);
                ArrayDeque<byte[]> towardsA = new ArrayDeque<>();
                portB.wire = (to, bytes) -> {
                    assertEquals(ADDRESS_A, to, "B answers where the initiation came from");
                    towardsA.add(bytes);
                };
                b.start();
                a.start();

                BooleanSupplier installed = () -> dataPlaneOfA.lines.stream().anyMatch(l -> l.startsWith("InstallSession"));
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
                while (!installed.getAsBoolean()) {
                    assertTrue(System.nanoTime() - deadline < 0, "no session installed: " + dataPlaneOfA.lines);
                    commands.poll(commandAssembler, 16);
                    byte[] p;
                    while ((p = dataPlaneOfA.injected.poll()) != null) {
                        b.onPunted(ADDRESS_A, p, 0, p.length);
                    }
                    while ((p = towardsA.peek()) != null) {
                        UnsafeBuffer address = new UnsafeBuffer(ADDRESS_B.getAddress().getAddress());
                        if (!eventProxy.puntedPacket(clock.nanoTime(), AddressFamily.IPV4, address, 0,
                                ADDRESS_B.getPort(), 51820, new UnsafeBuffer(p), 0, p.length)) {
                            break; // not connected yet: try again next round
                        }
                        towardsA.poll();
                    }
                    connection.pollEvents(eventsOfA, 16);
                    Thread.sleep(1);
                }

                FakePort.Installed atB = portB.last();
                assertFalse(atB.initiator());
                List<String> expected = List.of(
                        "ConfigureInterface 1420 IPV4 192.0.2.1/24",
                        "AddPeer 1 AES256GCM 0 " + HexFormat.of().formatHex(keyB.publicKey()) + " beta",
                        "AddRoute IPV4 192.0.2.2/32 via 1",
                        "SetEndpoint 1 IPV4 203.0.113.2 51820 DIRECT",
                        "InjectPacket IPV4 203.0.113.2 51820 148 bytes type 17",
                        "InstallSession 1 local " + Integer.toUnsignedString(atB.remoteIndex()) + " remote "
                                + Integer.toUnsignedString(atB.localIndex()) + " AES256GCM initiator TRUE");
                assertEquals(expected, dataPlaneOfA.lines);
                assertArrayEquals(atB.receive(), dataPlaneOfA.sendKey, "A's send key is B's receive key");
                assertArrayEquals(atB.send(), dataPlaneOfA.receiveKey, "A's receive key is B's send key");
                assertEquals(0, port.notDelivered());

                int local = atB.remoteIndex();
                assertEquals(1, a.sessions(1).size());
                while (!eventProxy.sessionEvent(1, Integer.toUnsignedLong(local), SessionEventKind.EXPIRED)) {
                    Thread.sleep(1);
                }
                while (!a.sessions(1).isEmpty()) {
                    assertTrue(System.nanoTime() - deadline < 0, "the EXPIRED event never arrived");
                    connection.pollEvents(eventsOfA, 16);
                    Thread.sleep(1);
                }
                assertEquals(0, eventsOfA.badPunts());
            }
        } finally {
            deleteRecursively(dir);
        }
        assertFalse(Files.exists(dir), "left behind: " + dir);
    }

    private static void deleteRecursively(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The data plane's side: each command as a line, injected payloads queued, installed keys kept. */
    private static final class Recorder implements CommandListener {
        final List<String> lines = new ArrayList<>();
        final ArrayDeque<byte[]> injected = new ArrayDeque<>();
        final byte[] sendKey = new byte[32];
        final byte[] receiveKey = new byte[32];

        @Override
        public void onConfigureInterface(ConfigureInterfaceDecoder command) {
            StringBuilder s = new StringBuilder("ConfigureInterface " + command.mtu());
            for (ConfigureInterfaceDecoder.AddressesDecoder a : command.addresses()) {
                byte[] address = new byte[16];
                a.getAddress(address, 0, 16);
                s.append(' ').append(a.family()).append(' ').append(address(a.family(), address)).append('/')
                        .append(a.prefixLength());
            }
            lines.add(s.toString());
        }

        @Override
        public void onAddPeer(AddPeerDecoder command) {
            byte[] key = new byte[32];
            command.getStaticPublicKey(key, 0, 32);
            lines.add("AddPeer " + command.peerId() + " " + command.suite() + " " + command.keepaliveIntervalMs() + " "
                    + HexFormat.of().formatHex(key) + " " + command.name());
        }

        @Override
        public void onRemovePeer(RemovePeerDecoder command) {
            lines.add("RemovePeer " + command.peerId());
        }

        @Override
        public void onSetEndpoint(SetEndpointDecoder command) {
            lines.add("SetEndpoint " + command.peerId() + " " + endpoint(command.endpoint()) + " " + command.path());
        }

        @Override
        public void onInstallSession(InstallSessionDecoder command) {
            command.getSendKey(sendKey, 0, 32);
            command.getReceiveKey(receiveKey, 0, 32);
            lines.add("InstallSession " + command.peerId() + " local " + command.localIndex() + " remote "
                    + command.remoteIndex() + " " + command.suite() + " initiator " + command.initiator());
        }

        @Override
        public void onRetireSession(RetireSessionDecoder command) {
            lines.add("RetireSession " + command.peerId() + " " + command.localIndex());
        }

        @Override
        public void onAddRoute(AddRouteDecoder command) {
            byte[] address = new byte[16];
            command.getAddress(address, 0, 16);
            lines.add("AddRoute " + command.family() + " " + address(command.family(), address) + "/"
                    + command.prefixLength() + " via " + command.peerId());
        }

        @Override
        public void onRemoveRoute(RemoveRouteDecoder command) {
            lines.add("RemoveRoute");
        }

        @Override
        public void onInjectPacket(InjectPacketDecoder command) {
            String endpoint = endpoint(command.endpoint());
            byte[] payload = new byte[command.payloadLength()];
            command.getPayload(payload, 0, payload.length);
            injected.add(payload);
            lines.add("InjectPacket " + endpoint + " " + payload.length + " bytes type " + payload[0]);
        }

        @Override
        public void onQueryState(QueryStateDecoder command) {
            lines.add("QueryState");
        }

        private static String endpoint(EndpointDecoder e) {
            byte[] address = new byte[16];
            e.getAddress(address, 0, 16);
            return e.family() + " " + address(e.family(), address) + " " + e.port();
        }

        private static String address(AddressFamily family, byte[] address) {
            try {
                return InetAddress.getByAddress(java.util.Arrays.copyOf(address, family == AddressFamily.IPV4 ? 4 : 16))
                        .getHostAddress();
            } catch (UnknownHostException e) {
                throw new AssertionError(e);
            }
        }
    }
}
