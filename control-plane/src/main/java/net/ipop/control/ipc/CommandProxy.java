package net.ipop.control.ipc;

import net.ipop.ipc.Offers;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.LongSupplier;

import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import io.aeron.Publication;
import net.ipop.ipc.sbe.AddPeerEncoder;
import net.ipop.ipc.sbe.AddRouteEncoder;
import net.ipop.ipc.sbe.AddressFamily;
import net.ipop.ipc.sbe.BooleanType;
import net.ipop.ipc.sbe.ConfigureInterfaceEncoder;
import net.ipop.ipc.sbe.EndpointEncoder;
import net.ipop.ipc.sbe.InjectPacketEncoder;
import net.ipop.ipc.sbe.InstallSessionEncoder;
import net.ipop.ipc.sbe.MessageHeaderEncoder;
import net.ipop.ipc.sbe.PathKind;
import net.ipop.ipc.sbe.QueryStateEncoder;
import net.ipop.ipc.sbe.SetTrafficReportEncoder;
import net.ipop.ipc.sbe.RemovePeerEncoder;
import net.ipop.ipc.sbe.RemoveRouteEncoder;
import net.ipop.ipc.sbe.RouteKind;
import net.ipop.ipc.sbe.RetireSessionEncoder;
import net.ipop.ipc.sbe.SetEndpointEncoder;
import net.ipop.ipc.sbe.Suite;

/**
 * Sends commands to the data plane: each method takes a fresh correlation id, encodes one SBE message into
 * this proxy's preallocated buffer and offers it, retrying on back pressure for at most a bounded time. It
 * returns the correlation id the data plane's CommandResult will carry, or {@link #NOT_SENT} when the command
 * was not delivered (counted in {@link #notDelivered()}, reason in {@link #lastFailure()}); it never waits
 * unboundedly.
 *
 * <p>Why a time bound and not only a count of retries: a data plane that has just started (or restarted) has
 * a connected publication whose limit its driver's conductor has not yet advanced, and on a loaded two-core
 * machine that can take milliseconds; a burst of yields ends long before. Losing the state push that follows a
 * restart would leave the node silently without peers, so a command waits up to the back-pressure budget. Once
 * one command has used up the whole budget, later ones only retry briefly until one is delivered again, so a
 * stuck data plane does not stall the caller for the budget per command.
 *
 * <p>uint32 fields of the schema (peer ids, session indices, keepalive) are passed as {@code long}s holding
 * 0..2^32-1. Keys are exactly 32 bytes. Arguments are read during the call only.
 *
 * <p>Threading: one thread per proxy (the buffer is the proxy's).
 */
public final class CommandProxy {
    /** Returned instead of a correlation id when a command was not delivered. */
    public static final long NOT_SENT = -1;
    /** Retries on back pressure unless told otherwise. */
    public static final int DEFAULT_MAX_RETRIES = 100;
    /** How long a command may wait out back pressure unless told otherwise. */
    public static final Duration DEFAULT_BACK_PRESSURE_BUDGET = Duration.ofSeconds(2);
    private static final long BACK_PRESSURE_PAUSE_NANOS = TimeUnit.MICROSECONDS.toNanos(200);
    /** Room for the largest command: an InjectPacket with the schema's 65536-byte maximum payload. */
    static final int BUFFER_LENGTH = 65536 + 256;
    private static final int KEY_LENGTH = 32;
    private static final byte[] NO_ADDRESS = new byte[0];
    /** TURN channel numbers (RFC 8656 section 12). */
    private static final int MIN_CHANNEL = 0x4000;
    private static final int MAX_CHANNEL = 0x4FFF;

