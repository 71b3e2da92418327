package net.ipop.control.ice;

import java.io.ByteArrayOutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.security.SecureRandom;

/**
 * Builds the TURN client messages a {@link SharedAllocation} sends (RFC 8656: Allocate, Refresh,
 * CreatePermission, ChannelBind requests and Send indications) and reads the address attributes of what comes
 * back. The layout is STUN's (RFC 8489 section 5, {@link StunPackets}): a 20-byte header, then type-length-value
 * attributes padded to 4 bytes, network byte order; a request with a {@link TurnRefresh.Credential} ends with
 * USERNAME, REALM, NONCE and MESSAGE-INTEGRITY (section 9.2).
 *
 * <p>Not on the packet path: control messages and ICE checks only (the data flows in the data plane), so it
 * allocates freely. Not thread-safe: one builder per message.
 */
final class TurnMessage {
    static final int ALLOCATE_REQUEST = 0x0003;
    static final int ALLOCATE_SUCCESS = 0x0103;
    static final int CREATE_PERMISSION_REQUEST = 0x0008;
    static final int CREATE_PERMISSION_SUCCESS = 0x0108;
    static final int CHANNEL_BIND_SUCCESS = StunPackets.CHANNEL_BIND_SUCCESS;
    static final int SEND_INDICATION = 0x0016;
    static final int DATA_INDICATION = 0x0017;

    static final int ATTR_DATA = 0x0013;
    static final int ATTR_XOR_RELAYED_ADDRESS = 0x0016;
    static final int ATTR_REQUESTED_TRANSPORT = 0x0019;
    static final int ATTR_XOR_MAPPED_ADDRESS = 0x0020;

    /** REQUESTED-TRANSPORT's protocol number for UDP (RFC 8656 section 14.7). */
    private static final int UDP = 17;
    private static final SecureRandom RANDOM = new SecureRandom();

    private final int type;
    private final byte[] header = new byte[StunPackets.HEADER];
    private final ByteArrayOutputStream attributes = new ByteArrayOutputStream();

    /** A message of {@code type} with a fresh random transaction id. */
    TurnMessage(int type) {
        this.type = type;
        byte[] id = new byte[StunPackets.TRANSACTION_LENGTH];
        RANDOM.nextBytes(id);
        put32(header, StunPackets.COOKIE_OFFSET, StunPackets.MAGIC_COOKIE);
        System.arraycopy(id, 0, header, StunPackets.TRANSACTION_OFFSET, id.length);
    }

    /** An Allocate request for a UDP relay (RFC 8656 section 7.1). */
    static TurnMessage allocate(int lifetimeSeconds) {
        return new TurnMessage(ALLOCATE_REQUEST).attribute(ATTR_REQUESTED_TRANSPORT, new byte[] {UDP, 0, 0, 0})
                .lifetime(lifetimeSeconds);
    }

    /** A Refresh request (section 7.2); lifetime 0 deletes the allocation. */
    static TurnMessage refresh(int lifetimeSeconds) {
        return new TurnMessage(TurnRefresh.REFRESH_REQUEST).lifetime(lifetimeSeconds);
    }

    /** A ChannelBind request (section 11.1): binds {@code channel} to {@code peer}, which installs its permission. */
    static TurnMessage channelBind(int channel, InetSocketAddress peer) {
        return new TurnMessage(StunPackets.CHANNEL_BIND_REQUEST)
                .attribute(StunPackets.ATTR_CHANNEL_NUMBER, new byte[] {(byte) (channel >>> 8), (byte) channel, 0, 0})
                .xorAddress(StunPackets.ATTR_XOR_PEER_ADDRESS, peer);
    }

    /** A CreatePermission request (section 9.1) for {@code peer}'s IP address. */
    static TurnMessage createPermission(InetSocketAddress peer) {
        return new TurnMessage(CREATE_PERMISSION_REQUEST).xorAddress(StunPackets.ATTR_XOR_PEER_ADDRESS, peer);
    }

    /** A Send indication (section 10.1): {@code data[off, off + len)} to {@code peer} through the relay. */
    static byte[] send(InetSocketAddress peer, byte[] data, int off, int len) {
        byte[] value = new byte[len];
        System.arraycopy(data, off, value, 0, len);
        return new TurnMessage(SEND_INDICATION).xorAddress(StunPackets.ATTR_XOR_PEER_ADDRESS, peer)
                .attribute(ATTR_DATA, value).build(null);
    }

