package net.ipop.control.ice;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.HashMap;
import java.util.Map;

/**
 * The TURN channels ice4j's relayed candidates have bound, learned by watching their ChannelBind requests
 * go out and the success responses come back (RFC 8656 section 11). ice4j keeps its channel table private;
 * the data plane needs the number to frame relayed data as ChannelData itself.
 *
 * <p>Threading: all methods synchronized; called from ice4j's sending threads and the receiving thread.
 */
final class ChannelBindings {
    private record Binding(InetSocketAddress server, InetSocketAddress peer, int channel) {
    }

    private record Key(InetSocketAddress server, InetSocketAddress peer) {
    }

    private final Map<StunPackets.TransactionKey, Binding> pending = new HashMap<>();
    private final Map<Key, Integer> bound = new HashMap<>();

    /** Looks at a datagram about to go to {@code to}; remembers it if it is a ChannelBind request. */
    synchronized void sent(InetSocketAddress to, byte[] b, int off, int len) {
        if (!StunPackets.isStun(b, off, len) || StunPackets.type(b, off) != StunPackets.CHANNEL_BIND_REQUEST) {
            return;
        }
        int ch = StunPackets.findAttribute(b, off, len, StunPackets.ATTR_CHANNEL_NUMBER);
        int pa = StunPackets.findAttribute(b, off, len, StunPackets.ATTR_XOR_PEER_ADDRESS);
        if (ch < 0 || pa < 0 || StunPackets.uint16(b, ch - 2) < 2) {
            return;
        }
        InetSocketAddress peer = xorAddress(b, off, pa, StunPackets.uint16(b, pa - 2));
        if (peer != null) {
            if (pending.size() > 256) {
                pending.clear(); // unanswered binds of long ago; ice4j retries what still matters
            }
            pending.put(StunPackets.transaction(b, off), new Binding(to, peer, StunPackets.uint16(b, ch)));
        }
    }

    /** Looks at a datagram that arrived from {@code from}; confirms a binding on its success response. */
    synchronized void received(InetSocketAddress from, byte[] b, int off, int len) {
        if (!StunPackets.isStun(b, off, len) || StunPackets.type(b, off) != StunPackets.CHANNEL_BIND_SUCCESS) {
            return;
        }
        StunPackets.TransactionKey tx = StunPackets.transaction(b, off);
        Binding binding = pending.get(tx);
        if (binding != null && binding.server.equals(from)) {
            pending.remove(tx);
            bound.put(new Key(binding.server, binding.peer), binding.channel);
        }
    }

    /** The channel bound on {@code server} for {@code peer}, or -1. */
    synchronized int channel(InetSocketAddress server, InetSocketAddress peer) {
        return bound.getOrDefault(new Key(server, peer), -1);
    }

    /** XOR-PEER-ADDRESS (RFC 8489 section 14.2): port xor the cookie's top half, address xor cookie + id. */
    private static InetSocketAddress xorAddress(byte[] b, int off, int v, int len) {
        int family = b[v + 1] & 0xFF;
        int size = family == 1 ? 4 : family == 2 ? 16 : -1;
        if (size < 0 || len < 4 + size) {
            return null;
        }
        int port = StunPackets.uint16(b, v + 2) ^ (StunPackets.MAGIC_COOKIE >>> 16);
        byte[] address = new byte[size];
        for (int i = 0; i < size; i++) {
            // The mask is the cookie followed by the transaction id: the 16 bytes from offset 4.
            address[i] = (byte) (b[v + 4 + i] ^ b[off + StunPackets.COOKIE_OFFSET + i]);
        }
        try {
            return new InetSocketAddress(InetAddress.getByAddress(address), port);
        } catch (UnknownHostException e) {
            return null;
        }
    }
}
