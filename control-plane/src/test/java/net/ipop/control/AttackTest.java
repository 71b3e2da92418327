package net.ipop.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import net.ipop.crypto.MessageTypes;
import net.ipop.crypto.Suite;
import net.ipop.crypto.aead.TransportHeader;
import net.ipop.crypto.cert.X25519Keys;
import net.ipop.crypto.noise.Clock;
import net.ipop.crypto.noise.HandshakeMessages;
import net.ipop.crypto.noise.Handshaker;
import net.ipop.crypto.noise.NoiseKeyPair;
import net.ipop.crypto.noise.PeerHandshake;
import net.ipop.ffm.libc.Libc;
import net.ipop.ffm.libc.Sockets;
import net.ipop.ffm.testing.Privileged;
import net.ipop.ffm.testing.TestNamespace;
import net.ipop.ffm.udp.MessageBatch;
import net.ipop.ffm.udp.UdpSocket;
import net.ipop.ipc.counters.CountersSnapshot;
import net.ipop.ipc.counters.DropReason;
import net.ipop.ipc.counters.GlobalCounter;

/**
 * Attacks on a node, on one overlay: alpha (on the bridge), beta (which initiates: alpha does not know its
 * endpoint) and mallory, a plain namespace on the bridge.
 * <ol>
 *   <li>beta's key file is readable by others: {@code ipop up} refuses it and says how to fix it.</li>
 *   <li>a handshake flood from spoofed sources in 203.0.113.0/24 (raw socket, well-formed initiations with a valid
 *       mac1 from a key alpha does not know) at {@value #FLOOD_PER_SECOND}/s: alpha's node goes under load and
 *       answers with cookie replies (its log says so, and mallory, through which alpha routes that range, counts
 *       them with nftables), and beta, starting during the flood, still completes its handshake (with the
 *       cookie) and pings alpha.</li>
 *   <li>a replay flood of a genuine data message from beta at {@value #REPLAY_PER_SECOND}/s while beta sends
 *       alpha iperf3 TCP: the replays are dropped as replays, alpha does not follow them to mallory's
 *       address, and the transfer keeps at least {@value #REPLAY_THROUGHPUT_PERCENT}% of its rate without the
 *       flood, measured in the same run (generous: the flood's sender shares the 2 cores).</li>
 *   <li>the local attack surface: alpha's run directory, counters file and Aeron directory are reachable only
 *       by their owner.</li>
 * </ol>
 */
@Privileged
@Tag("slow")
class AttackTest {
    private static final int FLOOD_PER_SECOND = 5_000;
    private static final int REPLAY_PER_SECOND = 50_000;
    private static final int REPLAY_THROUGHPUT_PERCENT = 25;
    private static final int IPPROTO_RAW = 255;
    private static final int IPV4_HEADER = 20;
    private static final int UDP_HEADER = 8;
    private static final int SOCKADDR_IN = 16;

    @TempDir
    Path temp;

