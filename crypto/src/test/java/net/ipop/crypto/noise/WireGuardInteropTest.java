package net.ipop.crypto.noise;

import java.io.IOException;
import java.io.InputStream;
import java.net.DatagramPacket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.channels.DatagramChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.concurrent.TimeUnit;

import javax.crypto.Cipher;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;

import net.ipop.crypto.MessageTypes;
import net.ipop.crypto.Suite;
import net.ipop.ffm.testing.Privileged;
import net.ipop.ffm.testing.TestNamespace;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Our initiator against Debian's stock wireguard-go in a namespace: handshake, then one ICMP echo
 * request through the tunnel and its echo reply back. The transport packet is sealed here with the
 * JDK's ChaCha20-Poly1305 (WireGuard nonce: 4 zero bytes + little-endian counter) since the
 * transport AEAD is not this package's business.
 */
@Privileged
class WireGuardInteropTest {
    private static final int WG_PORT = 51820;
    private static final int DATA_HEADER = 16;
    private static final int TAG = 16;
    private static final byte[] OUR_TUNNEL_IP = {(byte) 192, 0, 2, 1};
    private static final byte[] THEIR_TUNNEL_IP = {(byte) 192, 0, 2, 2};
    private static final int ICMP_ID = 0x1d0b;
    private static final int ICMP_SEQ = 7;

    private final SecureRandom random = new SecureRandom();

    /** We initiate; wireguard-go responds; our echo request goes in, its kernel's echo reply comes back. */
    @Test
    @Timeout(90)
    void ourInitiatorAgainstStockResponder() throws Exception {
        try (StockWireGuard wg = StockWireGuard.start(random)) {
            Handshaker hs = new Handshaker(Suite.CHACHA20POLY1305, wg.ours, Clock.system(), random);
            PeerHandshake peer = hs.addPeer(1, wg.theirs.publicKey(), null);
            byte[] out = new byte[HandshakeMessages.MAX_LENGTH];
            int n = hs.createInitiation(peer, out, 0);
            wg.send(out, n);

            byte[] buf = new byte[2048];
            int len = wg.receive(buf);
            assertEquals(HandshakeMessages.RESPONSE_LENGTH, len, "response length; log:\n" + wg.log);
            Outcome outcome = hs.consume(buf, 0, len, wg.sourceBytes(), 0, 6, out, 0);
            assertEquals(Outcome.RESPONSE_ACCEPTED, outcome, "wireguard-go's response; log:\n" + wg.log);
            SessionKeys keys = hs.lastKeys();

            byte[] data = sealData(keys, 0, icmpEcho(8, OUR_TUNNEL_IP, THEIR_TUNNEL_IP));
            wg.send(data, data.length);

            byte[] plain = receiveData(wg, keys, buf);
            assertIcmp(plain, 0, THEIR_TUNNEL_IP, OUR_TUNNEL_IP, ICMP_ID, ICMP_SEQ);
        }
    }

    /** wireguard-go initiates (its kernel pings us); we respond; its echo request arrives and opens. */
    @Test
    @Timeout(90)
    void stockInitiatorAgainstOurResponder() throws Exception {
        try (StockWireGuard wg = StockWireGuard.start(random)) {
            Handshaker hs = new Handshaker(Suite.CHACHA20POLY1305, wg.ours, Clock.system(), random);
            hs.addPeer(1, wg.theirs.publicKey(), null);
            Process ping = wg.ns.start("ping", "-c", "5", "-i", "0.5", "-W", "1", "192.0.2.1");
            try {
                byte[] buf = new byte[2048];
                byte[] out = new byte[HandshakeMessages.MAX_LENGTH];
                int len = wg.receive(buf);
                assertEquals(MessageTypes.WG_INITIATION, buf[0], "wireguard-go initiates; log:\n" + wg.log);
                Outcome outcome = hs.consume(buf, 0, len, wg.sourceBytes(), 0, 6, out, 0);
                assertEquals(Outcome.INITIATION_ACCEPTED, outcome, "wireguard-go's initiation; log:\n" + wg.log);
                SessionKeys keys = hs.lastKeys();
                wg.send(out, hs.replyLength());

                byte[] plain = receiveData(wg, keys, buf);
                assertEquals(8, plain[20], "ICMP echo request");
                assertIcmp(plain, 8, THEIR_TUNNEL_IP, OUR_TUNNEL_IP, -1, -1);
            } finally {
                ping.destroy();
                ping.waitFor(5, TimeUnit.SECONDS);
            }
        }
    }

