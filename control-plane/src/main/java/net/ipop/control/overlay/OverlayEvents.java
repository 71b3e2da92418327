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
    private static final int MAX_PAYLOAD = 65536;

    private final OverlayNode overlay;
    private final NodeEvents handshakes;
    private final byte[] payload = new byte[MAX_PAYLOAD];
    private final byte[] address = new byte[16];

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
        if (isIce(payload, length)) {
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

    /**
     * STUN (RFC 8489 section 5: two zero top bits, a length that is a multiple of 4 and fits, the magic cookie)
     * or TURN ChannelData (RFC 8656 section 12: a channel number 0x4000..0x4FFF, then a length that fits).
     */
    static boolean isIce(byte[] b, int len) {
        if (len >= STUN_HEADER && (b[0] & 0xC0) == 0) {
            int bodyLength = (b[2] & 0xFF) << 8 | b[3] & 0xFF;
            int cookie = (b[4] & 0xFF) << 24 | (b[5] & 0xFF) << 16 | (b[6] & 0xFF) << 8 | b[7] & 0xFF;
            return cookie == STUN_MAGIC_COOKIE && (bodyLength & 3) == 0 && STUN_HEADER + bodyLength <= len;
        }
        if (len >= 4 && (b[0] & 0xF0) == 0x40) {
            int dataLength = (b[2] & 0xFF) << 8 | b[3] & 0xFF;
            return 4 + dataLength <= len;
        }
        return false;
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