    @Test
    @Timeout(value = 400, unit = TimeUnit.SECONDS)
    void floodsAndLocalAccessDoNotGetIn() throws Exception {
        List<Lab.Spec> specs = List.of(new Lab.Spec("alpha", 1, false, true, 0),
                new Lab.Spec("beta", 2, false, false, 0));
        StringBuilder report = new StringBuilder();
        try (Lab lab = Lab.create(temp, "atk", specs)) {
            Lab.Node a = lab.node("alpha");
            Lab.Node b = lab.node("beta");
            TestNamespace mallory = lab.host("atkm", 3);
            // Answers to the spoofed sources go to mallory, which does not forward them (and counts cookies).
            a.ns().exec("ip", "route", "add", "203.0.113.0/24", "via", "198.51.100.3");
            mallory.exec("nft", "add table ip watch; add chain ip watch pre { type filter hook prerouting priority 0;"
                    + " }; add rule ip watch pre ip saddr 198.51.100.1 ip daddr 203.0.113.0/24 udp sport "
                    + Lab.PORT + " @th,64,8 { " + MessageTypes.WG_COOKIE_REPLY + ", " + MessageTypes.AES_COOKIE_REPLY
                    + " } counter");

            // 1. A key file others can read is refused, with the fix.
            Files.setPosixFilePermissions(b.keyFile(), PosixFilePermissions.fromString("rw-r--r--"));
            TestNamespace.Cmd.Result refused = lab.run(b, 120, "up", "--config", b.config().toString());
            assertNotEquals(0, refused.exitCode(), refused.output());
            assertTrue(refused.output().contains(b.keyFile().toString())
                    && refused.output().contains("chmod 600"), refused.output());
            assertTrue(!b.running(), "a node started with an insecure key file");
            Files.setPosixFilePermissions(b.keyFile(), PosixFilePermissions.fromString("rw-------"));
            report.append("- `ipop up` with a private key file of mode 644: refused, exit ").append(refused.exitCode())
                    .append(": \"").append(refused.output().strip().lines().filter(l -> l.contains("chmod"))
                            .findFirst().orElse("").strip().replace(temp.toString(), "$DIR")).append("\"\n");

            lab.up("alpha");

            // 2. Handshake flood from spoofed sources while beta comes up.
            byte[] alphaPublic = X25519Keys.publicKey(X25519Keys.fromBase64(Files.readString(a.keyFile()).strip(),
                    "alpha's key"));
            List<byte[]> initiations = initiations(alphaPublic, 256);
            CountersSnapshot beforeFlood = a.counters();
            long rcvbufBeforeFlood = rcvbufErrors(a.ns());
            AtomicBoolean stop = new AtomicBoolean();
            Future<long[]> flood = mallory.submit(() -> spoofedFlood(initiations, stop));
            long beforeBeta = System.nanoTime();
            long joinedMs;
            long[] sent;
            try {
                Thread.sleep(2000);
                lab.up("beta");
                lab.awaitPing("beta", "alpha", 120);
                joinedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - beforeBeta);
                assertTrue(!flood.isDone(), "the flood stopped early");
            } finally {
                stop.set(true);
                sent = flood.get(30, TimeUnit.SECONDS);
            }
            Thread.sleep(1000); // what the socket still holds is handled by then
            CountersSnapshot afterFlood = a.counters();
            long punted = afterFlood.globals().get(GlobalCounter.PUNTED)
                    - beforeFlood.globals().get(GlobalCounter.PUNTED);
            long backPressure = afterFlood.drops().get(DropReason.BACKPRESSURE)
                    - beforeFlood.drops().get(DropReason.BACKPRESSURE);
            long rcvbuf = rcvbufErrors(a.ns()) - rcvbufBeforeFlood;
            String logA = a.log();
            assertTrue(logA.contains("handshake load high: answering with cookies"), logA);
            long cookies = nftCounter(mallory.exec("nft", "list", "table", "ip", "watch"));
            assertTrue(cookies > 0, "no cookie reply reached the spoofed sources");
            String floodLine = String.format(Locale.ROOT, "handshake flood: %,d initiations (valid mac1, unknown key)"
                    + " from %,d spoofed sources in 203.0.113.0/24 over %,d ms (%,d/s aimed); alpha went under load"
                    + " and sent %,d cookie replies; beta, started 2 s into the flood, handshook and pinged alpha"
                    + " %,d ms after the flood began; alpha's data plane passed %,d handshake messages to its node"
                    + " and refused %,d for back-pressure (counted); alpha's kernel dropped %,d (UDP receive buffer"
                    + " full)", sent[0], 254 * 64, sent[1],
                    FLOOD_PER_SECOND, cookies, joinedMs, punted, backPressure, rcvbuf);
            System.out.println(floodLine);
            report.append("- ").append(floodLine).append('\n');

            // 3. Replay flood under iperf3.
            byte[] genuine = captureDataMessage(a.ns(), b.ns());
            try (IperfProbe iperf = IperfProbe.start(a.ns(), a.overlay(), b.ns(), 14, "0")) {
                iperf.awaitMoving(2, 30);
                long baselineFrom = System.currentTimeMillis();
                Thread.sleep(5000);
                long floodFrom = System.currentTimeMillis();
                CountersSnapshot beforeReplay = a.counters();
                long[] replays = mallory.call(() -> replayFlood(genuine, 5000), 60);
                long floodTo = System.currentTimeMillis();
                Thread.sleep(500);
                long replayDrops = a.counters().drops().get(DropReason.REPLAY)
                        - beforeReplay.drops().get(DropReason.REPLAY);
                double baseline = iperf.bitsPerSecond(baselineFrom, floodFrom);
                double during = iperf.bitsPerSecond(floodFrom + 500, floodTo);
                int exit = iperf.await(60);
                assertEquals(0, exit, iperf.output());
                String replayLine = String.format(Locale.ROOT, "replay flood: %,d copies of one genuine data message"
                        + " from mallory's address in %,d ms (%,d/s) while beta sent iperf3 TCP to alpha: %.0f"
                        + " Mbit/s before, %.0f Mbit/s during (%.0f%%; bound %d%%); %,d counted as replays",
                        replays[0], replays[1], replays[0] * 1000 / Math.max(1, replays[1]), baseline / 1e6,
                        during / 1e6, 100 * during / baseline, REPLAY_THROUGHPUT_PERCENT, replayDrops);
                System.out.println(replayLine);
                report.append("- ").append(replayLine).append('\n');
                assertTrue(baseline > 0, iperf.output());
                assertTrue(replayDrops > 0 && replayDrops <= replays[0], replayLine);
                assertTrue(during * 100 >= baseline * REPLAY_THROUGHPUT_PERCENT, replayLine + "\n" + iperf.output());
            }
            // Alpha did not follow the replays to mallory: beta is still reached at its own address.
            assertTrue(!a.log().contains("198.51.100.3"), a.log());
            lab.awaitPing("alpha", "beta", 20);

            // 4. Local files: only the owner may read or write them.
            List<String> open = new ArrayList<>();
            ownerOnly(a.runDir(), open);
            ownerOnly(a.countersFile(), open);
            ownerOnly(a.aeronDir(), open);
            String modes = a.ns().exec("ls", "-la", a.runDir().toString(), a.aeronDir().toString(),
                    a.countersFile().toString());
            report.append("- local files of a running node (run directory, counters file, Aeron directory):"
                    + " reachable by others: ").append(open.isEmpty() ? "none" : String.join(", ", open))
                    .append('\n');
            assertEquals(List.of(), open, modes);
        }
        ReliabilityReport.publish("attacks", report.toString());
    }

    /**
     * Adds to {@code open} each path under {@code root} (itself included) that someone other than its owner can
     * reach: a file or directory with group or other bits, whose every parent up to {@code root} has them too
     * (a private directory closes what lies below it).
     */
    private static void ownerOnly(Path root, List<String> open) throws IOException {
        if (!Files.exists(root, LinkOption.NOFOLLOW_LINKS)) {
            open.add(root + " (missing)");
            return;
        }
        check(root, open);
    }

    private static void check(Path p, List<String> open) throws IOException {
        Set<PosixFilePermission> perms = Files.getPosixFilePermissions(p, LinkOption.NOFOLLOW_LINKS);
        boolean shared = perms.stream().anyMatch(x -> x.name().startsWith("GROUP") || x.name().startsWith("OTHERS"));
        if (!shared) {
            return; // private: what lies below is closed to others
        }
        boolean directory = Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS);
        boolean traversable = perms.contains(PosixFilePermission.OTHERS_EXECUTE)
                || perms.contains(PosixFilePermission.GROUP_EXECUTE);
        if (!directory || perms.contains(PosixFilePermission.OTHERS_READ)
                || perms.contains(PosixFilePermission.GROUP_READ)
                || perms.contains(PosixFilePermission.OTHERS_WRITE)
                || perms.contains(PosixFilePermission.GROUP_WRITE)) {
            open.add(p + " (" + PosixFilePermissions.toString(perms) + ")");
        }
        if (directory && traversable) {
            try (var list = Files.list(p)) {
                for (Path c : list.toList()) {
                    check(c, open);
                }
            }
        }
    }

    private static long rcvbufErrors(TestNamespace ns) throws IOException {
        List<String> udp = ns.exec("cat", "/proc/net/snmp").lines().filter(l -> l.startsWith("Udp:")).toList();
        List<String> names = List.of(udp.get(0).trim().split("\\s+"));
        return Long.parseLong(udp.get(1).trim().split("\\s+")[names.indexOf("RcvbufErrors")]);
    }

    private static long nftCounter(String listing) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("counter packets (\\d+)").matcher(listing);
        if (!m.find()) {
            throw new AssertionError("no counter in:\n" + listing);
        }
        return Long.parseLong(m.group(1));
    }

    /** {@code n} initiations to {@code responder} from a key it does not know: each valid up to mac1. */
    private static List<byte[]> initiations(byte[] responder, int n) {
        SecureRandom random = new SecureRandom();
        Handshaker h = new Handshaker(Suite.AES256GCM, NoiseKeyPair.generate(random), Clock.system(), random);
        PeerHandshake peer = h.addPeer(1, responder, new byte[32]);
        List<byte[]> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            byte[] m = new byte[HandshakeMessages.INITIATION_LENGTH];
            h.createInitiation(peer, m, 0);
            out.add(m);
        }
        return out;
    }

    /**
     * Sends the initiations to alpha with IPv4 sources 203.0.113.1..254 and 64 ports each (a raw socket writing
     * its own headers), at about {@link #FLOOD_PER_SECOND} per second until {@code stop}; runs on a thread of
     * mallory's namespace. Returns {messages sent, milliseconds}.
     */
    private static long[] spoofedFlood(List<byte[]> initiations, AtomicBoolean stop) throws Exception {
        int fd = Sockets.socket(Sockets.AF_INET, Sockets.SOCK_RAW | Sockets.SOCK_CLOEXEC, IPPROTO_RAW);
        long start = System.nanoTime();
        long sent = 0;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment packet = arena.allocate(IPV4_HEADER + UDP_HEADER + HandshakeMessages.INITIATION_LENGTH);
            MemorySegment to = arena.allocate(SOCKADDR_IN);
            to.set(ValueLayout.JAVA_SHORT, 0, (short) Sockets.AF_INET);
            to.set(ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN), 2, (short) Lab.PORT);
            to.asSlice(4, 4).copyFrom(MemorySegment.ofArray(new byte[] {(byte) 198, 51, 100, 1}));
            var be16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
            int length = (int) packet.byteSize();
            packet.set(ValueLayout.JAVA_BYTE, 0, (byte) 0x45);
            packet.set(be16, 2, (short) length);
            packet.set(ValueLayout.JAVA_BYTE, 8, (byte) 64);
            packet.set(ValueLayout.JAVA_BYTE, 9, (byte) 17);
            packet.asSlice(12, 4).copyFrom(MemorySegment.ofArray(new byte[] {(byte) 203, 0, 113, 1}));
            packet.asSlice(16, 4).copyFrom(MemorySegment.ofArray(new byte[] {(byte) 198, 51, 100, 1}));
            packet.set(be16, IPV4_HEADER + 2, (short) Lab.PORT);
            packet.set(be16, IPV4_HEADER + 4, (short) (length - IPV4_HEADER));
            long periodNanos = 1_000_000_000L / FLOOD_PER_SECOND;
            while (!stop.get()) {
                int host = 1 + (int) (sent % 254);
                int port = 40000 + (int) ((sent / 254) % 64);
                packet.set(ValueLayout.JAVA_BYTE, 15, (byte) host);
                packet.set(be16, IPV4_HEADER, (short) port);
                MemorySegment.copy(MemorySegment.ofArray(initiations.get((int) (sent % initiations.size()))), 0,
                        packet, IPV4_HEADER + UDP_HEADER, HandshakeMessages.INITIATION_LENGTH);
                Sockets.sendto(fd, packet, length, 0, to, SOCKADDR_IN);
                sent++;
                long due = start + sent * periodNanos;
                long wait = due - System.nanoTime();
                if (wait > 1_000_000) {
                    LockSupport.parkNanos(wait);
                }
            }
        } finally {
            Libc.close(fd);
        }
        return new long[] {sent, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)};
    }

    /**
     * Sends {@code genuine} to alpha from mallory's own address at about {@link #REPLAY_PER_SECOND} per second
     * for {@code millis}; returns {datagrams sent, milliseconds}.
     */
    private static long[] replayFlood(byte[] genuine, long millis) throws IOException {
        int batchSize = 64;
        long start = System.nanoTime();
        long end = start + TimeUnit.MILLISECONDS.toNanos(millis);
        long sent = 0;
        try (UdpSocket socket = UdpSocket.open(StandardProtocolFamily.INET);
                MessageBatch batch = new MessageBatch(batchSize, 2048)) {
            socket.bind(new InetSocketAddress("198.51.100.3", 0));
            InetSocketAddress target = new InetSocketAddress("198.51.100.1", Lab.PORT);
            for (int i = 0; i < batchSize; i++) {
                MemorySegment.copy(MemorySegment.ofArray(genuine), 0, batch.buffer(i), 0, genuine.length);
                batch.setLength(i, genuine.length);
                batch.setSegmentSize(i, 0);
                batch.remote(i).set(target);
                batch.local(i).clear();
            }
            while (System.nanoTime() - end < 0) {
                int n = socket.send(batch, 0, batchSize);
                if (n != Libc.WOULD_BLOCK) {
                    sent += n;
                }
                long due = start + sent * 1_000_000_000L / REPLAY_PER_SECOND;
                long wait = due - System.nanoTime();
                if (wait > 0) {
                    LockSupport.parkNanos(wait);
                }
            }
        }
        return new long[] {sent, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)};
    }

    /** The UDP payload of the first transport data message from beta that alpha's namespace sees. */
    private static byte[] captureDataMessage(TestNamespace nsA, TestNamespace nsB) throws Exception {
        Process ping = nsB.start("ping", "-c", "20", "-i", "0.2", "192.0.2.1");
        try {
            return nsA.call(() -> {
                int fd = Sockets.socket(Sockets.AF_INET, Sockets.SOCK_RAW | Sockets.SOCK_NONBLOCK
                        | Sockets.SOCK_CLOEXEC, 17);
                try (Arena arena = Arena.ofConfined()) {
                    MemorySegment buf = arena.allocate(65536);
                    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
                    while (System.nanoTime() - deadline < 0) {
                        int n = Sockets.recvfrom(fd, buf, buf.byteSize(), 0, MemorySegment.NULL, MemorySegment.NULL);
                        if (n == Libc.WOULD_BLOCK) {
                            Thread.sleep(5);
                            continue;
                        }
                        int payload = IPV4_HEADER + UDP_HEADER;
                        boolean fromBeta = buf.get(ValueLayout.JAVA_BYTE, 15) == 2;
                        if (!fromBeta || n < payload + TransportHeader.OVERHEAD) {
                            continue;
                        }
                        byte type = buf.get(ValueLayout.JAVA_BYTE, payload);
                        if (type == MessageTypes.WG_DATA || type == MessageTypes.AES_DATA) {
                            return buf.asSlice(payload, n - payload).toArray(ValueLayout.JAVA_BYTE);
                        }
                    }
                    throw new AssertionError("no data message from beta seen in 20 s");
                } finally {
                    Libc.close(fd);
                }
            }, 30);
        } finally {
            ping.destroyForcibly();
        }
    }
}
