package net.ipop.control.overlay;

import java.net.InetSocketAddress;

import net.ipop.control.ice.StunPackets;
import net.ipop.control.ipc.Endpoints;
import net.ipop.control.ipc.EventListener;
import net.ipop.control.node.NodeEvents;
import net.ipop.ipc.sbe.CommandResultDecoder;
import net.ipop.ipc.sbe.PeerStateDecoder;
import net.ipop.ipc.sbe.PuntedPacketDecoder;
import net.ipop.ipc.sbe.SessionEventDecoder;
import net.ipop.ipc.sbe.StateDoneDecoder;

/**
 * Feeds the data plane's events to an overlay node: punted STUN and TURN ChannelData go to ICE (its
 * {@link net.ipop.control.ice.DataPlaneIceTransport}), every other punt and every session event to the
 * handshakes ({@link NodeEvents}, as in a static node). Punts are handshakes and ICE checks, not data, so
 * allocating per punt is fine. Threading: the node's thread.
 */
final class OverlayEvents implements EventListener {
    /** RFC 8489 section 6: the magic cookie every STUN message carries at bytes 4..7. */
    static final int CHANNEL_DATA_HEADER = RelayingPort.CHANNEL_DATA_HEADER;
    private static final int MAX_PAYLOAD = 65536;

    private final OverlayNode overlay;
    private final NodeEvents handshakes;
    private final byte[] payload = new byte[MAX_PAYLOAD];
    private long unattributed;

    OverlayEvents(OverlayNode overlay) {
        this.overlay = overlay;
        this.handshakes = new NodeEvents(overlay.node());
    }

    @Override
    public void onCommandResult(CommandResultDecoder event) {
        handshakes.onCommandResult(event);
    }

    @Override
    public void onPuntedPacket(PuntedPacketDecoder event) {
        int local = event.localPort();
        InetSocketAddress from = Endpoints.read(event.source());
        int length = event.payloadLength();
        if (from == null || length > MAX_PAYLOAD) {
            event.skipPayload();
            return;
        }
        event.getPayload(payload, 0, length);
        if (StunPackets.isChannelData(payload, 0, length)
                && !StunPackets.isStun(payload, CHANNEL_DATA_HEADER, length - CHANNEL_DATA_HEADER)) {
            // A handshake through our TURN allocation, punted whole: unwrap it for the peer of its channel.
            int channel = (payload[0] & 0xFF) << 8 | payload[1] & 0xFF;
            int inner = (payload[2] & 0xFF) << 8 | payload[3] & 0xFF;
            InetSocketAddress peer = overlay.relays().peerFor(from, channel);
            if (peer == null) {
                unattributed++;
                return;
            }
            overlay.node().onPunted(peer, payload, CHANNEL_DATA_HEADER, inner);
        } else if (StunPackets.isStun(payload, 0, length) || StunPackets.isChannelData(payload, 0, length)) {
            overlay.transport().punted(from, local, payload, 0, length);
        } else {
            overlay.node().onPunted(from, payload, 0, length);
        }
    }

    @Override
    public void onTrafficReport(net.ipop.ipc.sbe.TrafficReportDecoder event) {
        handshakes.onTrafficReport(event);
    }

    @Override
    public void onSessionEvent(SessionEventDecoder event) {
        handshakes.onSessionEvent(event);
    }

    @Override
    public void onPeerState(PeerStateDecoder event) {
        // Only answers to QueryState, which this node does not send.
    }

    @Override
    public void onStateDone(StateDoneDecoder event) {
        // As onPeerState.
    }

    /** ChannelData frames punted with a handshake inside whose channel is no relayed peer's, so far. */
    long unattributed() {
        return unattributed;
    }
}
