package net.ipop.control;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Supplier;
import java.util.function.ToLongFunction;

import net.ipop.ffm.testing.TestNamespace;

/**
 * One fault under live traffic and the figures it leaves, for the fault tests ({@link FaultRecoveryTest},
 * {@link OverlayFaultTest}): ping every {@value PingProbe#INTERVAL_MS} ms and a capped iperf3 TCP stream from one
 * namespace to an overlay address, the fault applied once both flow, then the wait for both to recover within a
 * bound. Collects each fault's rounds and renders them as the reliability table (median, and range over rounds).
 *
 * <p>Not thread-safe: one test thread.
 */
final class FaultFigures {
    /** One application of a fault: what ping saw after it, and how long iperf3 moved nothing. */
    record Figure(String fault, PingProbe.Outcome ping, long iperfStallMs) {
    }

    /** A step of a fault: applies it, or checks what it left. */
    @FunctionalInterface
    interface Action {
        void run() throws Exception;
    }

    private final Map<String, List<Figure>> figures = new LinkedHashMap<>();
    private final String iperfRate;
    private final int iperfSeconds;
    private final long boundMs;

    /**
     * @param iperfRate    iperf3's bitrate cap ("100M"), so ping measures the fault and not a full queue
     * @param iperfSeconds how long each iperf3 stream may run
     * @param boundMs      recovery must come within this many milliseconds of the fault
     */
    FaultFigures(String iperfRate, int iperfSeconds, long boundMs) {
        this.iperfRate = iperfRate;
        this.iperfSeconds = iperfSeconds;
        this.boundMs = boundMs;
    }

    /**
     * Starts ping and iperf3 from {@code from} to {@code target} (iperf3's server in {@code server}), applies
     * {@code apply} once both flow, waits for both to recover (a second of unbroken replies to requests sent after
     * the fault; iperf3 moving data again), then runs {@code check}, records and returns the figure.
     *
     * @param logs the nodes' logs, for failure messages
     */
    Figure measure(String name, TestNamespace from, TestNamespace server, String target, Supplier<String> logs,
                   Action apply, Action check) throws Exception {
        try (IperfProbe iperf = IperfProbe.start(server, target, from, iperfSeconds, iperfRate);
                PingProbe ping = PingProbe.start(from, target)) {
            ping.awaitReplies(50, 30);
            iperf.awaitMoving(2, 30);
            long fault = System.currentTimeMillis();
            apply.run();
            boolean recovered = ping.awaitRecovery(fault, 100, boundMs);
            long iperfStall = iperf.awaitResumed(fault, 2, boundMs);
            Thread.sleep(500); // the last requests' replies
            PingProbe.Outcome outcome = ping.outcome(fault);
            assertTrue(recovered, name + ": no unbroken ping replies within " + boundMs + " ms; last "
                    + ping.sample(10) + "\n" + ping.output() + logs.get());
            assertTrue(iperfStall >= 0, name + ": the iperf3 transfer did not move data again within "
                    + boundMs + " ms\n" + iperf.output() + logs.get());
            check.run();
            System.out.printf(Locale.ROOT, "%s: recovered after %,d ms, %,d of %,d echo requests lost, iperf3"
                    + " stalled %,d ms%n", name, outcome.recoveryMs(), outcome.lost(), outcome.requests(), iperfStall);
            Figure f = new Figure(name, outcome, iperfStall);
            figures.computeIfAbsent(name, k -> new ArrayList<>()).add(f);
            return f;
        }
    }

    /** The reliability table of every fault measured so far, for {@link ReliabilityReport#publish}. */
    String table(int rounds) {
        StringBuilder body = new StringBuilder(String.format(Locale.ROOT, """
                %d round(s) of every fault; median, and the range when there are several rounds.

                | fault | recovery (ping) | echo requests lost | iperf3 TCP stalled for |
                |---|---|---|---|
                """, rounds));
        figures.forEach((fault, list) -> body.append(String.format(Locale.ROOT, "| %s | %s ms | %s | %s ms |%n",
                fault, spread(list, f -> f.ping().recoveryMs()), spread(list, f -> f.ping().lost()),
                spread(list, Figure::iperfStallMs))));
        return body.toString();
    }

    /** How many times {@code what} occurs in {@code text} (log lines counted before and after a fault). */
    static int count(String text, String what) {
        int n = 0;
        for (int i = text.indexOf(what); i >= 0; i = text.indexOf(what, i + 1)) {
            n++;
        }
        return n;
    }

    /** "median" for one figure, "median [min-max]" for several. */
    private static String spread(List<Figure> list, ToLongFunction<Figure> value) {
        long[] v = list.stream().mapToLong(value).sorted().toArray();
        String median = String.format(Locale.ROOT, "%,d", v[v.length / 2]);
        return v.length == 1 ? median
                : String.format(Locale.ROOT, "%s [%,d-%,d]", median, v[0], v[v.length - 1]);
    }
}
