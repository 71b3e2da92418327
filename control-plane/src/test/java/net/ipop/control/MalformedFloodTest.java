package net.ipop.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import net.ipop.crypto.MessageTypes;
import net.ipop.crypto.aead.TransportHeader;
import net.ipop.ffm.libc.Libc;
import net.ipop.ffm.libc.Sockets;
import net.ipop.ffm.testing.Privileged;
import net.ipop.ffm.testing.TestNamespace;
import net.ipop.ffm.udp.MessageBatch;
import net.ipop.ffm.udp.UdpSocket;
import net.ipop.ipc.counters.CountersSnapshot;
import net.ipop.ipc.counters.DropReason;
import net.ipop.ipc.counters.GlobalCounter;
import net.ipop.ipc.counters.PeerTotals;

/**
 * Hundreds of thousands of bad datagrams, as fast as one socket sends them with sendmmsg, from the peer's namespace to a
 * running node's listen port, while ping runs across the tunnel: random bytes of random lengths up to the UDP
 * maximum, data messages cut short, handshake types with wrong lengths, data messages for receiver indices
 * nobody has, data messages for the real session with garbage tags, and a genuine data message sent again and
 * again. The data plane process stays up, legitimate traffic keeps flowing, and every datagram the kernel
 * delivered is accounted for in the counters {@code ipop stats --json} shows: by reason, and for the peer where
 * the data plane could tell who it was.
 */
@Privileged
class MalformedFloodTest {
    private static final int DATAGRAMS = 300_000;
    private static final int BATCH = 64;
    private static final int IPPROTO_UDP = 17;
    private static final int IPV4_HEADER = 20;
    private static final int UDP_HEADER = 8;

    @TempDir
    Path temp;

    /** The kinds of garbage, and the counter each must land in. */
    private enum Kind {
        RANDOM, TRUNCATED, HANDSHAKE_BAD_LENGTH, UNKNOWN_INDEX, BAD_TAG, REPLAY
    }

