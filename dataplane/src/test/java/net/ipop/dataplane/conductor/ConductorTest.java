package net.ipop.dataplane.conductor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.agrona.DirectBuffer;
import org.agrona.concurrent.CachedNanoClock;
import org.agrona.concurrent.SystemEpochClock;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import io.aeron.Publication;
import io.aeron.Subscription;
import net.ipop.crypto.aead.AeadScratch;
import net.ipop.crypto.aead.MessageLimits;
import net.ipop.crypto.noise.PeerTimers;
import net.ipop.dataplane.ipc.CommandAdapter;
import net.ipop.dataplane.ipc.DataPlaneDriver;
import net.ipop.dataplane.ipc.EventProxy;
import net.ipop.dataplane.route.RouteTable;
import net.ipop.dataplane.session.Peer;
import net.ipop.dataplane.session.PeerEndpoint;
import net.ipop.dataplane.session.PeerLiveness;
import net.ipop.dataplane.session.PeerTable;
import net.ipop.dataplane.session.PeerTableHolder;
import net.ipop.dataplane.session.SessionSignals;
import net.ipop.dataplane.stats.CountersFileWriter;
import net.ipop.ffm.netlink.IpPrefix;
import net.ipop.ipc.IpcStreams;
import net.ipop.ipc.sbe.AddPeerEncoder;
import net.ipop.ipc.sbe.AddRouteEncoder;
import net.ipop.ipc.sbe.AddressFamily;
import net.ipop.ipc.sbe.BooleanType;
import net.ipop.ipc.sbe.CommandResultDecoder;
import net.ipop.ipc.sbe.ConfigureInterfaceEncoder;
import net.ipop.ipc.sbe.InjectPacketEncoder;
import net.ipop.ipc.sbe.InstallSessionEncoder;
import net.ipop.ipc.sbe.MessageHeaderDecoder;
import net.ipop.ipc.sbe.MessageHeaderEncoder;
import net.ipop.ipc.sbe.PathKind;
import net.ipop.ipc.sbe.PeerStateDecoder;
import net.ipop.ipc.sbe.QueryStateEncoder;
import net.ipop.ipc.sbe.RemovePeerEncoder;
import net.ipop.ipc.sbe.RemoveRouteEncoder;
import net.ipop.ipc.sbe.RouteKind;
import net.ipop.ipc.sbe.Result;
import net.ipop.ipc.sbe.RetireSessionEncoder;
import net.ipop.ipc.sbe.SessionEventDecoder;
import net.ipop.ipc.sbe.SetEndpointDecoder;
import net.ipop.ipc.sbe.SetEndpointEncoder;
import net.ipop.ipc.sbe.SetTrafficReportEncoder;
import net.ipop.ipc.sbe.TrafficReportDecoder;
import net.ipop.ipc.sbe.StateDoneDecoder;
import net.ipop.ipc.sbe.Suite;