    private final Publication commands;
    private final LongSupplier correlationIds;
    private final int maxRetries;
    private final long backPressureBudgetNanos;
    private boolean budgetSpent;
    private final UnsafeBuffer buffer = new UnsafeBuffer(new byte[BUFFER_LENGTH]);
    private final MessageHeaderEncoder header = new MessageHeaderEncoder();
    private final ConfigureInterfaceEncoder configureInterface = new ConfigureInterfaceEncoder();
    private final AddPeerEncoder addPeer = new AddPeerEncoder();
    private final RemovePeerEncoder removePeer = new RemovePeerEncoder();
    private final SetEndpointEncoder setEndpoint = new SetEndpointEncoder();
    private final InstallSessionEncoder installSession = new InstallSessionEncoder();
    private final RetireSessionEncoder retireSession = new RetireSessionEncoder();
    private final AddRouteEncoder addRoute = new AddRouteEncoder();
    private final RemoveRouteEncoder removeRoute = new RemoveRouteEncoder();
    private final InjectPacketEncoder injectPacket = new InjectPacketEncoder();
    private final QueryStateEncoder queryState = new QueryStateEncoder();
    private final SetTrafficReportEncoder setTrafficReport = new SetTrafficReportEncoder();
    private long notDelivered;
    private long lastFailure;

    /**
     * @param commands       the command publication (stream {@link IpcStreams#COMMAND_STREAM_ID})
     * @param correlationIds source of ids unique among everyone reading the event stream; the connection
     *                       passes {@code Aeron::nextCorrelationId}, unique across all clients of the driver,
     *                       so a CLI and a daemon talking to one data plane never match each other's answers
     * @param maxRetries     offers retried at once (yielding) at most this many times on
     *                       {@code BACK_PRESSURED}/{@code ADMIN_ACTION}
     * @param backPressureBudget how long after that a command keeps retrying, pausing between offers; zero for
     *                       none
     */
    public CommandProxy(Publication commands, LongSupplier correlationIds, int maxRetries,
                        Duration backPressureBudget) {
        if (maxRetries < 0) {
            throw new IllegalArgumentException("maxRetries must not be negative: " + maxRetries);
        }
        if (backPressureBudget.isNegative()) {
            throw new IllegalArgumentException("backPressureBudget must not be negative: " + backPressureBudget);
        }
        this.commands = commands;
        this.correlationIds = correlationIds;
        this.maxRetries = maxRetries;
        this.backPressureBudgetNanos = backPressureBudget.toNanos();
    }

    /** Sets the interface MTU and its overlay addresses, replacing the previous set. */
    public long configureInterface(int mtu, List<OverlayAddress> addresses) {
        long id = correlationIds.getAsLong();
        configureInterface.wrapAndApplyHeader(buffer, 0, header).correlationId(id).mtu(mtu);
        ConfigureInterfaceEncoder.AddressesEncoder group = configureInterface.addressesCount(addresses.size());
        for (int i = 0; i < addresses.size(); i++) {
            OverlayAddress address = addresses.get(i);
            byte[] bytes = address.address().getAddress();
            group.next().family(family(address.address())).putAddress(bytes, 0, bytes.length)
                    .prefixLength((short) address.prefixLength());
        }
        return send(id, configureInterface.encodedLength());
    }

    /** Adds or updates a peer; {@code keepaliveIntervalMs} 0 means no keepalives. */
    public long addPeer(long peerId, Suite suite, long keepaliveIntervalMs, byte[] staticPublicKey, String name) {
        long id = correlationIds.getAsLong();
        addPeer.wrapAndApplyHeader(buffer, 0, header).correlationId(id).peerId(peerId).suite(suite)
                .keepaliveIntervalMs(keepaliveIntervalMs).putStaticPublicKey(key(staticPublicKey), 0, KEY_LENGTH)
                .name(name);
        return send(id, addPeer.encodedLength());
    }

    public long removePeer(long peerId) {
        long id = correlationIds.getAsLong();
        removePeer.wrapAndApplyHeader(buffer, 0, header).correlationId(id).peerId(peerId);
        return send(id, removePeer.encodedLength());
    }

    /** Where to send the peer's packets, and over what kind of path; not through a TURN relay of ours. */
    public long setEndpoint(long peerId, InetSocketAddress endpoint, PathKind path) {
        return setEndpoint(peerId, endpoint, path, null, 0);
    }

