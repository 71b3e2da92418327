package net.ipop.dataplane.pipeline;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Arrays;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The least of a TURN client (RFC 8656 over UDP, RFC 8489 long-term credentials) a test needs to set a
 * relay up for the data plane: Allocate, then ChannelBind, from a socket bound to the address and port the
 * data plane will use. The allocation is tied to that 5-tuple, not to the socket, so once this client's
 * socket is closed the data plane's socket on the same port owns it (for the allocation's lifetime, 10
 * minutes by default: longer than a test; nothing is refreshed).
 *
 * <p>IPv4 only; each request is retransmitted a few times on silence; an error response fails with its code
 * and reason. Test code: allocates freely.
 */
final class TestTurnClient {
    private static final int MAGIC_COOKIE = 0x2112A442;
    private static final int HEADER = 20;
    private static final int ALLOCATE = 0x0003;
    private static final int CHANNEL_BIND = 0x0009;
    private static final int SUCCESS = 0x0100;
    private static final int ERROR = 0x0110;
    private static final int USERNAME = 0x0006;
    private static final int MESSAGE_INTEGRITY = 0x0008;
    private static final int ERROR_CODE = 0x0009;
    private static final int CHANNEL_NUMBER = 0x000C;
    private static final int XOR_PEER_ADDRESS = 0x0012;
    private static final int REALM = 0x0014;
    private static final int NONCE = 0x0015;
    private static final int XOR_RELAYED_ADDRESS = 0x0016;
    private static final int REQUESTED_TRANSPORT = 0x0019;
    private static final int UDP = 17;
    private static final int TRIES = 5;

    private final DatagramSocket socket;
    private final InetSocketAddress server;
    private final String user;
    private final String password;
    private final SecureRandom random = new SecureRandom();
    private String realm;
    private byte[] nonce;

    /** @param socket bound where the data plane will send from; the caller closes it */
    TestTurnClient(DatagramSocket socket, InetSocketAddress server, String user, String password) throws IOException {
        this.socket = socket;
        this.server = server;
        this.user = user;
        this.password = password;
        socket.setSoTimeout(1000);
    }

    /** Allocates a UDP relay; returns the relayed transport address (where peers send to reach us). */
    InetSocketAddress allocate() throws IOException {
        ByteBuffer transport = ByteBuffer.allocate(4).put((byte) UDP);
        ByteBuffer answer = request(ALLOCATE, new Attribute(REQUESTED_TRANSPORT, transport.array()));
        byte[] relayed = find(answer, XOR_RELAYED_ADDRESS);
        if (relayed == null) {
            throw new IOException("Allocate answered without XOR-RELAYED-ADDRESS");
        }
        return xorAddress(relayed);
    }

    /** Binds {@code channel} (0x4000-0x4FFF) to {@code peer} on our allocation; also installs its permission. */
    void bindChannel(int channel, InetSocketAddress peer) throws IOException {
        byte[] number = ByteBuffer.allocate(4).putShort((short) channel).array(); // then RFFU, zero
        request(CHANNEL_BIND, new Attribute(CHANNEL_NUMBER, number), new Attribute(XOR_PEER_ADDRESS, xor(peer)));
    }

    private record Attribute(int type, byte[] value) {
    }

    /**
     * Sends the request, authenticated once the server has told us its realm and nonce (a 401 or 438 answer
     * makes it retry with them); returns the success response.
     */
    private ByteBuffer request(int method, Attribute... attributes) throws IOException {
        for (int round = 0; round < 3; round++) {
            ByteBuffer answer = exchange(encode(method, attributes));
            int type = answer.getShort(0) & 0xFFFF;
            if (type == (method | SUCCESS)) {
                return answer;
            }
            byte[] error = find(answer, ERROR_CODE);
            int code = error == null ? 0 : (error[2] & 0x7) * 100 + (error[3] & 0xFF);
            if ((code == 401 || code == 438) && find(answer, NONCE) != null) {
                byte[] r = find(answer, REALM);
                if (r != null) {
                    realm = new String(r, StandardCharsets.UTF_8);
                }
                nonce = find(answer, NONCE);
                continue;
            }
            String reason = error == null ? "" : new String(error, 4, error.length - 4, StandardCharsets.UTF_8);
            throw new IOException("TURN method 0x" + Integer.toHexString(method) + " failed: " + code + " " + reason);
        }
        throw new IOException("TURN method 0x" + Integer.toHexString(method) + ": the server keeps refusing");
    }

