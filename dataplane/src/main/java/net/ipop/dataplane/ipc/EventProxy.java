package net.ipop.dataplane.ipc;

import net.ipop.ipc.Offers;

import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import io.aeron.Publication;
import net.ipop.ipc.sbe.AddressFamily;
import net.ipop.ipc.sbe.BooleanType;
import net.ipop.ipc.sbe.CommandResultEncoder;
import net.ipop.ipc.sbe.EndpointEncoder;
import net.ipop.ipc.sbe.MessageHeaderEncoder;
import net.ipop.ipc.sbe.PathKind;
import net.ipop.ipc.sbe.PeerStateEncoder;
import net.ipop.ipc.sbe.PuntedPacketEncoder;
import net.ipop.ipc.sbe.Result;
import net.ipop.ipc.sbe.SessionEventEncoder;
import net.ipop.ipc.sbe.SessionEventKind;
import net.ipop.ipc.sbe.StateDoneEncoder;
import net.ipop.ipc.sbe.TrafficReportEncoder;

/**
 * Sends events to the control plane: each method encodes one SBE message into this proxy's own preallocated
 * buffer and offers it, retrying a bounded number of times on back pressure (see {@link #EventProxy(Publication,
 * int)}). A method returns {@code false} when the event was not delivered (no control plane connected,
 * back pressure that outlasted the retries, publication closed) and counts it in {@link #notDelivered()}; it
 * never throws for that and never waits unboundedly.
 *
 * <p>Threading: one proxy per thread (the buffer is the proxy's); several proxies may share one
 * {@link Publication}, which is thread-safe. No allocation per call except {@link #commandResult(long, Result,
 * String)} with a non-empty detail, which encodes the string.
 *
 * <p>Addresses are borrowed for the call: 4 bytes for {@link AddressFamily#IPV4}, 16 for {@link AddressFamily#IPV6},
 * none for {@link AddressFamily#NONE}, network order. Payload bytes are copied before the method returns.
 */
public final class EventProxy {
    /** Retries on back pressure unless told otherwise; small because the caller may be the packet path. */
    public static final int DEFAULT_MAX_RETRIES = 3;
    /** Room for the largest event: a punted packet with the schema's 65536-byte maximum payload. */
    static final int BUFFER_LENGTH = 65536 + 256;

    private static final byte[] NO_ADDRESS = new byte[0];
    private static final byte[] NO_KEY = new byte[32];

    private final Publication events;
    private final int maxRetries;
    private final UnsafeBuffer buffer = new UnsafeBuffer(new byte[BUFFER_LENGTH]);
    private final MessageHeaderEncoder header = new MessageHeaderEncoder();
    private final CommandResultEncoder commandResult = new CommandResultEncoder();
    private final PuntedPacketEncoder puntedPacket = new PuntedPacketEncoder();
    private final SessionEventEncoder sessionEvent = new SessionEventEncoder();
    private final PeerStateEncoder peerState = new PeerStateEncoder();
    private final StateDoneEncoder stateDone = new StateDoneEncoder();
    private final TrafficReportEncoder trafficReport = new TrafficReportEncoder();
    private long notDelivered;
    private long lastFailure;

    /**
     * @param events     the event publication (stream {@link IpcStreams#EVENT_STREAM_ID})
     * @param maxRetries offers retried at most this many times on {@code BACK_PRESSURED}/{@code ADMIN_ACTION}
     */
    public EventProxy(Publication events, int maxRetries) {
        if (maxRetries < 0) {
            throw new IllegalArgumentException("maxRetries must not be negative: " + maxRetries);
        }
        this.events = events;
        this.maxRetries = maxRetries;
    }

    public EventProxy(Publication events) {
        this(events, DEFAULT_MAX_RETRIES);
    }

    /** Answers a command; {@code detail} may be null or empty (then nothing is allocated). */
    public boolean commandResult(long correlationId, Result result, String detail) {
        commandResult.wrapAndApplyHeader(buffer, 0, header).correlationId(correlationId).result(result);
        if (detail == null || detail.isEmpty()) {
            commandResult.putDetail(buffer, 0, 0);
        } else {
            commandResult.detail(detail);
        }
        return send(MessageHeaderEncoder.ENCODED_LENGTH + commandResult.encodedLength());
    }

    /** Answers a command without detail. */
    public boolean commandResult(long correlationId, Result result) {
        return commandResult(correlationId, result, null);
    }

    /**
     * A non-data packet from the network for the control plane (handshake, STUN).
     *
     * @param receivedAtNanos monotonic receive time
     * @param address         the source address at {@code addressOffset}, network order, length by {@code family}
     * @param port            the source UDP port
     * @param localPort       the local UDP port it arrived on
     * @param payload         the packet bytes at {@code [payloadOffset, payloadOffset + payloadLength)}, at most 65536
     */
    public boolean puntedPacket(long receivedAtNanos, AddressFamily family, DirectBuffer address, int addressOffset,
            int port, int localPort, DirectBuffer payload, int payloadOffset, int payloadLength) {
        puntedPacket.wrapAndApplyHeader(buffer, 0, header).receivedAtNanos(receivedAtNanos);
        endpoint(puntedPacket.source(), family, address, addressOffset, port);
        puntedPacket.localPort(localPort).putPayload(payload, payloadOffset, payloadLength);
        return send(MessageHeaderEncoder.ENCODED_LENGTH + puntedPacket.encodedLength());
    }

