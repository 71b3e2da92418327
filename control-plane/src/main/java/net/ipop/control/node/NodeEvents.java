package net.ipop.control.node;

import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.net.InetSocketAddress;

import net.ipop.control.ipc.Endpoints;
import net.ipop.control.ipc.EventListener;
import net.ipop.ipc.sbe.CommandResultDecoder;
import net.ipop.ipc.sbe.PeerStateDecoder;
import net.ipop.ipc.sbe.PuntedPacketDecoder;
import net.ipop.ipc.sbe.Result;
import net.ipop.ipc.sbe.SessionEventDecoder;
import net.ipop.ipc.sbe.StateDoneDecoder;
import net.ipop.ipc.sbe.TrafficReportDecoder;
import net.ipop.crypto.cert.IpPrefix;
import net.ipop.ipc.sbe.AddressFamily;

/**
 * Feeds the data plane's events to a {@link StaticNode}: punted packets (copied out of the borrowed
 * decoder into a buffer reused for every packet) and session events. A CommandResult other than OK is
 * counted and logged on the first failure after a success (its detail says what the data plane
 * refused). Punts arrive for handshakes only, so allocating the source address per punt is fine.
 * Threading: the polling thread, which is also the node's thread.
 */
public final class NodeEvents implements EventListener {
    private static final Logger LOG = System.getLogger(NodeEvents.class.getName());
    /** The schema's largest payload. */
    private static final int MAX_PAYLOAD = 65536;

    private final StaticNode node;
    private final byte[] payload = new byte[MAX_PAYLOAD];
    private long failedCommands;
    private long badPunts;
    private long badReports;
    private boolean failing;
    private EndpointTracker tracker;

    public NodeEvents(StaticNode node) {
        this.node = node;
    }

    @Override
    public void onCommandResult(CommandResultDecoder event) {
        if (event.result() == Result.OK) {
            failing = false;
            return;
        }
        failedCommands++;
        if (!failing) {
            failing = true;
            LOG.log(Level.WARNING, "the data plane refused command {0}: {1} {2} (further refusals are counted)",
                    event.correlationId(), event.result(), event.detail());
        }
    }

    @Override
    public void onPuntedPacket(PuntedPacketDecoder event) {
        InetSocketAddress from = Endpoints.read(event.source());
        int length = event.payloadLength();
        if (from == null || length > MAX_PAYLOAD) {
            badPunts++;
            return;
        }
        event.getPayload(payload, 0, length);
        node.onPunted(from, payload, 0, length);
    }

    @Override
    public void onSessionEvent(SessionEventDecoder event) {
        node.onSessionEvent((int) event.peerId(), (int) event.localIndex(), event.kind());
    }

    @Override
    public void onPeerState(PeerStateDecoder event) {
        // Answers to the node's own QueryState (endpoint tracking); the tracker ignores other clients' answers.
        if (tracker != null) {
            tracker.onPeerState(event);
        }
    }

    /** Hands PeerState answers to {@code t} from now on. */
    void trackEndpoints(EndpointTracker t) {
        this.tracker = t;
    }

    @Override
    public void onStateDone(StateDoneDecoder event) {
        // As onPeerState.
    }

    /** A route's traffic crossed the reporting threshold: for the node's link policy (on-demand links). */
    @Override
    public void onTrafficReport(TrafficReportDecoder event) {
        int length = event.family() == AddressFamily.IPV4 ? 4 : event.family() == AddressFamily.IPV6 ? 16 : 0;
        int prefixLength = event.prefixLength();
        if (length == 0 || prefixLength > length * 8) {
            badReports++;
            return;
        }
        byte[] address = new byte[length];
        event.getAddress(address, 0, length);
        node.onTrafficReport(IpPrefix.of(address, prefixLength), (int) event.peerId(), event.bytes(),
                (int) Math.min(Integer.MAX_VALUE, event.intervalMs()));
    }

    /** TrafficReports that named no IPv4 or IPv6 prefix so far. */
    public long badReports() {
        return badReports;
    }

    /** CommandResults other than OK so far. */
    public long failedCommands() {
        return failedCommands;
    }

    /** Punted packets without a usable source so far. */
    public long badPunts() {
        return badPunts;
    }

}