/**
 * The conductor driven by hand: SBE commands encoded into a buffer and fed through the {@link CommandAdapter},
 * a fake {@link DataPath} instead of kernel objects, answers read back from a real embedded Aeron driver, and
 * a fake clock for the retire grace and the session timers.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ConductorTest {
    private static final byte[] A_TO_B = key(1);
    private static final byte[] B_TO_A = key(2);
    private static final long SECOND = 1_000_000_000L;

    @TempDir
    Path temp;
    private Path shm;
    private DataPlaneDriver driver;
    private Subscription eventsIn;
    private CountersFileWriter counters;
    private final FakeDataPath dataPath = new FakeDataPath();
    private final PeerTableHolder tables = new PeerTableHolder();
    private final CachedNanoClock clock = new CachedNanoClock();
    private final List<String> log = new ArrayList<>();
    private Conductor conductor;
    private CommandAdapter adapter;
    private final UnsafeBuffer buffer = new UnsafeBuffer(new byte[70_000]);
    private final MessageHeaderEncoder header = new MessageHeaderEncoder();
    private long nextCorrelation = 1;

    @BeforeEach
    void setUp() throws Exception {
        byte[] random = new byte[4];
        ThreadLocalRandom.current().nextBytes(random);
        shm = Path.of("/dev/shm", "ipopt-conductor-" + HexFormat.of().formatHex(random));
        driver = DataPlaneDriver.launch(shm);
        Publication events = driver.addEventPublication();
        eventsIn = driver.aeron().addSubscription(IpcStreams.CHANNEL, IpcStreams.EVENT_STREAM_ID);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!events.isConnected()) {
            assertTrue(System.nanoTime() - deadline < 0, "event publication never connected");
            Thread.sleep(1);
        }
        counters = CountersFileWriter.create(temp.resolve("t.counters"), 1, 8, SystemEpochClock.INSTANCE);
        clock.update(1_000_000_000L);
        conductor = new Conductor(dataPath, tables, counters, new EventProxy(events), clock, 8, log::add);
        adapter = new CommandAdapter(conductor);
    }

    @AfterEach
    void tearDown() throws Exception {
        if (conductor != null) {
            conductor.onClose();
        }
        if (counters != null) {
            counters.close();
        }
        if (driver != null) {
            driver.close();
        }
        if (Files.exists(shm)) {
            try (Stream<Path> walk = Files.walk(shm)) {
                for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }

    @Test
    void commandsBuildAndPublishTheTablesAndQueryStateReportsThem() throws Exception {
        assertOk(configure(1420, "192.0.2.1", 24, "2001:db8::1", 64));
        assertEquals(1420, dataPath.mtu);
        assertEquals(List.of(IpPrefix.parse("192.0.2.1/24"), IpPrefix.parse("2001:db8::1/64")), dataPath.addresses);
        assertOk(addPeer(7, "b"));
        assertOk(setEndpoint(7, "198.51.100.2", 51820));
        assertOk(addRoute(7, "192.0.2.2", 32));
        assertOk(addRoute(7, "2001:db8::2", 128));
        assertOk(installSession(7, 0x0A0A0001, 0x0B0B0002));

        PeerTable table = tables.acquire();
        Peer peer = table.peer(0);
        assertNotNull(peer, "peer not published in slot 0");
        assertEquals("b", peer.name());
        assertEquals(0, table.routes().lookup4(ipv4("192.0.2.2")));
        assertEquals(RouteTable.NO_ROUTE, table.routes().lookup4(ipv4("192.0.2.3")));
        assertTrue(peer.allowsSource4(ipv4("192.0.2.2")), "routes are the peer's allowed sources");
        assertEquals(new InetSocketAddress("198.51.100.2", 51820), peer.endpoint().address().toInetSocketAddress());
        assertNotNull(peer.current());
        assertEquals(0x0A0A0001, peer.current().localIndex());
        assertEquals(0x0B0B0002, peer.current().remoteIndex());
        assertEquals(List.of(IpPrefix.parse("192.0.2.2/32"), IpPrefix.parse("2001:db8::2/128")), dataPath.kernelRoutes);
        int position = table.sessions().find(0x0A0A0001);
        assertSame(peer.current(), table.sessions().session(position));

        Events answer = send(queryState());
        assertEquals(Result.OK, answer.result);
        assertEquals(1, answer.peerStates.size());
        assertEquals("7 198.51.100.2:51820 " + 0x0A0A0001L, answer.peerStates.get(0));
        assertEquals(1, answer.stateDonePeers);
        assertTrue(log.stream().anyMatch(l -> l.startsWith("session installed: peer 7")), log.toString());
    }

    @Test
    void aRelayedEndpointNamesItsTurnServerAndChannelAndAVersion1OneIsDirect() {
        assertOk(configure(1420, "192.0.2.1", 24));
        assertOk(addPeer(7, "b"));
        assertOk(setRelayedEndpoint(7, "198.51.100.2", 51820, "203.0.113.5", 3478, 0x4001));
        PeerTable table = tables.acquire();
        PeerEndpoint e = table.peer(0).endpoint();
        assertTrue(e.relayed());
        assertEquals(0x4001, e.channel());
        assertEquals(new InetSocketAddress("198.51.100.2", 51820), e.address().toInetSocketAddress());
        assertEquals(new InetSocketAddress("203.0.113.5", 3478), e.destination().toInetSocketAddress());
        assertSame(table.peer(0), table.relayedPeer(e.relay(), 0x4001));
        assertNull(table.relayedPeer(e.relay(), 0x4002));
        assertTrue(log.stream().anyMatch(l -> l.contains("through TURN server 203.0.113.5 port 3478 channel 0x4001")),
                log.toString());

        assertAnswer(Result.BAD_ARGUMENT, "TURN channel 20480", setRelayedEndpoint(7, "198.51.100.2", 51820,
                "203.0.113.5", 3478, 0x5000));
        assertAnswer(Result.BAD_ARGUMENT, "port 0", setRelayedEndpoint(7, "198.51.100.2", 51820,
                "203.0.113.5", 0, 0x4001));
        assertSame(table, tables.acquire(), "a refused command published a table");

        assertOk(setEndpointVersion1(7, "198.51.100.3", 51820));
        e = tables.acquire().peer(0).endpoint();
        assertFalse(e.relayed(), "a version 1 SetEndpoint has no relay, whatever follows its block");
        assertEquals(new InetSocketAddress("198.51.100.3", 51820), e.destination().toInetSocketAddress());
        assertNull(tables.acquire().relayedPeer(table.peer(0).endpoint().relay(), 0x4001));
    }

    @Test
    void queryStateReportsWhatARestartedControlPlaneAdoptsKeyAndBothSessionsWithTheirInitiator() {
        assertOk(configure(1420, "192.0.2.1", 24));
        assertOk(addPeer(7, "b"));
        assertOk(installSession(7, 11, 21, true));
        assertOk(installSession(7, 12, 22, false));
        assertEquals(List.of("key 7 current 12/22 FALSE age true previous 11/21 TRUE age true"),
                send(queryState()).adoption);
        assertOk(retireSession(7, 11));
        assertEquals(List.of("key 7 current 12/22 FALSE age true previous 0/0 FALSE age false"),
                send(queryState()).adoption);
        assertOk(retireSession(7, 12));
        assertEquals(List.of("key 7 current 0/0 FALSE age false previous 0/0 FALSE age false"),
                send(queryState()).adoption);
    }

    @Test
    void aRekeyKeepsThePreviousSessionForReceiveAndRetiringItDropsIt() {
        assertOk(configure(1420, "192.0.2.1", 24));
        assertOk(addPeer(7, "b"));
        assertOk(installSession(7, 11, 21));
        assertOk(installSession(7, 12, 22));
        PeerTable table = tables.acquire();
        assertEquals(12, table.peer(0).current().localIndex());
        assertEquals(11, table.peer(0).previous().localIndex());
        assertTrue(table.sessions().find(11) >= 0);
        assertOk(retireSession(7, 11));
        assertEquals(-1, tables.acquire().sessions().find(11), "retired session still receivable");
        assertEquals(12, tables.acquire().peer(0).current().localIndex());
    }

    @Test
    void badArgumentsAreRefusedWithADetailAndLeaveTheTableAlone() {
        assertAnswer(Result.BAD_ARGUMENT, "mtu 100", configure(100, "192.0.2.1", 24));
        assertAnswer(Result.BAD_ARGUMENT, "prefix length 33", configure(1420, "192.0.2.1", 33));
        assertAnswer(Result.UNKNOWN_PEER, "no peer 9", setEndpoint(9, "198.51.100.2", 51820));
        assertAnswer(Result.UNKNOWN_PEER, "no peer 9", addRoute(9, "192.0.2.2", 32));
        assertOk(addPeer(7, "b"));
        assertAnswer(Result.FAILED, "ConfigureInterface first", installSession(7, 1, 2));
        dataPath.refuseNext = "the MTU is fixed";
        assertAnswer(Result.BAD_ARGUMENT, "the MTU is fixed", configure(1420, "192.0.2.1", 24));
        assertOk(configure(1420, "192.0.2.1", 24));
        assertAnswer(Result.BAD_ARGUMENT, "local index 0", installSession(7, 0, 2));
        assertAnswer(Result.BAD_ARGUMENT, "prefix length 33", addRoute(7, "192.0.2.2", 33));
        assertAnswer(Result.BAD_ARGUMENT, "no route 192.0.2.9/32", removeRoute("192.0.2.9", 32));
        assertAnswer(Result.BAD_ARGUMENT, "no session with local index 5", retireSession(7, 5));
        assertAnswer(Result.BAD_ARGUMENT, "port 0", setEndpoint(7, "198.51.100.2", 0));
        assertOk(installSession(7, 1, 2));
        assertOk(addPeer(8, "c"));
        PeerTable before = tables.acquire();
        assertAnswer(Result.BAD_ARGUMENT, "used twice", installSession(8, 1, 3));
        assertSame(before, tables.acquire(), "a refused command published a table");
        assertNull(before.peer(1).current());
        assertAnswer(Result.UNKNOWN_PEER, "no peer 9", removePeer(9));
    }

    @Test
    void sourceOnlyAndRouteOnlyEntriesSeparateTheSourceCheckFromTheRoute() {
        assertOk(configure(1420, "192.0.2.1", 24));
        assertOk(addPeer(7, "b"));
        assertOk(addPeer(8, "c"));
        // 192.0.2.4 is reached through b, but its packets may arrive from b or c (paths are not symmetric).
        assertOk(addRoute(7, "192.0.2.4", 32, RouteKind.ROUTE_ONLY));
        assertOk(addRoute(8, "192.0.2.4", 32, RouteKind.SOURCE_ONLY));
        PeerTable table = tables.acquire();
        assertEquals(0, table.routes().lookup4(ipv4("192.0.2.4")));
        assertFalse(table.peer(0).allowsSource4(ipv4("192.0.2.4")), "a ROUTE_ONLY route accepted its source");
        assertTrue(table.peer(1).allowsSource4(ipv4("192.0.2.4")), "the SOURCE_ONLY entry is not accepted");
        assertEquals(List.of(IpPrefix.parse("192.0.2.4/32")), dataPath.kernelRoutes, "a source entry made a kernel route");

        assertOk(addRoute(7, "192.0.2.4", 32, RouteKind.SOURCE_ONLY));
        assertTrue(tables.acquire().peer(0).allowsSource4(ipv4("192.0.2.4")));
        assertOk(removeRoute("192.0.2.4", 32, RouteKind.SOURCE_ONLY, 8));
        table = tables.acquire();
        assertFalse(table.peer(1).allowsSource4(ipv4("192.0.2.4")), "the removed source entry is still accepted");
        assertEquals(0, table.routes().lookup4(ipv4("192.0.2.4")), "removing a source entry removed the route");
        assertAnswer(Result.BAD_ARGUMENT, "no source 192.0.2.4/32 from peer 8",
                removeRoute("192.0.2.4", 32, RouteKind.SOURCE_ONLY, 8));

        // Re-adding the route with the default kind makes it a source again; removing the route keeps b's source entry.
        assertOk(addRoute(7, "192.0.2.4", 32));
        assertOk(removeRoute("192.0.2.4", 32));
        table = tables.acquire();
        assertEquals(RouteTable.NO_ROUTE, table.routes().lookup4(ipv4("192.0.2.4")));
        assertTrue(table.peer(0).allowsSource4(ipv4("192.0.2.4")), "removing the route dropped the source entry");
        assertOk(removePeer(7));
        assertOk(addPeer(7, "b"));
        assertFalse(tables.acquire().peer(2).allowsSource4(ipv4("192.0.2.4")), "a removed peer's source entries survived");
    }

    @Test
    void aVersion1AddRouteWithoutKindRoutesAndAcceptsTheSource() {
        assertOk(configure(1420, "192.0.2.1", 24));
        assertOk(addPeer(7, "b"));
        int length = addRoute(7, "192.0.2.4", 32, RouteKind.ROUTE_ONLY);
        // What a version 1 sender writes: its shorter block and version, the kind byte not there.
        header.wrap(buffer, 0).blockLength(AddRouteEncoder.kindEncodingOffset()).version(1);
        assertOk(length - 1);
        PeerTable table = tables.acquire();
        assertEquals(0, table.routes().lookup4(ipv4("192.0.2.4")));
        assertTrue(table.peer(0).allowsSource4(ipv4("192.0.2.4")), "a version 1 route is not a source");
    }

    @Test
    void removingAPeerDropsItsRoutesAndCountersAndFreesItsSlotOnlyAfterTheGrace() {
        assertOk(configure(1420, "192.0.2.1", 24));
        assertOk(addPeer(7, "b"));
        assertOk(addRoute(7, "192.0.2.2", 32));
        assertOk(addRoute(7, "203.0.113.0", 24));
        assertEquals(2, dataPath.kernelRoutes.size());
        assertOk(removePeer(7));
        assertEquals(List.of(), dataPath.kernelRoutes, "the peer's routes stayed in the kernel");
        PeerTable table = tables.acquire();
        assertNull(table.peer(0));
        assertEquals(RouteTable.NO_ROUTE, table.routes().lookup4(ipv4("192.0.2.2")));
        assertOk(addPeer(8, "c"));
        assertNotNull(tables.acquire().peer(1), "slot 0 reused before the grace ended");
        clock.advance(Conductor.RETIRE_GRACE_NANOS);
        conductor.doWork();
        assertOk(addPeer(9, "d"));
        assertEquals("d", tables.acquire().peer(0).name());
    }

    @Test
    void aPeerWhoseDataGoesUnansweredIsDeclaredDownAskedToRehandshakeAndUpWithANewSessionEachChangeReported() {
        assertOk(configure(1420, "192.0.2.1", 24));
        assertOk(addPeer(7, "b", 1000));
        assertOk(installSession(7, 11, 21));
        PeerLiveness liveness = tables.acquire().peer(0).liveness();
        assertEquals(TimeUnit.SECONDS.toNanos(1), liveness.keepaliveIntervalNanos(), "AddPeer's keepalive interval");
        assertEquals(TimeUnit.SECONDS.toNanos(10), liveness.passiveKeepaliveNanos(), "2/3 of the default 15 s");

        liveness.sentData(clock.nanoTime()); // what the pipeline does on sending to it
        clock.update(clock.nanoTime() + TimeUnit.SECONDS.toNanos(15) - 1);
        conductor.doWork();
        assertFalse(liveness.down());
        clock.update(clock.nanoTime() + TimeUnit.MILLISECONDS.toNanos(200));
        conductor.doWork();
        assertTrue(liveness.down(), log.toString());
        assertEquals("7 11 REKEY_DUE", nextSessionEvent(), "a new handshake is wanted");
        assertEquals("7 11 PEER_DOWN", nextSessionEvent(), "the control plane hears of the change");

        Events installed = send(installSession(7, 12, 22));
        assertEquals(Result.OK, installed.result, installed.detail);
        assertFalse(liveness.down(), "a new session is fresh contact");
        assertEquals(List.of("7 12 PEER_UP"), installed.sessionEvents, "and of the way back");
        assertSame(liveness, tables.acquire().peer(0).liveness(), "one liveness record across snapshots");
        assertTrue(log.stream().anyMatch(l -> l.contains("'b' is up again")), log.toString());
    }

    @Test
    void injectSendsThePayloadThroughTheDataPath() {
        assertAnswer(Result.FAILED, "ConfigureInterface first", inject("198.51.100.2", 3478, 20));
        assertOk(configure(1420, "192.0.2.1", 24));
        assertOk(inject("198.51.100.2", 3478, 20));
        assertEquals(new InetSocketAddress("198.51.100.2", 3478), dataPath.injectedTo);
        assertEquals(20, dataPath.injectedLength);
        assertAnswer(Result.BAD_ARGUMENT, "payload", inject("198.51.100.2", 3478, 0));
    }

    // --- session events (SessionWatch): pipelines set SessionSignals, the conductor's duty cycle reports

    @Test
    void aResponderSessionIsConfirmedOnceByItsFirstAuthenticatedMessageAnInitiatorSessionNever() {
        assertOk(configure(1420, "192.0.2.1", 24));
        assertOk(addPeer(7, "b"));
        assertOk(installSession(7, 11, 21, false));
        assertEquals(List.of(), tick(0), "nothing received yet");
        tables.acquire().peer(0).current().signals().onAuthenticated();
        assertEquals(List.of("7 11 CONFIRMED"), tick(SessionWatch.POLL_INTERVAL_NANOS));
        tables.acquire().peer(0).current().signals().onAuthenticated();
        assertEquals(List.of(), tick(SessionWatch.POLL_INTERVAL_NANOS), "confirmed twice");

        assertFalse(tables.acquire().peer(0).current().announcementDue(), "the responder announces nothing");

        assertOk(installSession(7, 12, 22, true));
        assertTrue(tables.acquire().peer(0).current().announcementDue(),
                "the initiator's pipeline tells the responder it holds the keys");
        tables.acquire().peer(0).current().signals().onAuthenticated();
        assertEquals(List.of(), tick(SessionWatch.POLL_INTERVAL_NANOS), "an initiator's keys need no confirmation");
    }

    @Test
    void rekeyIsDueOnceWhenTheSendCounterPassesTheLimitOrAnInitiatorSessionTurns120s() {
        assertOk(configure(1420, "192.0.2.1", 24));
        assertOk(addPeer(7, "b"));
        assertOk(installSession(7, 11, 21, false));
        SessionSignals signals = tables.acquire().peer(0).current().signals();
        signals.onSendCounter(MessageLimits.REKEY_AFTER_MESSAGES - 1);
        assertEquals(List.of(), tick(SessionWatch.POLL_INTERVAL_NANOS));
        signals.onSendCounter(MessageLimits.REKEY_AFTER_MESSAGES);
        assertEquals(List.of("7 11 REKEY_DUE"), tick(SessionWatch.POLL_INTERVAL_NANOS));
        signals.onSendCounter(MessageLimits.REKEY_AFTER_MESSAGES + 1);
        assertEquals(List.of(), tick(SessionWatch.POLL_INTERVAL_NANOS), "reported twice");
        assertEquals(List.of(), tick(PeerTimers.REKEY_AFTER_TIME_NANOS), "a responder session rekeyed by age");
        assertOk(removePeer(7));

        assertOk(addPeer(8, "c"));
        assertOk(installSession(8, 31, 41, true));
        assertEquals(List.of(), tick(PeerTimers.REKEY_AFTER_TIME_NANOS - SessionWatch.POLL_INTERVAL_NANOS));
        assertEquals(List.of("8 31 REKEY_DUE"), tick(SessionWatch.POLL_INTERVAL_NANOS));
        assertEquals(List.of(), tick(SessionWatch.POLL_INTERVAL_NANOS));
        // Once replaced, an old session's counter is no reason to rekey.
        assertOk(installSession(8, 32, 42, false));
        tables.acquire().peer(1).previous().signals().onSendCounter(MessageLimits.REKEY_AFTER_MESSAGES);
        assertEquals(List.of(), tick(SessionWatch.POLL_INTERVAL_NANOS));
    }

    @Test
    void aSessionWeInitiatedIsRekeyedWhenThePeerSendsOnlyUnderOthersFor5s() {
        assertOk(configure(1420, "192.0.2.1", 24));
        assertOk(addPeer(7, "b"));
        assertOk(installSession(7, 11, 21, false));
        assertOk(installSession(7, 12, 22, true));
        PeerLiveness liveness = tables.acquire().peer(0).liveness();
        liveness.received(clock.nanoTime() + SECOND, false, false); // a keepalive under session 11, a second later
        assertEquals(List.of(), tick(PeerTimers.REKEY_TIMEOUT_NANOS - SessionWatch.POLL_INTERVAL_NANOS));
        assertEquals(List.of("7 12 REKEY_DUE"), tick(SessionWatch.POLL_INTERVAL_NANOS),
                "the peer lacks session 12's keys or missed its announcement: a handshake settles it");
        assertEquals(List.of(), tick(SessionWatch.POLL_INTERVAL_NANOS), "once");

        // The peer uses the session we initiated: nothing to settle.
        assertOk(installSession(7, 13, 23, true));
        tables.acquire().peer(0).current().signals().onAuthenticated();
        liveness.received(clock.nanoTime() + SECOND, false, true);
        assertEquals(List.of(), tick(2 * PeerTimers.REKEY_TIMEOUT_NANOS));
        // A quiet peer sent nothing at all: nothing says it lacks the keys.
        assertOk(installSession(7, 14, 24, true));
        assertEquals(List.of(), tick(2 * PeerTimers.REKEY_TIMEOUT_NANOS));
    }

    @Test
    void aSession180sOldExpiresLeavesTheTableAndIsReportedOnce() {
        assertOk(configure(1420, "192.0.2.1", 24));
        assertOk(addPeer(7, "b"));
        assertOk(installSession(7, 11, 21, false));
        clock.advance(60 * SECOND);
        assertOk(installSession(7, 12, 22, false));
        assertEquals(List.of(), tick(PeerTimers.REJECT_AFTER_TIME_NANOS - 60 * SECOND - SECOND));
        assertEquals(List.of("7 11 EXPIRED"), tick(SECOND));
        assertEquals(-1, tables.acquire().sessions().find(11), "an expired session still receives");
        assertNull(tables.acquire().peer(0).previous());
        assertEquals(12, tables.acquire().peer(0).current().localIndex());
        assertTrue(log.contains("session expired: peer 7 local index 11"), log.toString());
        assertEquals(List.of(), tick(SECOND));
        assertEquals(List.of("7 12 EXPIRED"), tick(60 * SECOND));
        assertNull(tables.acquire().peer(0).current(), "an expired session still sends");
        assertEquals(0, tables.acquire().sessions().size());
        assertEquals(List.of(), tick(PeerTimers.REJECT_AFTER_TIME_NANOS));
    }

    @Test
    void aWornOutSendCounterExpiresTheCurrentSessionAndThePreviousWithIt() {
        assertOk(configure(1420, "192.0.2.1", 24));
        assertOk(addPeer(7, "b"));
        assertOk(installSession(7, 11, 21, true));
        assertOk(installSession(7, 12, 22, true));
        tables.acquire().peer(0).current().signals().onSendCounter(MessageLimits.REJECT_AFTER_MESSAGES);
        assertEquals(List.of("7 12 REKEY_DUE", "7 12 EXPIRED", "7 11 EXPIRED"), tick(SessionWatch.POLL_INTERVAL_NANOS));
        assertEquals(0, tables.acquire().sessions().size());
    }

    @Test
    void sessionsTheControlPlaneRetiredOrThatLeftWithTheirPeerRaiseNoEvents() {
        assertOk(configure(1420, "192.0.2.1", 24));
        assertOk(addPeer(7, "b"));
        assertOk(installSession(7, 11, 21, false));
        tables.acquire().peer(0).current().signals().onAuthenticated();
        assertOk(retireSession(7, 11));
        assertOk(addPeer(8, "c"));
        assertOk(installSession(8, 31, 41, true));
        assertOk(removePeer(8));
        assertEquals(List.of(), tick(PeerTimers.REJECT_AFTER_TIME_NANOS));
    }

    @Test
    void routesWhoseTrafficCrossesTheThresholdInAnIntervalAreReportedWithTheirNextHop() {
        assertOk(configure(1420, "192.0.2.1", 24));
        assertOk(addPeer(7, "b"));
        assertOk(addPeer(8, "c"));
        assertOk(addRoute(7, "192.0.2.2", 32, RouteKind.ROUTE_ONLY));
        assertOk(addRoute(7, "192.0.2.3", 32, RouteKind.ROUTE_ONLY)); // c's address, forwarded through b
        assertOk(addRoute(8, "2001:db8::3", 128));
        sent("192.0.2.3", 5_000); // before reports are on: not counted into the first interval
        assertEquals(List.of(), trafficTick(2 * SECOND), "reports before SetTrafficReport");

        assertOk(setTrafficReport(10_000, 1000));
        sent("192.0.2.3", 6_000);
        sent("192.0.2.2", 500);
        sent("2001:db8::3", 9_999);
        assertEquals(List.of(), trafficTick(SECOND - 1), "a report before the interval ended");
        sent("192.0.2.3", 4_000);
        assertEquals(List.of("192.0.2.3/32 via 7: 10000 bytes in 1000 ms"), trafficTick(1));

        // The route moves to a direct link: the same prefix counts on, now reported through c.
        assertOk(addRoute(8, "192.0.2.3", 32, RouteKind.ROUTE_ONLY));
        sent("192.0.2.3", 20_000);
        sent("2001:db8::3", 10_000);
        assertEquals(List.of("192.0.2.3/32 via 8: 20000 bytes in 1500 ms", "2001:db8:0:0:0:0:0:3/128 via 8: 10000 bytes in"
                + " 1500 ms"), trafficTick(1500 * 1_000_000L).stream().sorted().toList());
        assertEquals(List.of(), trafficTick(SECOND), "a quiet interval reported something");

        assertAnswer(Result.BAD_ARGUMENT, "interval of 10 to 3600000 ms", setTrafficReport(1, 5));
        assertOk(setTrafficReport(0, 1000));
        sent("192.0.2.3", 50_000);
        assertEquals(List.of(), trafficTick(2 * SECOND), "reports after they were turned off");
    }

    /** What a pipeline does for a packet the TUN gave it: counts its bytes on the route its destination takes. */
    private void sent(String destination, int bytes) {
        RouteTable routes = tables.acquire().routes();
        byte[] a = bytes(destination);
        int entry;
        if (a.length == 4) {
            entry = routes.entry4(ipv4(destination));
        } else {
            java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(a);
            entry = routes.entry6(b.getLong(), b.getLong());
        }
        assertTrue(entry != RouteTable.NO_ROUTE, "no route to " + destination);
        assertNotNull(routes.traffic(entry), "route to " + destination + " is not counted");
        routes.traffic(entry).add(0, bytes);
    }

    private int setTrafficReport(long thresholdBytes, long intervalMs) {
        SetTrafficReportEncoder e = new SetTrafficReportEncoder().wrapAndApplyHeader(buffer, 0, header);
        e.correlationId(nextCorrelation).thresholdBytes(thresholdBytes).intervalMs(intervalMs);
        return MessageHeaderEncoder.ENCODED_LENGTH + e.encodedLength();
    }

    /** Advances the fake clock, runs one duty cycle and returns the TrafficReports it sent, as text. */
    private List<String> trafficTick(long nanos) {
        clock.advance(nanos);
        conductor.doWork();
        List<String> seen = new ArrayList<>();
        MessageHeaderDecoder h = new MessageHeaderDecoder();
        TrafficReportDecoder d = new TrafficReportDecoder();
        eventsIn.poll((DirectBuffer b, int offset, int len, io.aeron.logbuffer.Header ignored) -> {
            h.wrap(b, offset);
            assertEquals(TrafficReportDecoder.TEMPLATE_ID, h.templateId(), "unexpected event " + h.templateId());
            d.wrap(b, offset + MessageHeaderDecoder.ENCODED_LENGTH, h.blockLength(), h.version());
            byte[] a = new byte[d.family() == AddressFamily.IPV4 ? 4 : 16];
            d.getAddress(a, 0, a.length);
            seen.add(ip(a) + "/" + d.prefixLength() + " via " + d.peerId() + ": " + d.bytes() + " bytes in "
                    + d.intervalMs() + " ms");
        }, 100);
        return seen;
    }

    /** Advances the fake clock, runs one conductor duty cycle and returns the session events it sent. */
    private List<String> tick(long nanos) {
        clock.advance(nanos);
        conductor.doWork();
        List<String> seen = new ArrayList<>();
        MessageHeaderDecoder h = new MessageHeaderDecoder();
        SessionEventDecoder d = new SessionEventDecoder();
        // IPC: an offer that returned is in the log already, so one poll sees everything sent.
        eventsIn.poll((DirectBuffer b, int offset, int len, io.aeron.logbuffer.Header ignored) -> {
            h.wrap(b, offset);
            assertEquals(SessionEventDecoder.TEMPLATE_ID, h.templateId(), "unexpected event " + h.templateId());
            d.wrap(b, offset + MessageHeaderDecoder.ENCODED_LENGTH, h.blockLength(), h.version());
            seen.add(d.peerId() + " " + d.localIndex() + " " + d.kind());
        }, 100);
        return seen;
    }

    // --- commands

    private int configure(int mtu, Object... addressAndLength) {
        ConfigureInterfaceEncoder e = new ConfigureInterfaceEncoder().wrapAndApplyHeader(buffer, 0, header);
        e.correlationId(nextCorrelation).mtu(mtu);
        ConfigureInterfaceEncoder.AddressesEncoder a = e.addressesCount(addressAndLength.length / 2);
        for (int i = 0; i < addressAndLength.length; i += 2) {
            byte[] ip = bytes((String) addressAndLength[i]);
            a.next().family(ip.length == 4 ? AddressFamily.IPV4 : AddressFamily.IPV6)
                    .putAddress(pad(ip), 0, 16).prefixLength((short) (int) (Integer) addressAndLength[i + 1]);
        }
        return MessageHeaderEncoder.ENCODED_LENGTH + e.encodedLength();
    }

    private int addPeer(long peerId, String name) {
        return addPeer(peerId, name, 0);
    }

    private int addPeer(long peerId, String name, int keepaliveMs) {
        AddPeerEncoder e = new AddPeerEncoder().wrapAndApplyHeader(buffer, 0, header);
        e.correlationId(nextCorrelation).peerId(peerId).suite(Suite.AES256GCM).keepaliveIntervalMs(keepaliveMs)
                .putStaticPublicKey(keyOf(peerId), 0, 32);
        byte[] n = name.getBytes(StandardCharsets.UTF_8);
        e.putName(n, 0, n.length);
        return MessageHeaderEncoder.ENCODED_LENGTH + e.encodedLength();
    }

    /** The static key AddPeer gives a peer id here: its low byte repeated. */
    private static byte[] keyOf(long peerId) {
        byte[] key = new byte[32];
        java.util.Arrays.fill(key, (byte) peerId);
        return key;
    }

    private int removePeer(long peerId) {
        RemovePeerEncoder e = new RemovePeerEncoder().wrapAndApplyHeader(buffer, 0, header);
        e.correlationId(nextCorrelation).peerId(peerId);
        return MessageHeaderEncoder.ENCODED_LENGTH + e.encodedLength();
    }

    private int setEndpoint(long peerId, String ip, int port) {
        SetEndpointEncoder e = new SetEndpointEncoder().wrapAndApplyHeader(buffer, 0, header);
        byte[] b = bytes(ip);
        e.correlationId(nextCorrelation).peerId(peerId).endpoint()
                .family(b.length == 4 ? AddressFamily.IPV4 : AddressFamily.IPV6).port(port).putAddress(pad(b), 0, 16);
        e.path(PathKind.DIRECT);
        e.relayServer().family(AddressFamily.NONE).port(0).putAddress(new byte[16], 0, 16);
        e.channel(0);
        return MessageHeaderEncoder.ENCODED_LENGTH + e.encodedLength();
    }

    private int setRelayedEndpoint(long peerId, String ip, int port, String server, int serverPort, int channel) {
        setEndpoint(peerId, ip, port);
        SetEndpointEncoder e = new SetEndpointEncoder().wrap(buffer, MessageHeaderEncoder.ENCODED_LENGTH);
        byte[] b = bytes(server);
        e.path(PathKind.RELAYED).relayServer().family(b.length == 4 ? AddressFamily.IPV4 : AddressFamily.IPV6)
                .port(serverPort).putAddress(pad(b), 0, 16);
        e.channel(channel);
        return MessageHeaderEncoder.ENCODED_LENGTH + e.encodedLength();
    }

    /** A SetEndpoint as a version 1 control plane sends it: the block ends before the relay fields. */
    private int setEndpointVersion1(long peerId, String ip, int port) {
        setRelayedEndpoint(peerId, ip, port, "203.0.113.5", 3478, 0x4001); // junk past the v1 block
        new MessageHeaderEncoder().wrap(buffer, 0).blockLength(SetEndpointDecoder.relayServerEncodingOffset())
                .version(1);
        return MessageHeaderEncoder.ENCODED_LENGTH + SetEndpointDecoder.relayServerEncodingOffset();
    }

    private int installSession(long peerId, int localIndex, int remoteIndex) {
        return installSession(peerId, localIndex, remoteIndex, true);
    }

    private int installSession(long peerId, int localIndex, int remoteIndex, boolean initiator) {
        InstallSessionEncoder e = new InstallSessionEncoder().wrapAndApplyHeader(buffer, 0, header);
        e.correlationId(nextCorrelation).peerId(peerId).localIndex(localIndex).remoteIndex(remoteIndex)
                .suite(Suite.AES256GCM).initiator(initiator ? BooleanType.TRUE : BooleanType.FALSE)
                .createdAtNanos(System.nanoTime())
                .putSendKey(A_TO_B, 0, 32).putReceiveKey(B_TO_A, 0, 32);
        return MessageHeaderEncoder.ENCODED_LENGTH + e.encodedLength();
    }

    private int retireSession(long peerId, int localIndex) {
        RetireSessionEncoder e = new RetireSessionEncoder().wrapAndApplyHeader(buffer, 0, header);
        e.correlationId(nextCorrelation).peerId(peerId).localIndex(localIndex);
        return MessageHeaderEncoder.ENCODED_LENGTH + e.encodedLength();
    }

    private int addRoute(long peerId, String ip, int length) {
        return addRoute(peerId, ip, length, RouteKind.ROUTE_AND_SOURCE);
    }

    private int addRoute(long peerId, String ip, int length, RouteKind kind) {
        AddRouteEncoder e = new AddRouteEncoder().wrapAndApplyHeader(buffer, 0, header);
        byte[] b = bytes(ip);
        e.correlationId(nextCorrelation).family(b.length == 4 ? AddressFamily.IPV4 : AddressFamily.IPV6)
                .putAddress(pad(b), 0, 16).prefixLength((short) length).peerId(peerId).kind(kind);
        return MessageHeaderEncoder.ENCODED_LENGTH + e.encodedLength();
    }

    private int removeRoute(String ip, int length) {
        return removeRoute(ip, length, RouteKind.ROUTE_AND_SOURCE, 0);
    }

    private int removeRoute(String ip, int length, RouteKind kind, long peerId) {
        RemoveRouteEncoder e = new RemoveRouteEncoder().wrapAndApplyHeader(buffer, 0, header);
        byte[] b = bytes(ip);
        e.correlationId(nextCorrelation).family(b.length == 4 ? AddressFamily.IPV4 : AddressFamily.IPV6)
                .putAddress(pad(b), 0, 16).prefixLength((short) length).kind(kind).peerId(peerId);
        return MessageHeaderEncoder.ENCODED_LENGTH + e.encodedLength();
    }

    private int inject(String ip, int port, int payloadLength) {
        InjectPacketEncoder e = new InjectPacketEncoder().wrapAndApplyHeader(buffer, 0, header);
        byte[] b = bytes(ip);
        e.correlationId(nextCorrelation).endpoint().family(AddressFamily.IPV4).port(port).putAddress(pad(b), 0, 16);
        e.putPayload(new byte[payloadLength], 0, payloadLength);
        return MessageHeaderEncoder.ENCODED_LENGTH + e.encodedLength();
    }

    private int queryState() {
        QueryStateEncoder e = new QueryStateEncoder().wrapAndApplyHeader(buffer, 0, header);
        e.correlationId(nextCorrelation);
        return MessageHeaderEncoder.ENCODED_LENGTH + e.encodedLength();
    }

    // --- answers

    /** What came back for one command. */
    private static final class Events {
        Result result;
        String detail;
        final List<String> peerStates = new ArrayList<>();
        /** Per PeerState, what an adopting control plane reads: key (first byte), current and previous session. */
        final List<String> adoption = new ArrayList<>();
        long stateDonePeers = -1;
        /** Session events sent while the command ran, as "peerId localIndex KIND". */
        final List<String> sessionEvents = new ArrayList<>();
    }

    private Events send(int length) {
        long correlationId = nextCorrelation++;
        adapter.onFragment(buffer, 0, length, null);
        Events events = new Events();
        MessageHeaderDecoder h = new MessageHeaderDecoder();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (events.result == null) {
            assertTrue(System.nanoTime() - deadline < 0, "no answer to command " + correlationId);
            eventsIn.poll((DirectBuffer b, int offset, int len, io.aeron.logbuffer.Header ignored) -> {
                h.wrap(b, offset);
                int body = offset + MessageHeaderDecoder.ENCODED_LENGTH;
                switch (h.templateId()) {
                    case CommandResultDecoder.TEMPLATE_ID -> {
                        CommandResultDecoder d = new CommandResultDecoder().wrap(b, body, h.blockLength(), h.version());
                        assertEquals(correlationId, d.correlationId());
                        events.result = d.result();
                        events.detail = d.detail();
                    }
                    case PeerStateDecoder.TEMPLATE_ID -> {
                        PeerStateDecoder d = new PeerStateDecoder().wrap(b, body, h.blockLength(), h.version());
                        byte[] a = new byte[4];
                        d.endpoint().getAddress(a, 0, 4);
                        events.peerStates.add(d.peerId() + " " + ip(a) + ":" + d.endpoint().port() + " "
                                + d.currentLocalIndex());
                        byte[] key = new byte[32];
                        d.getStaticPublicKey(key, 0, 32);
                        assertEquals(1, java.util.stream.IntStream.range(0, 32).map(i -> key[i]).distinct().count());
                        events.adoption.add("key " + key[0] + " current " + d.currentLocalIndex() + "/"
                                + d.currentRemoteIndex() + " " + d.currentInitiator() + " age "
                                + (d.sessionCreatedAtNanos() > 0) + " previous " + d.previousLocalIndex() + "/"
                                + d.previousRemoteIndex() + " " + d.previousInitiator() + " age "
                                + (d.previousCreatedAtNanos() > 0));
                    }
                    case StateDoneDecoder.TEMPLATE_ID ->
                            events.stateDonePeers = new StateDoneDecoder().wrap(b, body, h.blockLength(), h.version())
                                    .peers();
                    case SessionEventDecoder.TEMPLATE_ID -> {
                        SessionEventDecoder d = new SessionEventDecoder().wrap(b, body, h.blockLength(), h.version());
                        events.sessionEvents.add(d.peerId() + " " + d.localIndex() + " " + d.kind());
                    }
                    default -> throw new AssertionError("unexpected event " + h.templateId());
                }
            }, 10);
        }
        return events;
    }

    /** The next SessionEvent on the event stream, as "peerId localIndex KIND". */
    private String nextSessionEvent() {
        String[] seen = new String[1];
        MessageHeaderDecoder h = new MessageHeaderDecoder();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (seen[0] == null) {
            assertTrue(System.nanoTime() - deadline < 0, "no session event");
            eventsIn.poll((DirectBuffer b, int offset, int len, io.aeron.logbuffer.Header ignored) -> {
                h.wrap(b, offset);
                assertEquals(SessionEventDecoder.TEMPLATE_ID, h.templateId(), "unexpected event");
                SessionEventDecoder d = new SessionEventDecoder().wrap(b, offset + MessageHeaderDecoder.ENCODED_LENGTH,
                        h.blockLength(), h.version());
                seen[0] = d.peerId() + " " + d.localIndex() + " " + d.kind();
            }, 1);
        }
        return seen[0];
    }

    private void assertOk(int length) {
        Events e = send(length);
        assertEquals(Result.OK, e.result, e.detail);
    }

    private void assertAnswer(Result expected, String detailPart, int length) {
        Events e = send(length);
        assertEquals(expected, e.result, e.detail);
        assertTrue(e.detail.contains(detailPart), "detail '" + e.detail + "' lacks '" + detailPart + "'");
    }

    // --- helpers

    private static byte[] key(int seed) {
        byte[] k = new byte[32];
        java.util.Arrays.fill(k, (byte) seed);
        return k;
    }

    private static byte[] bytes(String ip) {
        try {
            return InetAddress.getByName(ip).getAddress();
        } catch (java.net.UnknownHostException e) {
            throw new AssertionError(e);
        }
    }

    private static byte[] pad(byte[] ip) {
        return java.util.Arrays.copyOf(ip, 16);
    }

    private static String ip(byte[] a) {
        try {
            return InetAddress.getByAddress(a).getHostAddress();
        } catch (java.net.UnknownHostException e) {
            throw new AssertionError(e);
        }
    }

    private static int ipv4(String ip) {
        byte[] b = bytes(ip);
        return (b[0] & 0xFF) << 24 | (b[1] & 0xFF) << 16 | (b[2] & 0xFF) << 8 | (b[3] & 0xFF);
    }

    /** Records what the conductor asks of the kernel side. */
    private static final class FakeDataPath implements DataPath {
        final AeadScratch scratch = new AeadScratch();
        int mtu;
        List<IpPrefix> addresses;
        String refuseNext;
        final List<IpPrefix> kernelRoutes = new ArrayList<>();
        InetSocketAddress injectedTo;
        int injectedLength;

        @Override
        public void configure(int newMtu, List<IpPrefix> newAddresses) {
            if (refuseNext != null) {
                String m = refuseNext;
                refuseNext = null;
                throw new IllegalArgumentException(m);
            }
            mtu = newMtu;
            addresses = newAddresses;
        }

        @Override
        public void addRoute(IpPrefix prefix) {
            if (!kernelRoutes.contains(prefix)) {
                kernelRoutes.add(prefix);
            }
        }

        @Override
        public void removeRoute(IpPrefix prefix) {
            kernelRoutes.remove(prefix);
        }

        @Override
        public boolean configured() {
            return addresses != null;
        }

        @Override
        public AeadScratch scratch(int peerSlot) {
            return scratch;
        }

        @Override
        public void inject(InetSocketAddress to, DirectBuffer payload, int offset, int length) {
            injectedTo = to;
            injectedLength = length;
        }

        @Override
        public void close() {
            scratch.wipe();
        }
    }
}