    @Test
    @Timeout(value = 480, unit = TimeUnit.SECONDS)
    void garbageAtHighRateIsCountedByReasonAndHarmsNothing() throws Exception {
        try (TwoNodes nodes = TwoNodes.up(temp, "mal")) {
            TwoNodes.Node a = nodes.a();
            TwoNodes.Node b = nodes.b();
            long dataPlane = a.dataPlane().pid();
            long node = a.pid();
            // A genuine data message from B to A: its receiver index is A's session, and it can be replayed.
            byte[] genuine = captureDataMessage(a.ns(), b.ns());
            int receiverIndex = ByteBuffer.wrap(genuine).order(ByteOrder.LITTLE_ENDIAN)
                    .getInt(TransportHeader.RECEIVER_INDEX_OFFSET);

            CountersSnapshot before = a.counters();
            Map<String, Long> snmpBefore = snmp(a.ns());
            // Legitimate traffic for exactly as long as the flood lasts: SIGINT makes ping print its summary.
            Process ping = a.ns().start("ping", "-i", "0.02", "-W", "1", TwoNodes.OVERLAY_B);
            long floodStart = System.nanoTime();
            Map<Kind, Long> sent = b.ns().call(() -> flood(genuine, receiverIndex), 240);
            long floodMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - floodStart);
            TestNamespace.Cmd.run("kill", "-INT", Long.toString(ping.pid()));
            assertTrue(ping.waitFor(30, TimeUnit.SECONDS), "ping did not stop");
            String pingOut = new String(ping.getInputStream().readAllBytes());
            Thread.sleep(1000); // whatever the socket still holds is handled by then
            CountersSnapshot after = a.counters();
            Map<String, Long> snmpAfter = snmp(a.ns());

            assertTrue(ProcessHandle.of(dataPlane).map(ProcessHandle::isAlive).orElse(false),
                    "the data plane died" + a.log());
            assertEquals(dataPlane, a.dataPlane().pid(), "the data plane was restarted" + a.log());
            assertTrue(ProcessHandle.of(node).map(ProcessHandle::isAlive).orElse(false), "the node died" + a.log());

            Matcher m = Pattern.compile("(\\d+) packets transmitted, (\\d+) received").matcher(pingOut);
            assertTrue(m.find(), pingOut);
            int transmitted = Integer.parseInt(m.group(1));
            int received = Integer.parseInt(m.group(2));
            TestNamespace.Cmd.Result afterwards = a.ns().execAllowingFailure(30, "ping", "-c", "3", "-W", "2",
                    TwoNodes.OVERLAY_B);

            // What the kernel dropped before the data plane could see it: a full receive buffer, or a large
            // datagram whose fragments did not all arrive.
            long rcvbufErrors = snmpAfter.get("Udp:RcvbufErrors") - snmpBefore.get("Udp:RcvbufErrors");
            long reasm = snmpAfter.get("Ip:ReasmFails") - snmpBefore.get("Ip:ReasmFails");
            long total = 0;
            for (long n : sent.values()) {
                total += n;
            }
            Map<DropReason, Long> counted = new EnumMap<>(DropReason.class);
            for (DropReason r : DropReason.values()) {
                counted.put(r, after.drops().get(r) - before.drops().get(r));
            }
            long punted = after.globals().get(GlobalCounter.PUNTED) - before.globals().get(GlobalCounter.PUNTED);
            PeerTotals peerBefore = before.peers().get(0);
            PeerTotals peerAfter = after.peers().get(0);
            System.out.printf("flood of %,d datagrams in %,d ms (%,d/s) from B's namespace to A's data plane %d: sent"
                            + " %s; counted drops %s, punted %,d; kernel receive-buffer drops %,d; ping during the flood"
                            + " %d/%d; peer %s drops %s%n", total, floodMs, total * 1000 / Math.max(1, floodMs),
                    dataPlane, sent, nonZero(counted), punted, rcvbufErrors, received, transmitted, peerAfter.name(),
                    peerAfter.drops());

            String stats = a.cli(60, "stats", "--json", "--file", a.countersFile().toString()).output();
            // Every datagram the kernel handed over is in a counter, each kind in its own.
            long lost = rcvbufErrors + reasm;
            assertWithin(sent.get(Kind.RANDOM) + sent.get(Kind.TRUNCATED), counted.get(DropReason.MALFORMED), lost,
                    "malformed", stats);
            assertWithin(sent.get(Kind.UNKNOWN_INDEX), counted.get(DropReason.NO_SESSION), lost, "no session", stats);
            assertWithin(sent.get(Kind.BAD_TAG), counted.get(DropReason.AUTH_FAILED), lost, "auth failed", stats);
            assertWithin(sent.get(Kind.REPLAY), counted.get(DropReason.REPLAY), lost, "replay", stats);
            assertWithin(sent.get(Kind.HANDSHAKE_BAD_LENGTH), punted, lost, "punted", stats);
            assertTrue(counted.get(DropReason.MALFORMED) + counted.get(DropReason.NO_SESSION)
                    + counted.get(DropReason.AUTH_FAILED) + counted.get(DropReason.REPLAY) + punted >= total - lost,
                    "uncounted datagrams: " + counted + " " + punted + " of " + total + " - " + lost);
            // The peer is known for a bad tag and a replay (its session was found), not for the rest.
            assertEquals(counted.get(DropReason.AUTH_FAILED),
                    peerAfter.drops(DropReason.AUTH_FAILED) - peerBefore.drops(DropReason.AUTH_FAILED));
            assertEquals(counted.get(DropReason.REPLAY),
                    peerAfter.drops(DropReason.REPLAY) - peerBefore.drops(DropReason.REPLAY));
            assertEquals(0, peerAfter.drops(DropReason.NO_SESSION) + peerAfter.drops(DropReason.MALFORMED));
            // ... and ipop stats --json shows the same.
            assertTrue(stats.contains("\"name\":\"beta\""), stats);
            assertTrue(stats.contains("\"auth_failed\":" + peerAfter.drops(DropReason.AUTH_FAILED)), stats);
            assertTrue(stats.contains("\"malformed\":" + after.drops().get(DropReason.MALFORMED)), stats);

            // Legitimate traffic kept flowing during the flood, and flows after it.
            assertTrue(received * 2 >= transmitted, "ping during the flood: " + received + " of " + transmitted
                    + "\n" + pingOut);
            assertEquals(0, afterwards.exitCode(), afterwards.output());
        }
    }

    private static void assertWithin(long sent, long counted, long lost, String what, String stats) {
        assertTrue(counted <= sent && counted >= sent - lost,
                what + ": " + counted + " counted for " + sent + " sent (" + lost + " lost in the kernel)\n" + stats);
    }

    private static String nonZero(Map<DropReason, Long> drops) {
        StringBuilder sb = new StringBuilder("{");
        drops.forEach((r, n) -> {
            if (n != 0) {
                sb.append(sb.length() > 1 ? ", " : "").append(r.key()).append('=').append(n);
            }
        });
        return sb.append('}').toString();
    }

    /**
     * Reads incoming UDP on a raw socket in A's namespace while B pings A over the tunnel (so B sends data
     * messages) and returns the payload of the first transport data message from B's listen port.
     */
    private static byte[] captureDataMessage(TestNamespace nsA, TestNamespace nsB) throws Exception {
        Process ping = nsB.start("ping", "-c", "20", "-i", "0.2", TwoNodes.OVERLAY_A);
        try {
            return nsA.call(() -> {
                int fd = Sockets.socket(Sockets.AF_INET, Sockets.SOCK_RAW | Sockets.SOCK_NONBLOCK | Sockets.SOCK_CLOEXEC,
                        IPPROTO_UDP);
                try (Arena arena = Arena.ofConfined()) {
                    MemorySegment buf = arena.allocate(65536);
                    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
                    while (System.nanoTime() - deadline < 0) {
                        int n = Sockets.recvfrom(fd, buf, buf.byteSize(), 0, MemorySegment.NULL, MemorySegment.NULL);
                        if (n == Libc.WOULD_BLOCK) {
                            Thread.sleep(5);
                            continue;
                        }
                        int ihl = (buf.get(ValueLayout.JAVA_BYTE, 0) & 0x0F) * 4;
                        int srcPort = Short.toUnsignedInt(buf.get(ValueLayout.JAVA_SHORT_UNALIGNED
                                .withOrder(ByteOrder.BIG_ENDIAN), ihl));
                        int payload = ihl + UDP_HEADER;
                        if (ihl != IPV4_HEADER || srcPort != TwoNodes.PORT || n < payload + TransportHeader.OVERHEAD) {
                            continue;
                        }
                        byte type = buf.get(ValueLayout.JAVA_BYTE, payload);
                        if (type == MessageTypes.WG_DATA || type == MessageTypes.AES_DATA) {
                            return buf.asSlice(payload, n - payload).toArray(ValueLayout.JAVA_BYTE);
                        }
                    }
                    throw new AssertionError("no data message from B seen in 20 s");
                } finally {
                    Libc.close(fd);
                }
            }, 30);
        } finally {
            ping.destroyForcibly();
        }
    }

    /** Sends the garbage from B's namespace (its thread) to A's listen port; returns how many of each kind. */
    private static Map<Kind, Long> flood(byte[] genuine, int receiverIndex) throws IOException {
        Map<Kind, Long> sent = new EnumMap<>(Kind.class);
        for (Kind k : Kind.values()) {
            sent.put(k, 0L);
        }
        SplittableRandom random = new SplittableRandom(42);
        ByteBuffer out = ByteBuffer.allocateDirect(65507).order(ByteOrder.LITTLE_ENDIAN);
        byte[] noise = new byte[65507];
        random.nextBytes(noise);
        byte[] dataType = {MessageTypes.WG_DATA, MessageTypes.AES_DATA};
        byte[] handshakeTypes = {MessageTypes.WG_INITIATION, MessageTypes.WG_RESPONSE, MessageTypes.WG_COOKIE_REPLY,
            MessageTypes.AES_INITIATION, MessageTypes.AES_RESPONSE, MessageTypes.AES_COOKIE_REPLY};
        InetSocketAddress target = new InetSocketAddress(TwoNodes.UNDERLAY_A, TwoNodes.PORT);
        // sendmmsg in batches, so the rate is the kernel's and the data plane's, not one syscall per datagram.
        try (UdpSocket socket = UdpSocket.open(StandardProtocolFamily.INET);
                MessageBatch batch = new MessageBatch(BATCH, MessageBatch.MAX_BUFFER_SIZE)) {
            socket.bind(new InetSocketAddress(TwoNodes.UNDERLAY_B, 0));
            socket.setBufferSizes(1 << 20, 4 << 20);
            int filled = 0;
            for (int i = 0; i < DATAGRAMS; i++) {
                Kind kind = Kind.values()[i % Kind.values().length];
                out.clear();
                switch (kind) {
                    case RANDOM -> {
                        // Mostly short; one in 64 anywhere up to the largest UDP payload (IP-fragmented on the wire).
                        int length = i % 64 == 0 ? random.nextInt(65508) : random.nextInt(1500);
                        out.put(noise, random.nextInt(65507 - length + 1), length);
                        if (length >= 4 && isKnownType(out.get(0)) && out.get(1) == 0 && out.get(2) == 0
                                && out.get(3) == 0) {
                            out.put(0, (byte) 0x7f); // chance made it a real type: make it garbage again
                        }
                        if (length >= 8 && (out.get(0) & 0xC0) == 0) {
                            out.put(0, (byte) 0xff); // nor may chance make it STUN
                        }
                    }
                    case TRUNCATED -> {
                        // A data type with fewer bytes than header and tag: 1..31 bytes.
                        int length = 1 + random.nextInt(TransportHeader.OVERHEAD - 1);
                        out.put(dataType[i & 1]);
                        out.put(noise, 0, length - 1);
                        if (length >= 4) {
                            out.put(1, (byte) 0).put(2, (byte) 0).put(3, (byte) 0);
                        }
                    }
                    case HANDSHAKE_BAD_LENGTH -> {
                        out.putInt(handshakeTypes[random.nextInt(handshakeTypes.length)]);
                        out.put(noise, 0, random.nextInt(300));
                    }
                    case UNKNOWN_INDEX -> {
                        int index = random.nextInt();
                        if (index == receiverIndex) {
                            index++;
                        }
                        out.putInt(genuine[0]).putInt(index).putLong(random.nextLong(1L << 40));
                        out.put(noise, 0, TransportHeader.TAG_LENGTH + random.nextInt(1400));
                    }
                    case BAD_TAG -> {
                        out.putInt(genuine[0]).putInt(receiverIndex).putLong(1_000_000L + i);
                        out.put(noise, random.nextInt(1000), TransportHeader.TAG_LENGTH + random.nextInt(1400));
                    }
                    case REPLAY -> out.put(genuine);
                }
                out.flip();
                MemorySegment.copy(MemorySegment.ofBuffer(out), 0, batch.buffer(filled), 0, out.remaining());
                batch.setLength(filled, out.remaining());
                batch.setSegmentSize(filled, 0);
                batch.remote(filled).set(target);
                batch.local(filled).clear();
                filled++;
                sent.merge(kind, 1L, Long::sum);
                if (filled == BATCH || i == DATAGRAMS - 1) {
                    sendAll(socket, batch, filled);
                    filled = 0;
                }
            }
        }
        return sent;
    }

    /** Sends slots {@code [0, count)}, waiting while the socket's send buffer is full. */
    private static void sendAll(UdpSocket socket, MessageBatch batch, int count) throws IOException {
        int done = 0;
        while (done < count) {
            int n = socket.send(batch, done, count - done);
            if (n == Libc.WOULD_BLOCK) {
                LockSupport.parkNanos(50_000);
            } else {
                done += n;
            }
        }
    }

    private static boolean isKnownType(byte b) {
        return (b >= 1 && b <= 4) || (b >= 0x11 && b <= 0x14);
    }

    /**
     * The namespace's /proc/net/snmp as {@code "Udp:RcvbufErrors" -> value}: the file is pairs of lines, field
     * names then values, each starting with the protocol.
     */
    private static Map<String, Long> snmp(TestNamespace ns) throws IOException {
        List<String> lines = ns.exec("cat", "/proc/net/snmp").lines().toList();
        Map<String, Long> values = new HashMap<>();
        for (int i = 0; i + 1 < lines.size(); i += 2) {
            String[] names = lines.get(i).trim().split("\\s+");
            String[] numbers = lines.get(i + 1).trim().split("\\s+");
            for (int j = 1; j < names.length && j < numbers.length; j++) {
                values.put(names[0] + names[j], Long.parseLong(numbers[j]));
            }
        }
        if (!values.containsKey("Udp:RcvbufErrors") || !values.containsKey("Ip:ReasmFails")) {
            throw new AssertionError("no Udp RcvbufErrors or Ip ReasmFails in /proc/net/snmp: " + lines);
        }
        return values;
    }
}
