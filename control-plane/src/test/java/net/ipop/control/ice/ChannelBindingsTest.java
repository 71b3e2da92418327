package net.ipop.control.ice;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;

import org.junit.jupiter.api.Test;

/** The channel table learns a binding from a ChannelBind request and its success response only. */
final class ChannelBindingsTest {
    private static final InetSocketAddress SERVER = new InetSocketAddress(address("203.0.113.100"), 3478);
    private static final byte[] TX = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};

    @Test
    void learnsTheChannelOfAnIpv4PeerOnlyWhenTheServerConfirmsIt() throws Exception {
        InetSocketAddress peer = new InetSocketAddress(address("198.51.100.7"), 40000);
        ChannelBindings table = new ChannelBindings();
        byte[] request = channelBind(0x4001, peer, TX);
        table.sent(SERVER, request, 0, request.length);
        assertEquals(-1, table.channel(SERVER, peer), "not bound before the server answers");

        byte[] other = header(StunPackets.CHANNEL_BIND_SUCCESS, 0, new byte[12]);
        table.received(SERVER, other, 0, other.length);
        assertEquals(-1, table.channel(SERVER, peer), "another transaction's answer binds nothing");

        byte[] success = header(StunPackets.CHANNEL_BIND_SUCCESS, 0, TX);
        table.received(new InetSocketAddress(address("203.0.113.99"), 3478), success, 0, success.length);
        assertEquals(-1, table.channel(SERVER, peer), "an answer from another server binds nothing");

        table.received(SERVER, success, 0, success.length);
        assertEquals(0x4001, table.channel(SERVER, peer));
    }

    @Test
    void decodesAnIpv6PeerAddress() throws Exception {
        InetSocketAddress peer = new InetSocketAddress(address("2001:db8::42"), 5000);
        ChannelBindings table = new ChannelBindings();
        byte[] request = channelBind(0x4FFF, peer, TX);
        table.sent(SERVER, request, 0, request.length);
        byte[] success = header(StunPackets.CHANNEL_BIND_SUCCESS, 0, TX);
        table.received(SERVER, success, 0, success.length);
        assertEquals(0x4FFF, table.channel(SERVER, peer));
    }

    /** A ChannelBind request (RFC 8656 section 11.1): CHANNEL-NUMBER, then XOR-PEER-ADDRESS. */
    private static byte[] channelBind(int channel, InetSocketAddress peer, byte[] tx) {
        byte[] a = peer.getAddress().getAddress();
        int attrs = 8 + 4 + 4 + a.length;
        ByteBuffer b = ByteBuffer.wrap(header(StunPackets.CHANNEL_BIND_REQUEST, attrs, tx));
        b.position(StunPackets.HEADER);
        b.putShort((short) StunPackets.ATTR_CHANNEL_NUMBER).putShort((short) 4);
        b.putShort((short) channel).putShort((short) 0);
        b.putShort((short) StunPackets.ATTR_XOR_PEER_ADDRESS).putShort((short) (4 + a.length));
        b.put((byte) 0).put((byte) (a.length == 4 ? 1 : 2)).putShort((short) (peer.getPort() ^ 0x2112));
        byte[] mask = ByteBuffer.allocate(16).putInt(StunPackets.MAGIC_COOKIE).put(tx).array();
        for (int i = 0; i < a.length; i++) {
            b.put((byte) (a[i] ^ mask[i]));
        }
        return b.array();
    }

    private static byte[] header(int type, int length, byte[] tx) {
        ByteBuffer b = ByteBuffer.allocate(StunPackets.HEADER + length);
        b.putShort((short) type).putShort((short) length).putInt(StunPackets.MAGIC_COOKIE).put(tx);
        return b.array();
    }

    private static InetAddress address(String literal) {
        try {
            return InetAddress.getByName(literal);
        } catch (java.net.UnknownHostException e) {
            throw new IllegalArgumentException(e);
        }
    }
}
