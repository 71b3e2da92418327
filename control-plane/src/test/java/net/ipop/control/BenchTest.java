package net.ipop.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.Comparator;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import javax.imageio.ImageIO;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import net.ipop.crypto.cert.X25519Keys;
import net.ipop.ffm.testing.Privileged;
import net.ipop.ffm.testing.TestNamespace;

/**
 * {@code ipop bench} against a real peer: two nodes up in two namespaces joined by a veth pair, {@code iperf3 -s}
 * in the peer's namespace, and the bench run from the other: both paths measured, the chart written.
 */
@Privileged
@Timeout(value = 150, unit = TimeUnit.SECONDS)
class BenchTest {
    private static final SecureRandom RANDOM = new SecureRandom();

    @TempDir
    Path temp;

    @Test
    void benchMeasuresOverlayAndUnderlayToARealPeer() throws Exception {
        byte[] keyA = X25519Keys.generatePrivateKey(RANDOM);
        byte[] keyB = X25519Keys.generatePrivateKey(RANDOM);
        try (TestNamespace nsA = TestNamespace.create("bncha");
             TestNamespace nsB = TestNamespace.create("bnchb")) {
            nsA.exec("ip", "link", "set", "lo", "up");
            nsB.exec("ip", "link", "set", "lo", "up");
            nsA.exec("ip", "link", "add", "veth-a", "type", "veth", "peer", "name", "veth-b", "netns", nsB.name());
            nsA.exec("ip", "addr", "add", "198.51.100.1/24", "dev", "veth-a");
            nsB.exec("ip", "addr", "add", "198.51.100.2/24", "dev", "veth-b");
            nsA.exec("ip", "link", "set", "veth-a", "up");
            nsB.exec("ip", "link", "set", "veth-b", "up");
            NodeUpDownTest.NodeFiles a = write(nsA, "a", "alpha", keyA, "1", keyB, "beta", "198.51.100.2", "2");
            NodeUpDownTest.NodeFiles b = write(nsB, "b", "beta", keyB, "2", keyA, "alpha", "198.51.100.1", "1");
            try {
                Process upA = NodeUpDownTest.cli(nsA, a, "up", "--config", a.config().toString());
                Process upB = NodeUpDownTest.cli(nsB, b, "up", "--config", b.config().toString());
                String outA = NodeUpDownTest.finish(upA, 60);
                String outB = NodeUpDownTest.finish(upB, 60);
                assertEquals(0, upA.exitValue(), outA);
                assertEquals(0, upB.exitValue(), outB);
                nsB.start("iperf3", "-s", "-p", "5201");
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(25);
                while (nsA.execAllowingFailure(5, "ping", "-c", "1", "-W", "1", "192.0.2.2").exitCode() != 0) {
                    assertTrue(System.nanoTime() - deadline < 0, "no ping reply over the tunnel in 25 s");
                }
                Path png = temp.resolve("bench.png");
                Process bench = NodeUpDownTest.cli(nsA, a, "bench", "beta", "--config", a.config().toString(),
                        "--seconds", "2", "--json", "--plot", png.toString());
                String json = NodeUpDownTest.finish(bench, 60);
                assertEquals(0, bench.exitValue(), json);
                System.out.println("ipop bench: " + json.strip());
                double overlay = number(json, "\"overlay\":\\{\"target\":\"192.0.2.2\",\"bitsPerSecond\":(\\d+)");
                double underlay = number(json, "\"underlay\":\\{\"target\":\"198.51.100.2\",\"bitsPerSecond\":(\\d+)");
                assertTrue(overlay > 1e6, "overlay " + overlay);
                assertTrue(underlay > 1e6, "underlay " + underlay);
                double ratio = number(json, "\"ratio\":([0-9.]+)");
                assertEquals(overlay / underlay, ratio, 0.001);
                BufferedImage image = ImageIO.read(png.toFile());
                assertEquals(640, image.getWidth());

                // The metrics endpoint saw the handshake and the traffic.
                String metrics = nsA.exec("curl", "-s", "http://127.0.0.1:9586/metrics");
                assertTrue(metrics.contains("ipop_peer_up{peer=\"beta\"} 1\n"), metrics);
                assertTrue(number(metrics, "ipop_handshakes_completed_total\\{peer=\"beta\"\\} (\\d+)") >= 1, metrics);
                // A is the iperf3 client: its data goes out, only ACKs come back.
                assertTrue(number(metrics, "ipop_peer_tx_bytes_total\\{peer=\"beta\"\\} (\\d+)") > 1e6, metrics);
                assertTrue(number(metrics, "ipop_peer_rx_packets_total\\{peer=\"beta\"\\} (\\d+)") > 100, metrics);
                assertTrue(number(metrics, "ipop_peer_tx_packets_total\\{peer=\"beta\"\\} (\\d+)") > 1000, metrics);
                System.out.println("metrics after the bench:\n" + metrics.lines()
                        .filter(l -> l.contains("beta") && !l.contains("_bucket")).toList());

                Process table = NodeUpDownTest.cli(nsA, a, "bench", "beta", "--config", a.config().toString(),
                        "--seconds", "1");
                String text = NodeUpDownTest.finish(table, 60);
                assertEquals(0, table.exitValue(), text);
                assertTrue(text.startsWith("path      target"), text);
                assertTrue(text.contains("\noverlay   192.0.2.2 "), text);
                assertTrue(text.contains("\nunderlay  198.51.100.2 "), text);
                assertTrue(text.contains("\noverlay/underlay: "), text);

                NodeUpDownTest.finish(NodeUpDownTest.cli(nsA, a, "down", "--config", a.config().toString()), 30);
                NodeUpDownTest.finish(NodeUpDownTest.cli(nsB, b, "down", "--config", b.config().toString()), 30);
            } finally {
                removeDriverDirectory(a.aeronDir());
                removeDriverDirectory(b.aeronDir());
            }
        }
    }