    /**
     * Where to send the peer's packets, and over what kind of path. With a {@code relayServer}, the peer is
     * reached through our allocation on that TURN server: datagrams go to {@code relayServer} framed as
     * ChannelData with {@code channel} (RFC 8656 section 12), and {@code endpoint} is the peer's address as
     * the TURN server sees it (the XOR-PEER-ADDRESS the channel is bound to).
     *
     * @param relayServer the TURN server, or {@code null} when not relayed by us
     * @param channel     the bound channel number, 0x4000-0x4FFF with a {@code relayServer}, else 0
     * @throws IllegalArgumentException if {@code channel} does not fit {@code relayServer} as said above
     */
    public long setEndpoint(long peerId, InetSocketAddress endpoint, PathKind path, InetSocketAddress relayServer,
            int channel) {
        if (relayServer == null ? channel != 0 : channel < MIN_CHANNEL || channel > MAX_CHANNEL) {
            throw new IllegalArgumentException("TURN channel " + channel + " with relay server " + relayServer
                    + ": a relayed endpoint needs a channel in 0x4000-0x4FFF, a direct one 0");
        }
        long id = correlationIds.getAsLong();
        setEndpoint.wrapAndApplyHeader(buffer, 0, header).correlationId(id).peerId(peerId).path(path);
        endpoint(setEndpoint.endpoint(), endpoint);
        endpoint(setEndpoint.relayServer(), relayServer);
        setEndpoint.channel(channel);
        return send(id, setEndpoint.encodedLength());
    }

    /** Installs the keys of a completed handshake; {@code createdAtNanos} on this host's monotonic clock. */
    public long installSession(long peerId, long localIndex, long remoteIndex, Suite suite, boolean initiator,
            long createdAtNanos, byte[] sendKey, byte[] receiveKey) {
        long id = correlationIds.getAsLong();
        installSession.wrapAndApplyHeader(buffer, 0, header).correlationId(id).peerId(peerId).localIndex(localIndex)
                .remoteIndex(remoteIndex).suite(suite).initiator(initiator ? BooleanType.TRUE : BooleanType.FALSE)
                .createdAtNanos(createdAtNanos).putSendKey(key(sendKey), 0, KEY_LENGTH)
                .putReceiveKey(key(receiveKey), 0, KEY_LENGTH);
        return send(id, installSession.encodedLength());
    }

    public long retireSession(long peerId, long localIndex) {
        long id = correlationIds.getAsLong();
        retireSession.wrapAndApplyHeader(buffer, 0, header).correlationId(id).peerId(peerId).localIndex(localIndex);
        return send(id, retireSession.encodedLength());
    }

    /** Routes the overlay prefix {@code prefix/prefixLength} through a peer and accepts it as a source from it. */
    public long addRoute(InetAddress prefix, int prefixLength, long peerId) {
        return addRoute(prefix, prefixLength, peerId, RouteKind.ROUTE_AND_SOURCE);
    }

    /**
     * Adds a route and/or source entry for {@code prefix/prefixLength} and a peer, as {@code kind} says: a route
     * (ROUTE_ONLY), a source the peer may send from (SOURCE_ONLY), or both (ROUTE_AND_SOURCE).
     */
    public long addRoute(InetAddress prefix, int prefixLength, long peerId, RouteKind kind) {
        long id = correlationIds.getAsLong();
        byte[] bytes = prefix.getAddress();
        addRoute.wrapAndApplyHeader(buffer, 0, header).correlationId(id).family(family(prefix))
                .putAddress(bytes, 0, bytes.length).prefixLength((short) prefixLength).peerId(peerId).kind(kind);
        return send(id, addRoute.encodedLength());
    }

    /** Removes the route of {@code prefix/prefixLength}, whatever its kind. */
    public long removeRoute(InetAddress prefix, int prefixLength) {
        return removeRoute(prefix, prefixLength, RouteKind.ROUTE_AND_SOURCE, 0);
    }

