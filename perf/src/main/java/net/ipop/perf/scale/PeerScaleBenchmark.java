package net.ipop.perf.scale;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import net.ipop.crypto.Suite;
import net.ipop.crypto.aead.AeadScratch;
import net.ipop.crypto.aead.TransportHeader;
import net.ipop.dataplane.route.Prefix;
import net.ipop.dataplane.route.RouteTable;
import net.ipop.dataplane.session.Peer;
import net.ipop.dataplane.session.PeerEndpoint;
import net.ipop.dataplane.session.PeerTable;
import net.ipop.dataplane.session.Session;
import net.ipop.dataplane.session.SessionIndex;

/**
 * How the per-packet cost grows with the size of the overlay: 1, 100 and 10,000 peers, each with
 * its own session (OpenSSL contexts of its own) and a host route, in one {@link PeerTable}
 * snapshot built with the data plane's own classes.
 *
 * <p>{@code perPacket} is what every packet pays outside the kernel: the route lookup of an
 * outbound packet's destination, the session lookup of an inbound packet's receiver index and
 * sealing a 1420-byte packet with the routed peer's session. {@code routeLookup} and
 * {@code sessionLookup} show which part grows. Each operation picks the next peer from a fixed
 * random sequence, so with many peers the tables and cipher contexts do not all stay in the
 * cache, as with real traffic to many peers.
 *
 * <p>Routes are IPv6 /128 host routes in 2001:db8::/32 (the documentation IPv4 ranges hold too few
 * addresses for 10,000 peers); nothing is sent anywhere. Run:
 * {@code perf/jmh.sh PeerScaleBenchmark -prof gc}.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(1)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class PeerScaleBenchmark {
    /** Length of the random peer sequence; a power of two, larger than the biggest table. */
    private static final int SEQUENCE = 1 << 15;
    private static final long DOC_PREFIX_HI = 0x2001_0db8_0000_0000L;

    @Param({"1", "100", "10000"})
    public int peers;

    @Param({"AES256GCM"})
    public Suite suite;

    @Param({"1420"})
    public int size;

    private final List<Session> sessions = new ArrayList<>();
    private final List<PeerEndpoint> endpoints = new ArrayList<>();
    private Arena arena;
    private MemorySegment packet;
    private PeerTable table;
    private long[] destinationHi;
    private long[] destinationLo;
    private int[] receiverIndex;
    private int next;

    @Setup(Level.Trial)
    public void setup() {
        SplittableRandom random = new SplittableRandom(7);
        AeadScratch scratch = new AeadScratch();
        PeerTable.Builder builder = new PeerTable.Builder();
        RouteTable.Builder routes = new RouteTable.Builder();
        Set<Integer> usedIndices = new HashSet<>();
        int[] localIndex = new int[peers];
        byte[] sendKey = new byte[32];
        byte[] receiveKey = new byte[32];
        for (int slot = 0; slot < peers; slot++) {
            Prefix host = new Prefix(true, DOC_PREFIX_HI, hostPart(slot), 128);
            PeerEndpoint endpoint = new PeerEndpoint().set(new InetSocketAddress("198.51.100.2", 51820));
            endpoints.add(endpoint);
            int index;
            do {
                index = random.nextInt();
            } while (!usedIndices.add(index));
            localIndex[slot] = index;
            random.nextBytes(sendKey);
            random.nextBytes(receiveKey);
            Session session = new Session(index, random.nextInt(), suite, sendKey, receiveKey, scratch, System.nanoTime());
            sessions.add(session);
            builder.put(Peer.create(slot, "peer-" + slot, List.of(host), endpoint).withSession(session));
            routes.add(host, slot);
        }
        table = builder.routes(routes.build()).build();
        destinationHi = new long[SEQUENCE];
        destinationLo = new long[SEQUENCE];
        receiverIndex = new int[SEQUENCE];
        for (int i = 0; i < SEQUENCE; i++) {
            int slot = random.nextInt(peers);
            destinationHi[i] = DOC_PREFIX_HI;
            destinationLo[i] = hostPart(slot);
            receiverIndex[i] = localIndex[random.nextInt(peers)];
        }
        arena = Arena.ofConfined();
        packet = arena.allocate(size + TransportHeader.OVERHEAD, 64);
    }

    /** Host part of peer {@code slot}'s address: 2001:db8::1:0 upwards, never the subnet-router anycast. */
    private static long hostPart(int slot) {
        return 0x1_0000L + slot;
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        sessions.forEach(Session::close);
        endpoints.forEach(PeerEndpoint::close);
        arena.close();
    }

    @Benchmark
    public int perPacket() {
        int i = next++ & (SEQUENCE - 1);
        int slot = table.routes().lookup6(destinationHi[i], destinationLo[i]);
        SessionIndex index = table.sessions();
        int position = index.find(receiverIndex[i]);
        Session session = table.peer(slot).current();
        return session.sealer().seal(packet, 0, size) + index.session(position).localIndex();
    }

    @Benchmark
    public int routeLookup() {
        int i = next++ & (SEQUENCE - 1);
        return table.routes().lookup6(destinationHi[i], destinationLo[i]);
    }

    @Benchmark
    public Session sessionLookup() {
        int i = next++ & (SEQUENCE - 1);
        SessionIndex index = table.sessions();
        return index.session(index.find(receiverIndex[i]));
    }
}
