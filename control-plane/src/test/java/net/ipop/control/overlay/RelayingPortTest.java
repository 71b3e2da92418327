package net.ipop.control.overlay;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import org.junit.jupiter.api.Test;

import net.ipop.control.ice.StunPackets;
import net.ipop.control.node.DataPlanePort;
import net.ipop.crypto.Suite;
import net.ipop.crypto.cert.IpPrefix;
import net.ipop.crypto.noise.SessionKeys;

/** Handshakes to a relayed peer leave framed as ChannelData to its TURN server; others pass unchanged. */
class RelayingPortTest {
    private static final InetSocketAddress TURN = new InetSocketAddress("203.0.113.100", 3478);
    private static final InetSocketAddress PEER = new InetSocketAddress("203.0.113.100", 50000);
    private static final InetSocketAddress DIRECT = new InetSocketAddress("203.0.113.6", 51820);

    /** What the port below was told, one line per command; injected bytes kept. */
    private static final class Recording implements DataPlanePort {
        final List<String> commands = new ArrayList<>();
        final List<byte[]> injected = new ArrayList<>();

        @Override
        public void configureInterface(int mtu, List<IpPrefix> addresses) {
            commands.add("interface");
        }

        @Override
        public void addPeer(int peerId, String name, Suite suite, int keepaliveMs, byte[] staticKey) {
            commands.add("peer " + peerId);
        }

        @Override
        public void removePeer(int peerId) {
            commands.add("remove " + peerId);
        }

        @Override
        public void setEndpoint(int peerId, InetSocketAddress endpoint) {
            commands.add("endpoint " + peerId + " " + endpoint);
        }

        @Override
        public void setRelayedEndpoint(int peerId, InetSocketAddress turnServer, int channel,
                InetSocketAddress peerRelayed) {
            commands.add("relayed " + peerId + " " + turnServer + " 0x" + Integer.toHexString(channel) + " "
                    + peerRelayed);
        }

        @Override
        public void addRoute(IpPrefix prefix, int peerId) {
            commands.add("route " + prefix);
        }

        @Override
        public void installSession(int peerId, SessionKeys keys) {
            commands.add("session " + peerId);
        }

        @Override
        public void retireSession(int peerId, int localIndex) {
            commands.add("retire " + peerId);
        }

        @Override
        public void inject(InetSocketAddress to, byte[] bytes, int off, int len) {
            commands.add("inject " + to + " " + len);
            injected.add(Arrays.copyOfRange(bytes, off, off + len));
        }
    }

    @Test
    void aRelayedPeersEndpointAndHandshakesGoThroughItsTurnChannel() {
        Recording below = new Recording();
        RelayingPort port = new RelayingPort(below);
        port.relay(PEER, TURN, 0x4001);
        port.setEndpoint(1, PEER);
        byte[] handshake = {1, 0, 0, 0, 9, 8, 7};
        port.inject(PEER, handshake, 0, handshake.length);

        assertEquals(List.of("relayed 1 " + TURN + " 0x4001 " + PEER, "inject " + TURN + " 11"), below.commands);
        byte[] frame = below.injected.getFirst();
        assertArrayEquals(new byte[] {0x40, 0x01, 0, 7}, Arrays.copyOf(frame, 4), "channel and length, big-endian");
        assertArrayEquals(handshake, Arrays.copyOfRange(frame, 4, frame.length));
        assertEquals(PEER, port.peerFor(TURN, 0x4001));
        assertNull(port.peerFor(TURN, 0x4002));
        assertTrue(StunPackets.isChannelData(frame, 0, frame.length), "what we frame is what we recognise");
    }

    @Test
    void aDirectPeerAndAPeerMovedBackToDirectPassUnchanged() {
        Recording below = new Recording();
        RelayingPort port = new RelayingPort(below);
        port.relay(PEER, TURN, 0x4001);
        port.direct(PEER);
        port.setEndpoint(1, PEER);
        port.setEndpoint(2, DIRECT);
        port.inject(DIRECT, new byte[] {1, 0, 0, 0}, 0, 4);
        assertEquals(List.of("endpoint 1 " + PEER, "endpoint 2 " + DIRECT, "inject " + DIRECT + " 4"),
                below.commands);
        assertNull(port.peerFor(TURN, 0x4001), "the channel is forgotten with the relay");
    }

    @Test
    void stunChannelDataAndHandshakesAreToldApart() {
        // A STUN binding request: type 0x0001, length 0, the magic cookie, a transaction id.
        byte[] stun = new byte[20];
        stun[1] = 1;
        stun[4] = 0x21;
        stun[5] = 0x12;
        stun[6] = (byte) 0xA4;
        stun[7] = 0x42;
        assertTrue(StunPackets.isStun(stun, 0, stun.length));
        assertFalse(StunPackets.isChannelData(stun, 0, stun.length));
        // A handshake initiation's first bytes are type 1 then zeros: no cookie, so not STUN.
        byte[] initiation = new byte[148];
        initiation[0] = 1;
        assertFalse(StunPackets.isStun(initiation, 0, initiation.length));
        assertFalse(StunPackets.isChannelData(initiation, 0, initiation.length));
        // ChannelData whose length claims more than arrived is not ChannelData.
        assertFalse(StunPackets.isChannelData(new byte[] {0x40, 0x01, 0, 9, 1, 2}, 0, 6));
        // STUN inside ChannelData (a check over the relay) is seen at offset 4.
        byte[] wrapped = new byte[24];
        wrapped[0] = 0x40;
        wrapped[1] = 0x01;
        wrapped[3] = 20;
        System.arraycopy(stun, 0, wrapped, 4, 20);
        assertTrue(StunPackets.isChannelData(wrapped, 0, wrapped.length));
        assertTrue(StunPackets.isStun(wrapped, 4, 20));
    }
}