    /** Removes the route of the prefix, or with {@code SOURCE_ONLY} the peer's source entry for it. */
    public long removeRoute(InetAddress prefix, int prefixLength, RouteKind kind, long peerId) {
        long id = correlationIds.getAsLong();
        byte[] bytes = prefix.getAddress();
        removeRoute.wrapAndApplyHeader(buffer, 0, header).correlationId(id).family(family(prefix))
                .putAddress(bytes, 0, bytes.length).prefixLength((short) prefixLength).kind(kind).peerId(peerId);
        return send(id, removeRoute.encodedLength());
    }

    /** Sends {@code payload[offset, offset + length)} (at most 65536 bytes) from the data plane's UDP socket. */
    public long injectPacket(InetSocketAddress endpoint, DirectBuffer payload, int offset, int length) {
        long id = correlationIds.getAsLong();
        injectPacket.wrapAndApplyHeader(buffer, 0, header).correlationId(id);
        endpoint(injectPacket.endpoint(), endpoint);
        injectPacket.putPayload(payload, offset, length);
        return send(id, injectPacket.encodedLength());
    }

    /** Asks for one PeerState per peer, then a StateDone, then the CommandResult. */
    public long queryState() {
        long id = correlationIds.getAsLong();
        queryState.wrapAndApplyHeader(buffer, 0, header).correlationId(id);
        return send(id, queryState.encodedLength());
    }

    /**
     * Asks for a TrafficReport every {@code intervalMs} for each route that carried {@code thresholdBytes} or more
     * in the interval (schema version 3); 0 for either turns the reports off.
     */
    public long setTrafficReport(long thresholdBytes, long intervalMs) {
        long id = correlationIds.getAsLong();
        setTrafficReport.wrapAndApplyHeader(buffer, 0, header).correlationId(id).thresholdBytes(thresholdBytes)
                .intervalMs(intervalMs);
        return send(id, setTrafficReport.encodedLength());
    }

    /** Commands not delivered so far. */
    public long notDelivered() {
        return notDelivered;
    }

    /** The Aeron code of the last failed offer (e.g. {@link Publication#NOT_CONNECTED}), 0 if none yet. */
    public long lastFailure() {
        return lastFailure;
    }

    /** Whether an offer failed for a reason that passes by itself (the reader or the driver catching up). */
    private static boolean passes(long result) {
        return result == Publication.BACK_PRESSURED || result == Publication.ADMIN_ACTION;
    }

    private static AddressFamily family(InetAddress address) {
        return address instanceof Inet4Address ? AddressFamily.IPV4 : AddressFamily.IPV6;
    }

    private static void endpoint(EndpointEncoder encoder, InetSocketAddress endpoint) {
        if (endpoint == null) {
            encoder.family(AddressFamily.NONE).port(0).putAddress(NO_ADDRESS, 0, 0);
            return;
        }
        InetAddress address = endpoint.getAddress();
        if (address == null) {
            throw new IllegalArgumentException("unresolved endpoint: " + endpoint);
        }
        byte[] bytes = address.getAddress();
        encoder.family(family(address)).port(endpoint.getPort()).putAddress(bytes, 0, bytes.length);
    }

    private static byte[] key(byte[] key) {
        if (key.length != KEY_LENGTH) {
            throw new IllegalArgumentException("a key is 32 bytes, not " + key.length);
        }
        return key;
    }

    private long send(long correlationId, int bodyLength) {
        int length = MessageHeaderEncoder.ENCODED_LENGTH + bodyLength;
        long result = Offers.offer(commands, buffer, length, maxRetries);
        if (passes(result) && !budgetSpent && backPressureBudgetNanos > 0) {
            long deadline = System.nanoTime() + backPressureBudgetNanos;
            do {
                LockSupport.parkNanos(BACK_PRESSURE_PAUSE_NANOS);
                result = Offers.offer(commands, buffer, length, 0);
            } while (passes(result) && System.nanoTime() - deadline < 0);
            budgetSpent = result <= 0;
        }
        if (result > 0) {
            budgetSpent = false;
            return correlationId;
        }
        notDelivered++;
        lastFailure = result;
        return NOT_SENT;
    }
}
