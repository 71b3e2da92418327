package net.ipop.perf.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class BenchReportTest {
    private static final String TSV = """
            round\ttarget\tmetric\tvalue
            1\traw\ttcp1\t20.0
            1\tipop\ttcp1\t8.0
            1\twireguard-go\ttcp1\t0.5
            1\tipop\tlat_p50\t30.0
            1\twireguard-go\tlat_p50\t50.0
            1\tipop\tudp_loss\t1.5
            2\traw\ttcp1\t24.0
            2\tipop\ttcp1\t7.0
            2\twireguard-go\ttcp1\t1.5
            2\tipop\tlat_p50\t40.0
            2\twireguard-go\tlat_p50\t60.0
            3\traw\ttcp1\t21.0
            3\tipop\ttcp1\t9.5
            3\twireguard-go\ttcp1\t0.75
            """;

    @Test
    void medianOfOddAndEvenCountsAndSpread() {
        BenchResults.Summary odd = BenchResults.Summary.of(new double[] {3, 1, 2});
        assertEquals(2, odd.median());
        assertEquals(1, odd.min());
        assertEquals(3, odd.max());
        assertEquals(3, odd.n());
        assertEquals(2.5, BenchResults.Summary.of(new double[] {4, 1, 3, 2}).median());
    }

    @Test
    void parsesPerTargetAndMetricAndCountsRounds() {
        BenchResults r = BenchResults.parse(TSV);
        assertEquals(3, r.rounds());
        assertEquals(21.0, r.summary("raw", "tcp1").median());
        assertEquals(35.0, r.summary("ipop", "lat_p50").median());
        assertNull(r.summary("raw", "lat_p50"));
        assertNull(r.summary("nobody", "tcp1"));
    }

    @Test
    void rejectsMalformedLinesNamingThem() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> BenchResults.parse("round\ttarget\tmetric\tvalue\n1\traw\ttcp1\tfast\n"));
        assertTrue(e.getMessage().startsWith("line 2:"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> BenchResults.parse("1\traw\ttcp1\n"));
        assertThrows(IllegalArgumentException.class, () -> BenchResults.parse("1\traw\ttcp1\tNaN\n"));
    }

    @Test
    void tableHasMediansSpreadRatiosAndGoals() {
        String out = BenchReport.render(BenchResults.parse(TSV));
        // medians: raw 21, ipop 8, wg 0.75 -> 8/21 = 0.38, 8/0.75 = 10.67
        assertTrue(out.contains("| TCP, 1 stream (Gbit/s) | 21.00 (20.00–24.00) | 8.00 (7.00–9.50) "
                + "| 0.75 (0.50–1.50) | 0.38x | 10.67x |"), out);
        // two rounds: median is the mean of both; raw has no latency figure, so no ratio to it
        assertTrue(out.contains("| latency p50 (µs, one way) | – | 35.0 (30.0–40.0) | 55.0 (50.0–60.0) | – | 0.64x |"), out);
        // a single value has no spread, and loss has no ratio
        assertTrue(out.contains("| UDP 1400 B, lost (%) | – | 1.5 | – | – | – |"), out);
        assertTrue(out.contains("- single-stream TCP over IPOP at least 1/3 of raw veth: **met** (0.38x)"), out);
        assertTrue(out.contains("- single-stream TCP over IPOP at least 5x wireguard-go: **met** (10.67x)"), out);
        assertTrue(out.contains("- latency p50 over IPOP at or below wireguard-go: **met** (0.64x)"), out);
    }

    @Test
    void goalsNotMetOrNotMeasuredAreSaidSo() {
        String out = BenchReport.render(BenchResults.parse("""
                1\traw\ttcp1\t30.0
                1\tipop\ttcp1\t3.0
                1\tipop\tlat_p50\t80.0
                1\twireguard-go\tlat_p50\t50.0
                """));
        assertTrue(out.contains("at least 1/3 of raw veth: **not met** (0.10x)"), out);
        assertTrue(out.contains("at least 5x wireguard-go: not measured"), out);
        assertTrue(out.contains("at or below wireguard-go: **not met** (1.60x)"), out);
    }
}