    /**
     * Our responder under load answers wireguard-go's initiation with a cookie reply; wireguard-go
     * must decrypt it and put a valid mac2 on its retransmission (after REKEY_TIMEOUT), which we
     * then accept. Checks our cookie reply and mac2 handling against stock WireGuard.
     */
    @Test
    @Timeout(90)
    void stockInitiatorHonoursOurCookieReply() throws Exception {
        try (StockWireGuard wg = StockWireGuard.start(random)) {
            Handshaker hs = new Handshaker(Suite.CHACHA20POLY1305, wg.ours, Clock.system(), random);
            hs.addPeer(1, wg.theirs.publicKey(), null);
            hs.setUnderLoad(true);
            Process ping = wg.ns.start("ping", "-c", "40", "-i", "0.5", "-W", "1", "192.0.2.1");
            try {
                byte[] buf = new byte[2048];
                byte[] out = new byte[HandshakeMessages.MAX_LENGTH];
                int len = wg.receive(buf);
                assertEquals(MessageTypes.WG_INITIATION, buf[0], "wireguard-go initiates; log:\n" + wg.log);
                assertEquals(Outcome.COOKIE_REPLY_SENT, hs.consume(buf, 0, len, wg.sourceBytes(), 0, 6, out, 0));
                wg.send(out, hs.replyLength());

                wg.setTimeoutMillis(15_000);
                len = wg.receive(buf);
                assertEquals(MessageTypes.WG_INITIATION, buf[0], "retransmitted initiation; log:\n" + wg.log);
                Outcome outcome = hs.consume(buf, 0, len, wg.sourceBytes(), 0, 6, out, 0);
                assertEquals(Outcome.INITIATION_ACCEPTED, outcome, "retry with mac2; log:\n" + wg.log);
                SessionKeys keys = hs.lastKeys();
                wg.send(out, hs.replyLength());
                assertIcmp(receiveData(wg, keys, buf), 8, THEIR_TUNNEL_IP, OUR_TUNNEL_IP, -1, -1);
            } finally {
                ping.destroy();
                ping.waitFor(5, TimeUnit.SECONDS);
            }
        }
    }

    /** Skips keepalives and handshake messages; opens the first data packet that carries a packet. */
    private static byte[] receiveData(StockWireGuard wg, SessionKeys keys, byte[] buf) throws Exception {
        while (true) {
            int len = wg.receive(buf);
            if (buf[0] != MessageTypes.WG_DATA || len == DATA_HEADER + TAG) {
                continue;
            }
            assertEquals(keys.localIndex(), HandshakeMessages.readIndex(buf, 4), "receiver index");
            return openData(keys, buf, len);
        }
    }

    /**
     * Debian's wireguard-go in a fresh namespace, configured with a peer for {@link #ours} at a UDP
     * socket of ours in the same namespace. Closing stops it (SIGTERM, so it removes its control
     * socket) before the namespace goes.
     */
    private static final class StockWireGuard implements AutoCloseable {
        final NoiseKeyPair ours;
        final NoiseKeyPair theirs;
        final TestNamespace ns;
        final StringBuffer log = new StringBuffer();
        private final String ifname;
        private final Path keyFile;
        private Process process;
        private DatagramChannel channel;

