package net.ipop.perf.path;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetSocketAddress;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

import net.ipop.crypto.Suite;
import net.ipop.dataplane.pipeline.PipelineAgent;
import net.ipop.dataplane.pipeline.PipelineIo;
import net.ipop.dataplane.route.Prefix;
import net.ipop.dataplane.route.RouteTable;
import net.ipop.dataplane.session.Peer;
import net.ipop.dataplane.session.PeerEndpoint;
import net.ipop.dataplane.session.PeerTable;
import net.ipop.dataplane.session.PeerTableHolder;
import net.ipop.dataplane.session.Session;
import net.ipop.ffm.tun.VirtioNetHeader;
import net.ipop.ffm.udp.MessageBatch;
import net.ipop.ffm.udp.SockAddr;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The whole packet path of two pipelines without the kernel: one operation is one 64 KiB TCP
 * super-packet (TSO, 1380-byte segments) read from A's "TUN", segmented, checksummed, sealed and
 * batched for GSO by A's {@link PipelineAgent}, then received by B as GRO slots, opened, checked and
 * coalesced back into one super-packet for B's "TUN". The in-memory I/O lends A the packet (as the
 * io_uring engine does) and copies A's send slots into B's receive batch (standing in for the
 * kernel's copy); the TUN write is dropped. What is left is the user-space cost per 64 KiB, the
 * figure the single-stream throughput depends on. Run: {@code perf/jmh.sh PathBenchmark -prof gc}.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "--add-exports",
        "java.base/jdk.internal.misc=ALL-UNNAMED"})
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class PathBenchmark {
    static final int MTU = 1420;
    static final int MSS = 1380;
    static final int HEADERS = 40;
    static final int PAYLOAD = 65535 - HEADERS;
    private static final ValueLayout.OfShort BE16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    private static final ValueLayout.OfInt BE32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);

    private Arena arena;
    private MemorySegment superPacket;
    private int superPacketLength;
    private Io ioA;
    private Io ioB;
    private PipelineAgent a;
    private PipelineAgent b;
    private PeerEndpoint ofA;
    private PeerEndpoint ofB;

    /** In-memory I/O of one side; see the class comment. Allocation-free per operation. */
    private final class Io implements PipelineIo {
        InetSocketAddress self;
        Io peer;
        boolean tunPending;
        /** A's last send, read by B's next receive. */
        MessageBatch sent;
        int sentCount;
        long frames;
        SockAddr selfAddress;

        @Override
        public int readTun(MemorySegment[] buffers, int[] lengths, int count) {
            if (!tunPending) {
                return 0;
            }
            tunPending = false;
            buffers[0] = superPacket;
            lengths[0] = superPacketLength;
            return 1;
        }

        @Override
        public int send(MessageBatch batch, int count) {
            if (peer.sent != null) {
                throw new IllegalStateException("two sends in one cycle: the benchmark expects one");
            }
            peer.sent = batch;
            peer.sentCount = count;
            return 0;
        }

        @Override
        public int receive(MessageBatch batch) {
            if (sent == null) {
                return 0;
            }
            int n = sentCount;
            for (int i = 0; i < n; i++) {
                int length = sent.length(i);
                MemorySegment.copy(sent.sendSegment(i), sent.sendOffset(i), batch.buffer(i), 0, length);
                batch.setLength(i, length);
                batch.setSegmentSize(i, sent.segmentSize(i));
                batch.remote(i).copyFrom(peer.selfAddress);
            }
            sent = null;
            return n;
        }

        @Override
        public boolean write(MemorySegment buffer, long offset, int length) {
            frames++;
            return true;
        }

        @Override
        public boolean writeFrame(MemorySegment frame, int length) {
            frames++;
            return true;
        }

        @Override
        public void awaitReadable(int timeoutMs) {
        }

        @Override
        public void close() {
        }
    }

    @Setup
    public void setup() throws Exception {
        arena = Arena.ofShared();
        superPacket = arena.allocate(VirtioNetHeader.SIZE + 65535, 64);
        superPacketLength = VirtioNetHeader.SIZE + HEADERS + PAYLOAD;
        buildSuperPacket();
        InetSocketAddress underlayA = new InetSocketAddress("198.51.100.1", 51820);
        InetSocketAddress underlayB = new InetSocketAddress("198.51.100.2", 51820);
        ioA = new Io();
        ioB = new Io();
        ioA.peer = ioB;
        ioB.peer = ioA;
        ioA.selfAddress = new SockAddr(arena.allocate(32, 8), 0);
        ioA.selfAddress.set(underlayA);
        ioB.selfAddress = new SockAddr(arena.allocate(32, 8), 0);
        ioB.selfAddress.set(underlayB);
        PeerTableHolder tablesA = new PeerTableHolder();
        PeerTableHolder tablesB = new PeerTableHolder();
        PipelineAgent.Settings settings = new PipelineAgent.Settings(MTU, true, 1, 64);
        a = new PipelineAgent(0, tablesA, ioA, settings, (x, o, l, s) -> { });
        b = new PipelineAgent(1, tablesB, ioB, settings, (x, o, l, s) -> { });
        ofA = new PeerEndpoint();
        ofB = new PeerEndpoint();
        byte[] ab = key(1);
        byte[] ba = key(2);
        tablesA.publish(table(new Session(1, 2, Suite.AES256GCM, ab, ba, a.scratch(), System.nanoTime()),
                ofB, underlayB, "192.0.2.2/32"));
        tablesB.publish(table(new Session(2, 1, Suite.AES256GCM, ba, ab, b.scratch(), System.nanoTime()),
                ofA, underlayA, "192.0.2.1/32"));
        roundTrip();
        if (ioB.frames != 1 || b.stats().packetsDelivered() != (PAYLOAD + MSS - 1) / MSS) {
            throw new IllegalStateException("setup: " + ioB.frames + " frames, A " + a.stats() + ", B " + b.stats());
        }
    }

    private static byte[] key(int seed) {
        byte[] k = new byte[32];
        Arrays.fill(k, (byte) seed);
        return k;
    }

    private static PeerTable table(Session session, PeerEndpoint endpoint, InetSocketAddress at, String peerNet) {
        endpoint.set(at);
        Peer peer = Peer.create(0, "peer", List.of(Prefix.parse(peerNet)), endpoint).withSession(session);
        return new PeerTable.Builder().put(peer)
                .routes(new RouteTable.Builder().add(Prefix.parse(peerNet), 0).build()).build();
    }

    /** virtio-net header (TSO, partial checksum) + IPv4 (DF) + TCP (ACK), 192.0.2.1 -> 192.0.2.2. */
    private void buildSuperPacket() {
        MemorySegment p = superPacket;
        new VirtioNetHeader().wrap(p, 0).flags(VirtioNetHeader.F_NEEDS_CSUM).gsoType(VirtioNetHeader.GSO_TCPV4)
                .hdrLen(HEADERS).gsoSize(MSS).csumStart(20).csumOffset(16);
        long ip = VirtioNetHeader.SIZE;
        p.set(ValueLayout.JAVA_BYTE, ip, (byte) 0x45);
        p.set(BE16, ip + 2, (short) (HEADERS + PAYLOAD));
        p.set(BE16, ip + 6, (short) 0x4000);
        p.set(ValueLayout.JAVA_BYTE, ip + 8, (byte) 64);
        p.set(ValueLayout.JAVA_BYTE, ip + 9, (byte) 6);
        p.set(BE32, ip + 12, 0xC0000201);
        p.set(BE32, ip + 16, 0xC0000202);
        int sum = 0;
        for (int i = 0; i < 20; i += 2) {
            sum += p.get(BE16, ip + i) & 0xFFFF;
        }
        while ((sum >>> 16) != 0) {
            sum = (sum & 0xFFFF) + (sum >>> 16);
        }
        p.set(BE16, ip + 10, (short) ~sum);
        long tcp = ip + 20;
        p.set(BE16, tcp, (short) 40000);
        p.set(BE16, tcp + 2, (short) 5201);
        p.set(BE32, tcp + 4, 1000);
        p.set(BE32, tcp + 8, 2000);
        p.set(ValueLayout.JAVA_BYTE, tcp + 12, (byte) 0x50);
        p.set(ValueLayout.JAVA_BYTE, tcp + 13, (byte) 0x10);
        p.set(BE16, tcp + 14, (short) 512);
        for (int i = 0; i < PAYLOAD; i++) {
            p.set(ValueLayout.JAVA_BYTE, tcp + 20 + i, (byte) (i * 7));
        }
    }

    private int roundTrip() throws Exception {
        ioA.tunPending = true;
        return a.doWork() + b.doWork();
    }

    /** One 64 KiB super-packet from A's TUN to B's TUN. */
    @Benchmark
    public int superPacketThroughBothPaths() throws Exception {
        return roundTrip();
    }

    @TearDown
    public void tearDown() {
        a.onClose();
        b.onClose();
        ofA.close();
        ofB.close();
        arena.close();
    }
}
