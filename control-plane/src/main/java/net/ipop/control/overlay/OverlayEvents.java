package net.ipop.control.overlay;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;

import net.ipop.control.ipc.EventListener;
import net.ipop.control.node.NodeEvents;
import net.ipop.ipc.sbe.AddressFamily;
import net.ipop.ipc.sbe.CommandResultDecoder;
import net.ipop.ipc.sbe.EndpointDecoder;
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
    static final int STUN_MAGIC_COOKIE = 0x2112A442;
    static final int STUN_HEADER = 20;
    static final int CHANNEL_DATA_HEADER = RelayingPort.CHANNEL_DATA_HEADER;
    private static final int MAX_PAYLOAD = 65536;

    private final OverlayNode overlay;
    private final NodeEvents handshakes;
    private final byte[] payload = new byte[MAX_PAYLOAD];
    private final byte[] address = new byte[16];
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
        InetSocketAddress from = endpoint(event.source());
        int length = event.payloadLength();
        if (from == null || length > MAX_PAYLOAD) {
            event.skipPayload();
            return;
        }
        event.getPayload(payload, 0, length);
        if (isChannelData(payload, length) && !isStun(payload, CHANNEL_DATA_HEADER, length - CHANNEL_DATA_HEADER)) {
            // A handshake through our TURN allocation, punted whole: unwrap it for the peer of its channel.
            int channel = (payload[0] & 0xFF) << 8 | payload[1] & 0xFF;
            int inner = (payload[2] & 0xFF) << 8 | payload[3] & 0xFF;
            InetSocketAddress peer = overlay.relays().peerFor(from, channel);
            if (peer == null) {
                unattributed++;
                return;
            }
            overlay.node().onPunted(peer, payload, CHANNEL_DATA_HEADER, inner);
        } else if (isStun(payload, 0, length) || isChannelData(payload, length)) {
            overlay.transport().punted(from, local, payload, 0, length);
        } else {
            overlay.node().onPunted(from, payload, 0, length);
        }
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

    /** STUN (RFC 8489 section 5): two zero top bits, a body length that is a multiple of 4 and fits, the cookie. */
    static boolean isStun(byte[] b, int off, int len) {
        if (len < STUN_HEADER || (b[off] & 0xC0) != 0) {
            return false;
        }
        int bodyLength = (b[off + 2] & 0xFF) << 8 | b[off + 3] & 0xFF;
        int cookie = (b[off + 4] & 0xFF) << 24 | (b[off + 5] & 0xFF) << 16 | (b[off + 6] & 0xFF) << 8
                | b[off + 7] & 0xFF;
        return cookie == STUN_MAGIC_COOKIE && (bodyLength & 3) == 0 && STUN_HEADER + bodyLength <= len;
    }

    /** TURN ChannelData (RFC 8656 section 12.4): a channel number 0x4000..0x4FFF, then a length that fits. */
    static boolean isChannelData(byte[] b, int len) {
        if (len < CHANNEL_DATA_HEADER || (b[0] & 0xF0) != 0x40) {
            return false;
        }
        int dataLength = (b[2] & 0xFF) << 8 | b[3] & 0xFF;
        return CHANNEL_DATA_HEADER + dataLength <= len;
    }

    private InetSocketAddress endpoint(EndpointDecoder source) {
        AddressFamily family = source.family();
        int length = family == AddressFamily.IPV4 ? 4 : family == AddressFamily.IPV6 ? 16 : 0;
        if (length == 0) {
            return null;
        }
        source.getAddress(address, 0, 16);
        byte[] bytes = new byte[length];
        System.arraycopy(address, 0, bytes, 0, length);
        try {
            return new InetSocketAddress(InetAddress.getByAddress(bytes), source.port());
        } catch (UnknownHostException e) {
            throw new AssertionError("4 or 16 bytes are always an address", e);
        }
    }
}
