package net.ipop.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.List;

import javax.imageio.ImageIO;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import net.ipop.crypto.cert.X25519Keys;

/** {@code ipop bench} without a network: iperf3's JSON, the chart, and the argument errors. */
class BenchCommandTest {
    /** The shape of iperf3 3.12's -J summary (values made up). */
    static final String IPERF_JSON = """
            {"start": {"connected": [{"socket": 5}]}, "intervals": [{"sum": {"bits_per_second": 1.0e9}}],
             "end": {"streams": [{"sender": {"bits_per_second": 2.5e9, "retransmits": 7}}],
              "sum_sent": {"start": 0, "end": 1.0, "seconds": 1.0, "bytes": 312500000,
                "bits_per_second": 2.5e9, "retransmits": 7, "sender": true},
              "sum_received": {"start": 0, "end": 1.0, "seconds": 1.0, "bytes": 300000000,
                "bits_per_second": 2.4e9, "sender": true},
              "cpu_utilization_percent": {"host_total": 50.0}}}
            """;

    @TempDir
    Path dir;

    @Test
    void iperfSummaryIsTheReceivedRateAndTheSendersRetransmits() {
        Iperf.Result r = Iperf.parse(IPERF_JSON, "192.0.2.2", 5201);
        assertEquals(2.4e9, r.bitsPerSecond());
        assertEquals(7, r.retransmits());
        assertEquals(2.4, r.gbitPerSecond(), 1e-9);
    }

    @Test
    void iperfErrorsNameTheTargetAndTheServerToStart() {
        CliError e = assertThrows(CliError.class, () -> Iperf.parse("""
                {"start": {}, "intervals": [], "end": {},
                 "error": "unable to connect to server: Connection refused"}
                """, "192.0.2.2", 5201));
        assertEquals("iperf3 to 192.0.2.2 port 5201: unable to connect to server: Connection refused; is iperf3 -s"
                + " running there (and reachable on this path)?", e.getMessage());
        assertEquals(IpopCommand.EXIT_FAILED, e.exitCode);
        assertThrows(CliError.class, () -> Iperf.parse("garbage", "192.0.2.2", 5201));
    }

    @Test
    void theChartIsAPngWithTwoBarsOfTheirHeights() throws IOException {
        Path png = dir.resolve("bench.png");
        BarChart.write(png, "ipop bench: alpha to beta, 5 s", "Gbit/s", List.of(
                new BarChart.Bar("overlay 192.0.2.2", 2.0, "2.00 Gbit/s"),
                new BarChart.Bar("underlay 198.51.100.2", 8.0, "8.00 Gbit/s")));
        BufferedImage image = ImageIO.read(png.toFile());
        assertEquals(BarChart.WIDTH, image.getWidth());
        assertEquals(BarChart.HEIGHT, image.getHeight());
        // Columns through the middle of each bar: the underlay bar is four times as tall as the overlay bar.
        int overlay = barHeight(image, 70 + (BarChart.WIDTH - 100) / 4);
        int underlay = barHeight(image, 70 + 3 * (BarChart.WIDTH - 100) / 4);
        assertTrue(overlay > 10, "overlay bar " + overlay);
        assertEquals(4.0, (double) underlay / overlay, 0.1);
        assertEquals(2, BarChart.niceStep(8.0));
        assertEquals(0.5, BarChart.niceStep(2.4));
    }

    /** Pixels of the bar colour in one column. */
    private static int barHeight(BufferedImage image, int x) {
        int colour = image.getRGB(x, BarChart.HEIGHT - 65);
        assertFalse((colour & 0xffffff) == 0xffffff, "no bar at x " + x);
        int n = 0;
        for (int y = 0; y < image.getHeight(); y++) {
            if (image.getRGB(x, y) == colour) {
                n++;
            }
        }
        return n;
    }

    @Test
    void anUnknownPeerOrOneWithoutEndpointIsAUsageError() throws IOException {
        Path key = dir.resolve("alpha.key");
        Files.writeString(key, X25519Keys.toBase64(X25519Keys.generatePrivateKey(new SecureRandom())) + "\n");
        Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("rw-------"));
        String other = X25519Keys.toBase64(X25519Keys.publicKey(X25519Keys.generatePrivateKey(new SecureRandom())));
        Path config = Files.writeString(dir.resolve("node.yaml"), """
                node: {name: alpha, privateKeyFile: %s}
                interface: {name: ipop0, addresses: [192.0.2.1/24]}
                listen: {port: 51820}
                peers:
                  - {name: delta, publicKey: %s, allowedAddresses: [192.0.2.4/32]}
                """.formatted(key, other));
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = IpopCommand.execute(new PrintWriter(out, true), new PrintWriter(err, true), "bench", "beta",
                "--config", config.toString());
        assertEquals(IpopCommand.EXIT_USAGE, code, err.toString());
        assertEquals("ipop bench: no peer 'beta' in " + config + "; it names [delta]\n", err.toString());

        err.getBuffer().setLength(0);
        code = IpopCommand.execute(new PrintWriter(out, true), new PrintWriter(err, true), "bench", "delta",
                "--config", config.toString());
        assertEquals(IpopCommand.EXIT_USAGE, code, err.toString());
        assertEquals("ipop bench: peer delta has no endpoint in " + config + "; the underlay run needs its address\n",
                err.toString());
        assertEquals("", out.toString());
    }
}