    public boolean sessionEvent(long peerId, long localIndex, SessionEventKind kind) {
        sessionEvent.wrapAndApplyHeader(buffer, 0, header).peerId(peerId).localIndex(localIndex).kind(kind);
        return send(MessageHeaderEncoder.ENCODED_LENGTH + sessionEvent.encodedLength());
    }

    /**
     * One peer in answer to QueryState {@code correlationId}; times in monotonic nanoseconds, 0 = never. Without
     * the version 2 fields (key and sessions zero; see the other overload).
     */
    public boolean peerState(long correlationId, long peerId, AddressFamily family, DirectBuffer address,
            int addressOffset, int port, PathKind path, long currentLocalIndex, long sessionCreatedAtNanos,
            long txBytes, long rxBytes, long txPackets, long rxPackets, long lastReceiveNanos) {
        return peerState(correlationId, peerId, family, address, addressOffset, port, path, txBytes, rxBytes,
                txPackets, rxPackets, lastReceiveNanos, NO_KEY,
                new SessionState(currentLocalIndex, 0, sessionCreatedAtNanos, false), SessionState.NONE);
    }

    /**
     * One peer in answer to QueryState {@code correlationId}, with what a restarted control plane adopts it by:
     * its static key (32 bytes, borrowed for the call) and its current and previous sessions
     * ({@link SessionState#NONE} for none). Times in monotonic nanoseconds, 0 = never.
     */
    public boolean peerState(long correlationId, long peerId, AddressFamily family, DirectBuffer address,
            int addressOffset, int port, PathKind path, long txBytes, long rxBytes, long txPackets, long rxPackets,
            long lastReceiveNanos, byte[] staticKey, SessionState current, SessionState previous) {
        peerState.wrapAndApplyHeader(buffer, 0, header).correlationId(correlationId).peerId(peerId);
        endpoint(peerState.endpoint(), family, address, addressOffset, port);
        peerState.path(path).currentLocalIndex(current.localIndex()).sessionCreatedAtNanos(current.createdAtNanos())
                .txBytes(txBytes).rxBytes(rxBytes).txPackets(txPackets).rxPackets(rxPackets)
                .lastReceiveNanos(lastReceiveNanos)
                .putStaticPublicKey(staticKey, 0, staticKey.length)
                .currentRemoteIndex(current.remoteIndex()).currentInitiator(bool(current.initiator()))
                .previousLocalIndex(previous.localIndex()).previousRemoteIndex(previous.remoteIndex())
                .previousCreatedAtNanos(previous.createdAtNanos()).previousInitiator(bool(previous.initiator()));
        return send(MessageHeaderEncoder.ENCODED_LENGTH + peerState.encodedLength());
    }

    private static BooleanType bool(boolean value) {
        return value ? BooleanType.TRUE : BooleanType.FALSE;
    }

    /** Ends the answer to QueryState {@code correlationId}, after {@code peers} PeerStates. */
    public boolean stateDone(long correlationId, long peers) {
        stateDone.wrapAndApplyHeader(buffer, 0, header).correlationId(correlationId).peers(peers);
        return send(MessageHeaderEncoder.ENCODED_LENGTH + stateDone.encodedLength());
    }

    /**
     * A route's traffic crossed the reporting threshold (schema version 3): {@code bytes} inner bytes were routed
     * to the prefix through peer {@code peerId} in the last {@code intervalMs} milliseconds. The prefix's address
     * is borrowed for the call (4 or 16 bytes by {@code family}, network order).
     */
    public boolean trafficReport(AddressFamily family, byte[] address, int prefixLength, long peerId, long bytes,
            long intervalMs) {
        trafficReport.wrapAndApplyHeader(buffer, 0, header).family(family)
                .putAddress(address, 0, addressLength(family)).prefixLength((short) prefixLength).peerId(peerId)
                .bytes(bytes).intervalMs(intervalMs);
        return send(MessageHeaderEncoder.ENCODED_LENGTH + trafficReport.encodedLength());
    }

    /** Events not delivered so far. Read on the proxy's thread. */
    public long notDelivered() {
        return notDelivered;
    }

    /** The Aeron code of the last failed offer (e.g. {@link Publication#NOT_CONNECTED}), 0 if none yet. */
    public long lastFailure() {
        return lastFailure;
    }

    private static void endpoint(EndpointEncoder endpoint, AddressFamily family, DirectBuffer address,
            int addressOffset, int port) {
        endpoint.family(family).port(port);
        int length = addressLength(family);
        if (length == 0) {
            endpoint.putAddress(NO_ADDRESS, 0, 0);
        } else {
            endpoint.putAddress(address, addressOffset, length);
        }
    }

    static int addressLength(AddressFamily family) {
        return switch (family) {
            case IPV4 -> 4;
            case IPV6 -> 16;
            default -> 0;
        };
    }

    private boolean send(int length) {
        long result = Offers.offer(events, buffer, length, maxRetries);
        if (result > 0) {
            return true;
        }
        notDelivered++;
        lastFailure = result;
        return false;
    }
}