    /** ChannelData (section 12.4): the 4-byte header, then the data, padded to 4 bytes as over UDP is allowed. */
    static byte[] channelData(int channel, byte[] data, int off, int len) {
        byte[] frame = new byte[StunPackets.CHANNEL_DATA_HEADER + len];
        put16(frame, 0, channel);
        put16(frame, 2, len);
        System.arraycopy(data, off, frame, StunPackets.CHANNEL_DATA_HEADER, len);
        return frame;
    }

    TurnMessage lifetime(int seconds) {
        byte[] v = new byte[4];
        put32(v, 0, seconds);
        return attribute(TurnRefresh.ATTR_LIFETIME, v);
    }

    TurnMessage attribute(int attributeType, byte[] value) {
        byte[] tl = new byte[4];
        put16(tl, 0, attributeType);
        put16(tl, 2, value.length);
        attributes.writeBytes(tl);
        attributes.writeBytes(value);
        attributes.writeBytes(new byte[(4 - (value.length & 3)) & 3]);
        return this;
    }

    /** An XOR-*-ADDRESS attribute (RFC 8489 section 14.2): port and address xor the cookie (and id for IPv6). */
    TurnMessage xorAddress(int attributeType, InetSocketAddress address) {
        byte[] ip = address.getAddress().getAddress();
        byte[] v = new byte[4 + ip.length];
        v[1] = (byte) (ip.length == 4 ? 1 : 2);
        put16(v, 2, address.getPort() ^ (StunPackets.MAGIC_COOKIE >>> 16));
        for (int i = 0; i < ip.length; i++) {
            v[4 + i] = (byte) (ip[i] ^ header[StunPackets.COOKIE_OFFSET + i]);
        }
        return attribute(attributeType, v);
    }

    /** The whole message; with {@code credential}, authenticated (MESSAGE-INTEGRITY over everything before it). */
    byte[] build(TurnRefresh.Credential credential) {
        if (credential != null) {
            attribute(StunPackets.ATTR_USERNAME, credential.username());
            attribute(TurnRefresh.ATTR_REALM, credential.realm());
            attribute(TurnRefresh.ATTR_NONCE, credential.nonce());
        }
        byte[] body = attributes.toByteArray();
        int integrity = credential == null ? 0 : 4 + TurnRefresh.MESSAGE_INTEGRITY_LENGTH;
        byte[] m = new byte[StunPackets.HEADER + body.length + integrity];
        System.arraycopy(header, 0, m, 0, StunPackets.HEADER);
        put16(m, StunPackets.TYPE_OFFSET, type);
        put16(m, StunPackets.LENGTH_OFFSET, body.length + integrity);
        System.arraycopy(body, 0, m, StunPackets.HEADER, body.length);
        if (credential != null) {
            int p = StunPackets.HEADER + body.length;
            put16(m, p, TurnRefresh.ATTR_MESSAGE_INTEGRITY);
            put16(m, p + 2, TurnRefresh.MESSAGE_INTEGRITY_LENGTH);
            // The header's length already counts MESSAGE-INTEGRITY, as RFC 8489 section 14.5 wants for the HMAC.
            byte[] hmac = TurnRefresh.hmac(credential.key(), m, p);
            System.arraycopy(hmac, 0, m, p + 4, TurnRefresh.MESSAGE_INTEGRITY_LENGTH);
        }
        return m;
    }

    /** The address of the first XOR-*-ADDRESS attribute of {@code attributeType} in a message, or null. */
    static InetSocketAddress xorAddress(byte[] b, int off, int len, int attributeType) {
        int v = StunPackets.findAttribute(b, off, len, attributeType);
        if (v < 0) {
            return null;
        }
        int valueLength = StunPackets.uint16(b, v - 2);
        int family = b[v + 1] & 0xFF;
        int size = family == 1 ? 4 : family == 2 ? 16 : -1;
        if (size < 0 || valueLength < 4 + size) {
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

    /** LIFETIME in seconds, or -1 if absent. */
    static long lifetime(byte[] b, int off, int len) {
        int v = StunPackets.findAttribute(b, off, len, TurnRefresh.ATTR_LIFETIME);
        if (v < 0 || StunPackets.uint16(b, v - 2) < 4) {
            return -1;
        }
        return StunPackets.int32(b, v) & 0xFFFF_FFFFL;
    }

    private static void put16(byte[] b, int i, int v) {
        b[i] = (byte) (v >>> 8);
        b[i + 1] = (byte) v;
    }

    private static void put32(byte[] b, int i, int v) {
        put16(b, i, v >>> 16);
        put16(b, i + 2, v);
    }
}