    private static double number(String json, String regex) {
        Matcher m = Pattern.compile(regex).matcher(json);
        assertTrue(m.find(), regex + " in " + json);
        return Double.parseDouble(m.group(1));
    }

    private NodeUpDownTest.NodeFiles write(TestNamespace ns, String tag, String name, byte[] key, String self,
                                           byte[] peerKey, String peerName, String peerUnderlay, String peer)
            throws IOException {
        Path dir = Files.createDirectories(temp.resolve(tag));
        Path keyFile = dir.resolve(name + ".key");
        Files.writeString(keyFile, X25519Keys.toBase64(key) + "\n");
        Files.setPosixFilePermissions(keyFile, PosixFilePermissions.fromString("rw-------"));
        Path aeron = Path.of("/dev/shm", "ipopt-" + ns.name() + "-" + tag);
        Path counters = dir.resolve("ipop0.counters");
        Path config = dir.resolve("node.yaml");
        Files.writeString(config, """
                node: {name: %s, privateKeyFile: %s}
                interface: {name: ipop0, addresses: [192.0.2.%s/24]}
                listen: {port: 51820}
                dataplane: {countersFile: %s, aeronDirectory: %s}
                metrics: {listen: 127.0.0.1:9586}
                peers:
                  - name: %s
                    publicKey: %s
                    endpoint: %s:51820
                    allowedAddresses: [192.0.2.%s/32]
                """.formatted(name, keyFile, self, counters, aeron, peerName,
                X25519Keys.toBase64(X25519Keys.publicKey(peerKey)), peerUnderlay, peer));
        return new NodeUpDownTest.NodeFiles(config, dir.resolve("run"), aeron, counters);
    }

    private static void removeDriverDirectory(Path dir) throws IOException {
        if (Files.exists(dir)) {
            try (var walk = Files.walk(dir)) {
                for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }
}
