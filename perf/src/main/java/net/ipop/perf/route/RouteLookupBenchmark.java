package net.ipop.perf.route;

import java.util.concurrent.TimeUnit;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import net.ipop.dataplane.route.Prefix;
import net.ipop.dataplane.route.RouteTable;

/**
 * {@link RouteTable} lookups on a table shaped like an overlay's: host routes for the peers inside
 * 192.0.2.0/24 and 2001:db8::/64, the two subnets themselves (a default next hop), and nothing
 * else. One lookup probes one hash table per prefix length present, so the cost depends on where
 * the match is found, not on the number of routes: {@code host} matches at /32, {@code subnet}
 * falls through to /24, {@code miss} probes every length and finds nothing.
 * Run: {@code perf/jmh.sh RouteLookupBenchmark -prof gc}.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(1)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class RouteLookupBenchmark {
    private static final int SUBNET4 = 0xC000_0200; // 192.0.2.0
    private static final long SUBNET6_HI = 0x2001_0db8_0000_0000L;

    /** Host routes per address family (at most 200: they live in one /24). */
    @Param({"2", "200"})
    public int hosts;

    private RouteTable table;
    private int host4;
    private int subnet4;
    private int miss4;
    private long host6Lo;

    @Setup
    public void setup() {
        RouteTable.Builder b = new RouteTable.Builder();
        b.add(Prefix.parse("192.0.2.0/24"), 0);
        b.add(Prefix.parse("2001:db8::/64"), 0);
        for (int i = 1; i <= hosts; i++) {
            b.add(new Prefix(false, 0, (SUBNET4 + i) & 0xFFFF_FFFFL, 32), i);
            b.add(new Prefix(true, SUBNET6_HI, i, 128), i);
        }
        table = b.build();
        host4 = SUBNET4 + hosts;
        subnet4 = SUBNET4 + 250;
        miss4 = 0xCB00_7101; // 203.0.113.1: outside every route
        host6Lo = hosts;
    }

    @Benchmark
    public int host() {
        return table.lookup4(host4);
    }

    @Benchmark
    public int subnet() {
        return table.lookup4(subnet4);
    }

    @Benchmark
    public int miss() {
        return table.lookup4(miss4);
    }

    @Benchmark
    public int host6() {
        return table.lookup6(SUBNET6_HI, host6Lo);
    }
}
