package net.ipop.perf.bench;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import javax.imageio.ImageIO;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BenchReportTest {
    private static final String TSV = """
            round\ttarget\tmetric\tvalue
            1\traw\ttcp1\t20.0
            1\tipop-aes\ttcp1\t8.0
            1\tipop-chacha\ttcp1\t4.0
            1\twireguard-go\ttcp1\t0.5
            1\tnebula\ttcp1\t0.9
            1\tipop-aes\tlat_p50\t30.0
            1\twireguard-go\tlat_p50\t50.0
            1\tnebula\tlat_p50\t45.0
            1\tipop-aes\tudp_loss\t1.5
            1\tipop-aes\tcpu_per_gb\t2.0
            1\tnebula\tcpu_per_gb\t8.0
            1\twireguard-go\tcpu_per_gb\t5.0
            2\traw\ttcp1\t24.0
            2\tipop-aes\ttcp1\t7.0
            2\tipop-chacha\ttcp1\t5.0
            2\twireguard-go\ttcp1\t1.5
            2\tnebula\ttcp1\t1.1
            2\tipop-aes\tlat_p50\t40.0
            2\twireguard-go\tlat_p50\t60.0
            2\tnebula\tlat_p50\t65.0
            3\traw\ttcp1\t21.0
            3\tipop-aes\ttcp1\t9.5
            3\tipop-chacha\ttcp1\t6.0
            3\twireguard-go\ttcp1\t0.75
            3\tnebula\ttcp1\t1.0
            """;

    @Test
    void medianOfOddAndEvenCountsAndSpread() {
        BenchResults.Summary odd = BenchResults.Summary.of(new double[] {3, 1, 2});
        assertEquals(2, odd.median());
        assertEquals(1, odd.min());
        assertEquals(3, odd.max());
        assertEquals(3, odd.n());
        assertEquals(2.5, BenchResults.Summary.of(new double[] {4, 1, 3, 2}).median());
        BenchResults.Summary one = BenchResults.Summary.of(new double[] {7});
        assertEquals(7, one.median());
        assertEquals(7, one.min());
        assertEquals(7, one.max());
    }

    @Test
    void summaryLeavesItsInputAlone() {
        double[] in = {3, 1, 2};
        BenchResults.Summary.of(in);
        assertArrayEquals(new double[] {3, 1, 2}, in);
    }

    @Test
    void parsesPerTargetAndMetricKeepsTargetOrderAndCountsRounds() {
        BenchResults r = BenchResults.parse(TSV);
        assertEquals(3, r.rounds());
        assertEquals(List.of("raw", "ipop-aes", "ipop-chacha", "wireguard-go", "nebula"), r.targets());
        assertEquals(21.0, r.summary("raw", "tcp1").median());
        assertEquals(35.0, r.summary("ipop-aes", "lat_p50").median());
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
    void bestPeerIsTheBestMedianAmongPeersOnlyInTheMetricsDirection() {
        BenchResults r = BenchResults.parse(TSV);
        // tcp1 medians: wireguard-go 0.75, nebula 1.0 (raw and IPOP are faster but are not peers)
        assertEquals("nebula", r.bestPeer(BenchMetric.TCP1));
        // latency medians: wireguard-go 55, nebula 55 -> a tie goes to the first measured
        assertEquals("wireguard-go", r.bestPeer(BenchMetric.LATENCY_P50));
        // lower is better: wireguard-go 5 beats nebula 8
        assertEquals("wireguard-go", r.bestPeer(BenchMetric.CPU_PER_GB));
        assertNull(r.bestPeer(BenchMetric.PING));
    }

    @Test
    void figuresTableHasEveryTargetAsAColumnWithMedianAndSpread() {
        String out = BenchReport.render(BenchResults.parse(TSV));
        assertTrue(out.contains("| metric | raw veth | IPOP aes256gcm | IPOP chacha20poly1305 | wireguard-go | Nebula |\n"
                + "|---|---|---|---|---|---|\n"), out);
        assertTrue(out.contains("| TCP, 1 stream (Gbit/s) | 21.00 (20.00–24.00) | 8.00 (7.00–9.50) | 5.00 (4.00–6.00) "
                + "| 0.75 (0.50–1.50) | 1.00 (0.90–1.10) |"), out);
        // a single value has no spread; an unmeasured cell is a dash
        assertTrue(out.contains("| UDP, lost (%) | – | 1.5 | – | – | – |"), out);
        // two rounds: the median is the mean of both
        assertTrue(out.contains("| latency p50 (µs, one way) | – | 35.0 (30.0–40.0) | – | 55.0 (50.0–60.0) "
                + "| 55.0 (45.0–65.0) |"), out);
    }

    @Test
    void ratiosAgainstRawAndAgainstTheBestPeer() {
        String out = BenchReport.render(BenchResults.parse(TSV));
        // against raw: 8/21, 5/21, 0.75/21, 1/21; metrics raw lacks get no row
        assertTrue(out.contains("| TCP, 1 stream (Gbit/s) | 0.38x | 0.24x | 0.04x | 0.05x |"), out);
        String raw = out.substring(out.indexOf("Against the raw veth pair"), out.indexOf("IPOP against the best peer"));
        assertFalse(raw.contains("latency p50"), raw);
        // against the best peer: tcp1 best is Nebula 1.00 -> 8x and 5x; cpu best is wireguard-go 5 -> 0.40x
        assertTrue(out.contains("| TCP, 1 stream (Gbit/s) | Nebula (1.00) | 8.00x | 5.00x |"), out);
        assertTrue(out.contains("| VPN CPU (s per GB over TCP) | wireguard-go (5.00) | 0.40x | – |"), out);
        // loss percentages have no ratio
        assertFalse(out.contains("| UDP, lost (%) | wireguard-go"), out);
    }

    @Test
    void goalsAreCheckedOnTheAesTarget() {
        String out = BenchReport.render(BenchResults.parse(TSV));
        assertTrue(out.contains("- single-stream TCP over IPOP at least 1/3 of raw veth: **met** (0.38x)"), out);
        assertTrue(out.contains("- single-stream TCP over IPOP at least 5x wireguard-go: **met** (10.67x)"), out);
        assertTrue(out.contains("- latency p50 over IPOP at or below wireguard-go: **met** (0.64x)"), out);
    }

    @Test
    void goalsNotMetOrNotMeasuredAreSaidSo() {
        String out = BenchReport.render(BenchResults.parse("""
                1\traw\ttcp1\t30.0
                1\tipop-aes\ttcp1\t3.0
                1\tipop-aes\tlat_p50\t80.0
                1\twireguard-go\tlat_p50\t50.0
                """));
        assertTrue(out.contains("at least 1/3 of raw veth: **not met** (0.10x)"), out);
        assertTrue(out.contains("at least 5x wireguard-go: not measured"), out);
        assertTrue(out.contains("at or below wireguard-go: **not met** (1.60x)"), out);
    }

    @Test
    void targetLabels() {
        assertEquals("IPOP aes256gcm, 4 queues", BenchTargets.label("ipop-aes-q4"));
        assertEquals("tinc 1.0", BenchTargets.label("tinc"));
        assertEquals("something-new", BenchTargets.label("something-new"));
        assertTrue(BenchTargets.isOurs("ipop-aes-q2"));
        assertTrue(BenchTargets.isPeer("openvpn"));
        assertFalse(BenchTargets.isPeer("raw"));
    }

    @Test
    void chartIsAPngOfTheStatedSize(@TempDir Path dir) throws Exception {
        Path png = dir.resolve("img/bench.png");
        System.setProperty("java.awt.headless", "true");
        BenchChart.write(BenchResults.parse(TSV), png);
        byte[] bytes = Files.readAllBytes(png);
        assertTrue(bytes.length > 1000, "only " + bytes.length + " bytes");
        assertArrayEquals(new byte[] {(byte) 0x89, 'P', 'N', 'G'}, Arrays.copyOf(bytes, 4));
        BufferedImage image = ImageIO.read(png.toFile());
        assertEquals(BenchChart.WIDTH, image.getWidth());
        assertEquals(BenchChart.HEIGHT, image.getHeight());
    }

    @Test
    void chartOfARunWithoutAnyVpnFiguresIsStillWritten(@TempDir Path dir) throws Exception {
        Path png = dir.resolve("raw-only.png");
        System.setProperty("java.awt.headless", "true");
        BenchChart.write(BenchResults.parse("1\traw\ttcp1\t20.0\n1\traw\tlat_p50\t6.5\n"), png);
        assertEquals(BenchChart.WIDTH, ImageIO.read(png.toFile()).getWidth());
    }

    @Test
    void chartLinkIsRelativeToTheDocument(@TempDir Path dir) {
        assertEquals("img/bench.png", BenchReport.linkFrom(dir.resolve("docs/performance.md"),
                dir.resolve("docs/img/bench.png")));
    }
}
