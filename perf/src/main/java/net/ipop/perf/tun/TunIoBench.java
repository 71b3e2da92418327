package net.ipop.perf.tun;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.nio.ByteOrder;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.concurrent.TimeUnit;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import net.ipop.ffm.netlink.IpPrefix;
import net.ipop.ffm.netlink.RtnetlinkClient;
import net.ipop.ffm.netns.NetNamespace;
import net.ipop.ffm.tun.TunDevice;
import net.ipop.ffm.tun.TunOffload;
import net.ipop.ffm.tun.VirtioNetHeader;
import net.ipop.ffm.udp.MessageBatch;
import net.ipop.ffm.udp.UdpSocket;
import net.ipop.ffm.uring.IoUring;

/**
 * What it costs to move packets across the TUN boundary, three ways, in packets per second:
 * one {@code write}/{@code read} system call per packet, 32 packets per {@code io_uring_enter},
 * and one 32-segment virtio-net super-packet per call (USO).
 *
 * <p>Write direction: 1420-byte IPv4/UDP packets are written into the device and delivered to a
 * local UDP socket (with UDP_GRO), which each operation drains with one {@code recvmmsg}. Read
 * direction: the socket sends 32 datagrams (one {@code sendmmsg}, or one GSO send for the
 * super-packet case) routed into the device, and the benchmark reads them out. The kernel work on
 * the far side is part of every figure, as it is on the real path.
 *
 * <p>Runs inside a network namespace of its own (created in setup, deleted in teardown): needs root.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED"})
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 2)
public class TunIoBench {
    static final int BATCH = 32;
    static final int PACKET = 1420;
    static final int SEGMENT = PACKET - 28;
    static final int SINK_PORT = 9000;

    private String namespace;
    private Arena arena;
    private TunDevice plain;
    private TunDevice vnet;
    private IoUring ring;
    private UdpSocket socket;
    private MessageBatch drainBatch;
    private MessageBatch sendBatch;
    private MessageBatch gsoBatch;
    private MemorySegment packet;
    private MemorySegment superPacket;
    private int superLength;
    private MemorySegment[] readSlots;
    private MemorySegment bigReadSlot;
    private final long[] userData = new long[BATCH];
    private final int[] res = new int[BATCH];
    private final int[] flags = new int[BATCH];

    @Setup(Level.Trial)
    public void setup() throws Exception {
        byte[] r = new byte[3];
        new SecureRandom().nextBytes(r);
        namespace = "ipopt-bench-" + HexFormat.of().formatHex(r);
        run("ip", "netns", "add", namespace);
        // JMH calls setup and the benchmark on the same thread for Scope.Thread state: move it.
        NetNamespace.enterNamed(namespace);
        plain = TunDevice.tun().name("bp0").open();
        vnet = TunDevice.tun().name("bv0").vnetHeader(true).offloads(TunOffload.ALL).open();
        run("ip", "netns", "exec", namespace, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1");
        try (RtnetlinkClient nl = RtnetlinkClient.open()) {
            nl.linkUp("lo");
            nl.addAddress("bp0", IpPrefix.parse("192.0.2.1/24"));
            nl.addAddress("bv0", IpPrefix.parse("198.51.100.1/24"));
            nl.linkUp("bp0");
            nl.linkUp("bv0");
        }
        ring = IoUring.open(64);
        socket = UdpSocket.open(StandardProtocolFamily.INET);
        socket.setBufferSizes(32 << 20, 32 << 20);
        socket.setGro(true);
        socket.bind(new InetSocketAddress(InetAddress.getByName("0.0.0.0"), SINK_PORT));
        drainBatch = new MessageBatch(64, 65536);
        sendBatch = new MessageBatch(BATCH, PACKET);
        gsoBatch = new MessageBatch(1, 65536);

        arena = Arena.ofShared();
        packet = arena.allocate(PACKET);
        writeUdpHeader(packet, 0, ip(192, 0, 2, 2), ip(192, 0, 2, 1), PACKET);
        superLength = VirtioNetHeader.SIZE + 28 + BATCH * SEGMENT;
        superPacket = arena.allocate(superLength);
        writeUdpHeader(superPacket, VirtioNetHeader.SIZE, ip(198, 51, 100, 2), ip(198, 51, 100, 1), superLength - VirtioNetHeader.SIZE);
        // A USO super-packet as the kernel itself would hand it over: partial checksum, segment size set.
        VirtioNetHeader h = new VirtioNetHeader().wrap(superPacket, 0);
        h.clear();
        h.flags(VirtioNetHeader.F_NEEDS_CSUM).gsoType(VirtioNetHeader.GSO_UDP_L4).hdrLen(28).gsoSize(SEGMENT)
                .csumStart(20).csumOffset(6);
        superPacket.set(BE16, VirtioNetHeader.SIZE + 26, (short) pseudoHeaderSum(superPacket, VirtioNetHeader.SIZE, superLength - VirtioNetHeader.SIZE - 20));

        readSlots = new MemorySegment[BATCH];
        for (int i = 0; i < BATCH; i++) {
            readSlots[i] = arena.allocate(2048);
            sendBatch.buffer(i).fill((byte) i);
            sendBatch.setLength(i, SEGMENT);
            sendBatch.remote(i).setIpv4(ip(192, 0, 2, 2), 9001);
        }
        bigReadSlot = arena.allocate(VirtioNetHeader.SIZE + 65535);
        gsoBatch.setLength(0, BATCH * SEGMENT);
        gsoBatch.setSegmentSize(0, SEGMENT);
        gsoBatch.remote(0).setIpv4(ip(198, 51, 100, 2), 9001);
    }

    @TearDown(Level.Trial)
    public void tearDown() throws Exception {
        ring.close();
        socket.close();
        drainBatch.close();
        sendBatch.close();
        gsoBatch.close();
        plain.close();
        vnet.close();
        arena.close();
        run("ip", "netns", "del", namespace);
    }

    /** One write system call per packet. */
    @Benchmark
    @OperationsPerInvocation(BATCH)
    public int writePerPacket() throws Exception {
        for (int i = 0; i < BATCH; i++) {
            plain.queue(0).write(packet, PACKET);
        }
        return drain();
    }

    /** 32 WRITE entries, one io_uring_enter. */
    @Benchmark
    @OperationsPerInvocation(BATCH)
    public int writeUringBatch() throws Exception {
        int fd = plain.queue(0).fd();
        for (int i = 0; i < BATCH; i++) {
            ring.prepWrite(fd, packet, PACKET, -1, i);
        }
        ring.submitAndWait(BATCH);
        int done = 0;
        while (done < BATCH) {
            done += ring.drain(userData, res, flags, BATCH - done);
        }
        return drain();
    }

    /** One write of a 32-segment USO super-packet. */
    @Benchmark
    @OperationsPerInvocation(BATCH)
    public int writeSuperPacket() throws Exception {
        vnet.queue(0).write(superPacket, superLength);
        return drain();
    }

    /** 32 datagrams in, one read system call per packet out. */
    @Benchmark
    @OperationsPerInvocation(BATCH)
    public int readPerPacket() throws Exception {
        socket.send(sendBatch, 0, BATCH);
        int got = 0;
        for (int i = 0; i < BATCH; i++) {
            got += plain.queue(0).read(readSlots[i]) > 0 ? 1 : 0;
        }
        return got;
    }

    /** 32 datagrams in, 32 READ entries and one io_uring_enter out. */
    @Benchmark
    @OperationsPerInvocation(BATCH)
    public int readUringBatch() throws Exception {
        socket.send(sendBatch, 0, BATCH);
        int fd = plain.queue(0).fd();
        for (int i = 0; i < BATCH; i++) {
            ring.prepRead(fd, readSlots[i], 2048, -1, i);
        }
        ring.submitAndWait(BATCH);
        int done = 0;
        while (done < BATCH) {
            done += ring.drain(userData, res, flags, BATCH - done);
        }
        return done;
    }

    /** One 32-segment GSO send in, one super-packet read out. */
    @Benchmark
    @OperationsPerInvocation(BATCH)
    public int readSuperPacket() throws Exception {
        socket.send(gsoBatch, 0, 1);
        return vnet.queue(0).read(bigReadSlot);
    }

    private int drain() throws Exception {
        int total = 0;
        int n;
        while ((n = socket.receive(drainBatch)) > 0) {
            total += n;
        }
        return total;
    }

    private static final ValueLayout.OfShort BE16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    private static final ValueLayout.OfInt BE32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);

    private static int ip(int a, int b, int c, int d) {
        return (a << 24) | (b << 16) | (c << 8) | d;
    }

    /** IPv4 + UDP headers for a packet of {@code total} bytes to the sink port; UDP checksum 0 (none). */
    private static void writeUdpHeader(MemorySegment s, long o, int src, int dst, int total) {
        s.set(ValueLayout.JAVA_BYTE, o, (byte) 0x45);
        s.set(BE16, o + 2, (short) Math.min(total, 65535));
        s.set(BE16, o + 6, (short) 0x4000);
        s.set(ValueLayout.JAVA_BYTE, o + 8, (byte) 64);
        s.set(ValueLayout.JAVA_BYTE, o + 9, (byte) 17);
        s.set(BE32, o + 12, src);
        s.set(BE32, o + 16, dst);
        long sum = 0;
        for (int i = 0; i < 20; i += 2) {
            sum += s.get(BE16, o + i) & 0xFFFF;
        }
        s.set(BE16, o + 10, (short) ~fold(sum));
        s.set(BE16, o + 20, (short) 40000);
        s.set(BE16, o + 22, (short) SINK_PORT);
        s.set(BE16, o + 24, (short) (total - 20));
        s.set(BE16, o + 26, (short) 0);
    }

    /** The folded, uncomplemented pseudo-header sum a partial UDP checksum field holds. */
    private static int pseudoHeaderSum(MemorySegment s, long ip, int udpLength) {
        long sum = 0;
        for (int i = 12; i < 20; i += 2) {
            sum += s.get(BE16, ip + i) & 0xFFFF;
        }
        return fold(sum + 17 + udpLength);
    }

    private static int fold(long sum) {
        while ((sum >>> 16) != 0) {
            sum = (sum & 0xFFFF) + (sum >>> 16);
        }
        return (int) sum;
    }

    private static void run(String... command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IOException(String.join(" ", command) + " failed: " + out);
        }
    }
}