        private StockWireGuard(SecureRandom random) throws IOException {
            ours = NoiseKeyPair.generate(random);
            theirs = NoiseKeyPair.generate(random);
            byte[] r = new byte[3];
            random.nextBytes(r);
            // Unique name: wireguard-go's control socket lives in the shared /var/run/wireguard.
            ifname = "wgi" + HexFormat.of().formatHex(r);
            keyFile = Files.createTempFile("ipop-wg", ".key",
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            ns = TestNamespace.create("wg");
        }

        static StockWireGuard start(SecureRandom random) throws Exception {
            StockWireGuard wg = new StockWireGuard(random);
            try {
                wg.configure();
                return wg;
            } catch (Exception | Error e) {
                wg.close();
                throw e;
            }
        }

        private void configure() throws Exception {
            Files.writeString(keyFile, Base64.getEncoder().encodeToString(theirs.privateKey()) + "\n");
            process = ns.start("env", "LOG_LEVEL=verbose", "wireguard-go", "-f", ifname);
            drain(process.getInputStream(), log);
            waitForDevice(ns, ifname, process, log);
            channel = ns.call(() -> {
                DatagramChannel c = DatagramChannel.open();
                c.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
                return c;
            });
            channel.socket().setSoTimeout(5000);
            int ourPort = ((InetSocketAddress) channel.getLocalAddress()).getPort();
            ns.exec("wg", "set", ifname, "private-key", keyFile.toString(), "listen-port", String.valueOf(WG_PORT),
                    "peer", ours.publicKeyBase64(), "allowed-ips", "192.0.2.1/32", "endpoint", "127.0.0.1:" + ourPort);
            ns.exec("ip", "addr", "add", "192.0.2.2/24", "dev", ifname);
            ns.exec("ip", "link", "set", ifname, "up");
        }

        /** The source address of wireguard-go's datagrams as cookie-key bytes (IPv4 + port). */
        byte[] sourceBytes() {
            return new byte[] {127, 0, 0, 1, (byte) (WG_PORT >>> 8), (byte) WG_PORT};
        }

        void send(byte[] b, int len) throws IOException {
            channel.socket().send(new DatagramPacket(b, len,
                    new InetSocketAddress(InetAddress.getLoopbackAddress(), WG_PORT)));
        }

        void setTimeoutMillis(int millis) throws IOException {
            channel.socket().setSoTimeout(millis);
        }

        int receive(byte[] buf) throws IOException {
            DatagramPacket pkt = new DatagramPacket(buf, buf.length);
            try {
                channel.socket().receive(pkt);
            } catch (SocketTimeoutException e) {
                fail("nothing from wireguard-go in time; its log:\n" + log);
            }
            return pkt.getLength();
        }

        @Override
        public void close() throws IOException {
            try {
                if (channel != null) {
                    channel.close();
                }
                if (process != null) {
                    process.destroy();
                    try {
                        if (!process.waitFor(5, TimeUnit.SECONDS)) {
                            process.destroyForcibly();
                        }
                    } catch (InterruptedException e) {
                        process.destroyForcibly();
                        Thread.currentThread().interrupt();
                    }
                }
            } finally {
                ns.close();
                Files.deleteIfExists(keyFile);
                Files.deleteIfExists(Path.of("/var/run/wireguard", ifname + ".sock"));
            }
        }
    }