    private byte[] encode(int method, Attribute... attributes) {
        ByteBuffer b = ByteBuffer.allocate(1024);
        b.putShort((short) method).putShort((short) 0).putInt(MAGIC_COOKIE);
        byte[] transaction = new byte[12];
        random.nextBytes(transaction);
        b.put(transaction);
        for (Attribute a : attributes) {
            put(b, a.type, a.value);
        }
        if (nonce != null) {
            put(b, USERNAME, user.getBytes(StandardCharsets.UTF_8));
            put(b, REALM, realm.getBytes(StandardCharsets.UTF_8));
            put(b, NONCE, nonce);
            // The length covers MESSAGE-INTEGRITY itself (RFC 8489 section 14.5); the HMAC covers what precedes it.
            b.putShort(2, (short) (b.position() - HEADER + 24));
            byte[] mac = hmac(Arrays.copyOf(b.array(), b.position()));
            put(b, MESSAGE_INTEGRITY, mac);
        }
        b.putShort(2, (short) (b.position() - HEADER));
        return Arrays.copyOf(b.array(), b.position());
    }

    private static void put(ByteBuffer b, int type, byte[] value) {
        b.putShort((short) type).putShort((short) value.length).put(value);
        while (b.position() % 4 != 0) {
            b.put((byte) 0);
        }
    }

    /** HMAC-SHA1 keyed with MD5(username ":" realm ":" password), the long-term credential key. */
    private byte[] hmac(byte[] message) {
        try {
            byte[] key = MessageDigest.getInstance("MD5")
                    .digest((user + ":" + realm + ":" + password).getBytes(StandardCharsets.UTF_8));
            Mac mac = Mac.getInstance("HmacSHA1");
            mac.init(new SecretKeySpec(key, "HmacSHA1"));
            return mac.doFinal(message);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Sends and waits for the response with the same transaction id, retransmitting on silence. */
    private ByteBuffer exchange(byte[] request) throws IOException {
        byte[] buffer = new byte[2048];
        for (int attempt = 0; attempt < TRIES; attempt++) {
            socket.send(new DatagramPacket(request, request.length, server));
            try {
                while (true) {
                    DatagramPacket p = new DatagramPacket(buffer, buffer.length);
                    socket.receive(p);
                    if (p.getLength() >= HEADER && Arrays.equals(buffer, 8, 20, request, 8, 20)) {
                        return ByteBuffer.wrap(Arrays.copyOf(buffer, p.getLength()));
                    }
                }
            } catch (SocketTimeoutException e) {
                // retransmit
            }
        }
        throw new IOException("no answer from the TURN server " + server);
    }

    /** The value of the first attribute of {@code type}, or null. */
    private static byte[] find(ByteBuffer message, int type) {
        int end = Math.min(message.limit(), HEADER + (message.getShort(2) & 0xFFFF));
        for (int at = HEADER; at + 4 <= end; ) {
            int t = message.getShort(at) & 0xFFFF;
            int length = message.getShort(at + 2) & 0xFFFF;
            if (at + 4 + length > end) {
                return null;
            }
            if (t == type) {
                return Arrays.copyOfRange(message.array(), at + 4, at + 4 + length);
            }
            at += 4 + ((length + 3) & ~3);
        }
        return null;
    }

    /** An XOR-...-ADDRESS value for an IPv4 endpoint: family 1, port and address XORed with the cookie. */
    private static byte[] xor(InetSocketAddress a) {
        ByteBuffer b = ByteBuffer.allocate(8);
        int ip = ByteBuffer.wrap(a.getAddress().getAddress()).getInt();
        b.put((byte) 0).put((byte) 1).putShort((short) (a.getPort() ^ (MAGIC_COOKIE >>> 16))).putInt(ip ^ MAGIC_COOKIE);
        return b.array();
    }

    private static InetSocketAddress xorAddress(byte[] value) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(value);
        if (value.length != 8 || value[1] != 1) {
            throw new IOException("not an IPv4 XOR address: " + Arrays.toString(value));
        }
        int port = (b.getShort(2) & 0xFFFF) ^ (MAGIC_COOKIE >>> 16);
        byte[] ip = ByteBuffer.allocate(4).putInt(b.getInt(4) ^ MAGIC_COOKIE).array();
        return new InetSocketAddress(InetAddress.getByAddress(ip), port);
    }
}
