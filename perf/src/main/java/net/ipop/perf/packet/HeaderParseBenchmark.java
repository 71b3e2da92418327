package net.ipop.perf.packet;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.concurrent.TimeUnit;

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

import net.ipop.crypto.aead.TransportHeader;
import net.ipop.dataplane.packet.Ipv4;
import net.ipop.dataplane.packet.Ipv6;
import net.ipop.ffm.tun.VirtioNetHeader;

/**
 * The header parsing every packet pays, with the data plane's own accessors over off-heap packet
 * memory: a TUN read's virtio-net header and IPv4 header up to the TCP header length (what the
 * outbound path reads before routing and segmenting), the same for IPv6, a transport header of a
 * received datagram, and an IPv4 header checksum (segmentation rewrites one per segment).
 * Run: {@code perf/jmh.sh HeaderParseBenchmark -prof gc}.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(1)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class HeaderParseBenchmark {
    private static final int LENGTH = 1420;
    private static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    private static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);

    private final VirtioNetHeader vnet = new VirtioNetHeader();
    private final TransportHeader transport = new TransportHeader();
    private Arena arena;
    private MemorySegment v4;
    private MemorySegment v6;
    private MemorySegment datagram;

    @Setup
    public void setup() {
        arena = Arena.ofConfined();
        v4 = arena.allocate(VirtioNetHeader.SIZE + LENGTH, 64);
        v6 = arena.allocate(VirtioNetHeader.SIZE + LENGTH, 64);
        datagram = arena.allocate(LENGTH + TransportHeader.OVERHEAD, 64);
        vnet.wrap(v4, 0).flags(VirtioNetHeader.F_NEEDS_CSUM).gsoType(VirtioNetHeader.GSO_NONE);
        long ip = VirtioNetHeader.SIZE;
        v4.set(ValueLayout.JAVA_BYTE, ip, (byte) 0x45);
        v4.set(U16, ip + Ipv4.TOTAL_LENGTH_OFFSET, (short) LENGTH);
        v4.set(U16, ip + Ipv4.FLAGS_FRAGMENT_OFFSET, (short) 0x4000);
        v4.set(ValueLayout.JAVA_BYTE, ip + Ipv4.TTL_OFFSET, (byte) 64);
        v4.set(ValueLayout.JAVA_BYTE, ip + Ipv4.PROTOCOL_OFFSET, (byte) Ipv4.PROTO_TCP);
        v4.set(U32, ip + Ipv4.SRC_OFFSET, 0xC000_0201); // 192.0.2.1
        v4.set(U32, ip + Ipv4.DST_OFFSET, 0xC000_0202); // 192.0.2.2
        v4.set(ValueLayout.JAVA_BYTE, ip + Ipv4.MIN_HEADER + 12, (byte) 0x80); // TCP data offset 32
        vnet.wrap(v6, 0).gsoType(VirtioNetHeader.GSO_NONE);
        v6.set(ValueLayout.JAVA_BYTE, ip, (byte) 0x60);
        v6.set(U16, ip + Ipv6.PAYLOAD_LENGTH_OFFSET, (short) (LENGTH - Ipv6.HEADER));
        v6.set(ValueLayout.JAVA_BYTE, ip + Ipv6.NEXT_HEADER_OFFSET, (byte) Ipv4.PROTO_UDP);
        v6.set(U32, ip + Ipv6.DST_OFFSET, 0x2001_0db8);
        v6.set(U32, ip + Ipv6.DST_OFFSET + 12, 2);
        transport.wrap(datagram, 0).type(4).receiverIndex(0x1234_5678).counter(42);
    }

    @TearDown
    public void tearDown() {
        arena.close();
    }

    @Benchmark
    public int ipv4Tcp() {
        vnet.wrap(v4, 0);
        int gso = vnet.gsoType();
        long ip = VirtioNetHeader.SIZE;
        if (!Ipv4.valid(v4, ip, LENGTH)) {
            return -1;
        }
        int ihl = Ipv4.headerLength(v4, ip);
        int tcpHeader = (v4.get(ValueLayout.JAVA_BYTE, ip + ihl + 12) & 0xF0) >>> 2;
        return Ipv4.dst(v4, ip) ^ Ipv4.protocol(v4, ip) ^ (Ipv4.dontFragment(v4, ip) ? 1 : 0) ^ gso ^ (ihl + tcpHeader);
    }

    @Benchmark
    public long ipv6Udp() {
        vnet.wrap(v6, 0);
        long ip = VirtioNetHeader.SIZE;
        if (!Ipv6.valid(v6, ip, LENGTH)) {
            return -1;
        }
        return Ipv6.dstHi(v6, ip) ^ Ipv6.dstLo(v6, ip) ^ Ipv6.nextHeader(v6, ip) ^ vnet.gsoType();
    }

    @Benchmark
    public long transportHeader() {
        transport.wrap(datagram, 0);
        return transport.type() ^ transport.receiverIndex() ^ transport.counter();
    }

    @Benchmark
    public void ipv4Checksum() {
        Ipv4.fixHeaderChecksum(v4, VirtioNetHeader.SIZE);
    }
}