    private static void waitForDevice(TestNamespace ns, String ifname, Process wg, StringBuffer log) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < deadline) {
            if (!wg.isAlive()) {
                fail("wireguard-go exited " + wg.exitValue() + ":\n" + log);
            }
            if (ns.execAllowingFailure(5, "wg", "show", ifname).exitCode() == 0) {
                return;
            }
            Thread.sleep(50);
        }
        fail("wireguard-go did not create " + ifname + ":\n" + log);
    }

    private static void drain(InputStream in, StringBuffer log) {
        Thread t = new Thread(() -> {
            byte[] b = new byte[4096];
            try {
                for (int k; (k = in.read(b)) > 0; ) {
                    log.append(new String(b, 0, k, StandardCharsets.UTF_8));
                }
            } catch (IOException ignored) {
                // Process gone.
            }
        }, "wireguard-go-log");
        t.setDaemon(true);
        t.start();
    }

    private static void send(DatagramChannel ch, InetSocketAddress to, byte[] b, int len) throws IOException {
        ch.socket().send(new DatagramPacket(b, len, to));
    }

    private static void receive(DatagramChannel ch, DatagramPacket pkt, StringBuffer log) throws IOException {
        try {
            ch.socket().receive(pkt);
        } catch (SocketTimeoutException e) {
            fail("nothing from wireguard-go within 5 s; its log:\n" + log);
        }
    }

    /** type 4 | reserved | receiver | counter (LE) | ChaCha20-Poly1305(padded packet). */
    private static byte[] sealData(SessionKeys keys, long counter, byte[] packet) throws Exception {
        int padded = (packet.length + 15) & ~15;
        byte[] msg = new byte[DATA_HEADER + padded + TAG];
        msg[0] = MessageTypes.WG_DATA;
        HandshakeMessages.writeIndex(msg, 4, keys.remoteIndex());
        for (int i = 0; i < 8; i++) {
            msg[8 + i] = (byte) (counter >>> (8 * i));
        }
        Cipher c = Cipher.getInstance("ChaCha20-Poly1305");
        c.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(keys.sendKey(), "ChaCha20"), new IvParameterSpec(nonce(msg)));
        c.doFinal(Arrays.copyOf(packet, padded), 0, padded, msg, DATA_HEADER);
        return msg;
    }

    private static byte[] openData(SessionKeys keys, byte[] msg, int len) throws Exception {
        Cipher c = Cipher.getInstance("ChaCha20-Poly1305");
        c.init(Cipher.DECRYPT_MODE, new SecretKeySpec(keys.receiveKey(), "ChaCha20"), new IvParameterSpec(nonce(msg)));
        return c.doFinal(msg, DATA_HEADER, len - DATA_HEADER);
    }

    private static byte[] nonce(byte[] msg) {
        byte[] nonce = new byte[12];
        System.arraycopy(msg, 8, nonce, 4, 8);
        return nonce;
    }

    /** IPv4 {@code src -> dst}, ICMP {@code type} (8 request, 0 reply) with our id/seq and a 16-byte payload. */
    private static byte[] icmpEcho(int type, byte[] src, byte[] dst) {
        byte[] p = new byte[20 + 8 + 16];
        p[0] = 0x45;
        p[2] = (byte) (p.length >>> 8);
        p[3] = (byte) p.length;
        p[4] = 0x12;
        p[5] = 0x34;
        p[8] = 64;
        p[9] = 1;
        System.arraycopy(src, 0, p, 12, 4);
        System.arraycopy(dst, 0, p, 16, 4);
        int ipSum = checksum(p, 0, 20);
        p[10] = (byte) (ipSum >>> 8);
        p[11] = (byte) ipSum;
        p[20] = (byte) type;
        p[24] = (byte) (ICMP_ID >>> 8);
        p[25] = (byte) ICMP_ID;
        p[26] = (byte) (ICMP_SEQ >>> 8);
        p[27] = (byte) ICMP_SEQ;
        for (int i = 28; i < p.length; i++) {
            p[i] = (byte) i;
        }
        int icmpSum = checksum(p, 20, p.length - 20);
        p[22] = (byte) (icmpSum >>> 8);
        p[23] = (byte) icmpSum;
        return p;
    }

    /** Asserts an IPv4 ICMP echo of {@code type} from {@code src} to {@code dst}; id/seq checked unless -1. */
    private static void assertIcmp(byte[] plain, int type, byte[] src, byte[] dst, int id, int seq) {
        assertTrue(plain.length >= 28, "packet too short: " + plain.length);
        assertEquals(0x45, plain[0] & 0xff, "IPv4 without options");
        int total = (plain[2] & 0xff) << 8 | (plain[3] & 0xff);
        assertTrue(total >= 28 && total <= plain.length, "total length " + total);
        assertEquals(0, checksum(plain, 0, 20), "IPv4 header checksum");
        assertEquals(1, plain[9], "protocol ICMP");
        assertTrue(Arrays.equals(src, 0, 4, plain, 12, 16), "source address");
        assertTrue(Arrays.equals(dst, 0, 4, plain, 16, 20), "destination address");
        assertEquals(type, plain[20], "ICMP type");
        assertEquals(0, checksum(plain, 20, total - 20), "ICMP checksum");
        if (id >= 0) {
            assertEquals(44, total, "reply echoes our 16-byte payload");
            assertEquals(id, (plain[24] & 0xff) << 8 | (plain[25] & 0xff), "ICMP id");
            assertEquals(seq, (plain[26] & 0xff) << 8 | (plain[27] & 0xff), "ICMP sequence");
        }
    }

    /** Internet checksum (RFC 1071); 0 when run over a range that includes a correct checksum. */
    private static int checksum(byte[] b, int off, int len) {
        long sum = 0;
        for (int i = 0; i + 1 < len; i += 2) {
            sum += (b[off + i] & 0xff) << 8 | (b[off + i + 1] & 0xff);
        }
        if ((len & 1) != 0) {
            sum += (b[off + len - 1] & 0xff) << 8;
        }
        while ((sum >>> 16) != 0) {
            sum = (sum & 0xffff) + (sum >>> 16);
        }
        return (int) (~sum & 0xffff);
    }
}
