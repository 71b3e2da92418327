package net.ipop.control;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.Comparator;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import net.ipop.crypto.cert.X25519Keys;
import net.ipop.ffm.testing.Privileged;
import net.ipop.ffm.testing.TestNamespace;

/**
 * A real node ({@code ipop up} in a namespace) with its metrics endpoint, reloaded by SIGHUP: a peer added and
 * another's endpoint moved reach the running data plane (its counters file gets the new peer, its log the new
 * endpoint) without a restart, and a changed MTU is refused naming the key.
 */
@Privileged
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ReloadTest {
    private static final SecureRandom RANDOM = new SecureRandom();

    @TempDir
    Path temp;

    @Test
    void sighupAppliesPeerChangesAndRefusesTheMtu() throws Exception {
        try (TestNamespace ns = TestNamespace.create("reload")) {
            ns.exec("ip", "link", "set", "lo", "up");
            Path dir = temp;
            Path keyFile = dir.resolve("alpha.key");
            Files.writeString(keyFile, X25519Keys.toBase64(X25519Keys.generatePrivateKey(RANDOM)) + "\n");
            Files.setPosixFilePermissions(keyFile, PosixFilePermissions.fromString("rw-------"));
            String beta = X25519Keys.toBase64(X25519Keys.publicKey(X25519Keys.generatePrivateKey(RANDOM)));
            String gamma = X25519Keys.toBase64(X25519Keys.publicKey(X25519Keys.generatePrivateKey(RANDOM)));
            Path aeron = Path.of("/dev/shm", "ipopt-" + ns.name());
            NodeUpDownTest.NodeFiles node = new NodeUpDownTest.NodeFiles(dir.resolve("node.yaml"), dir.resolve("run"),
                    aeron, dir.resolve("ipop0.counters"));
            String config = """
                    node:
                      name: alpha
                      privateKeyFile: %s
                    interface:
                      name: ipop0
                      addresses: [192.0.2.1/24]
                      mtu: 1420
                    listen:
                      port: 51820
                    dataplane:
                      countersFile: %s
                      aeronDirectory: %s
                    metrics:
                      listen: 127.0.0.1:9586
                    peers:
                      - name: beta
                        publicKey: %s
                        endpoint: 198.51.100.2:51820
                        allowedAddresses: [192.0.2.2/32]
                    """.formatted(keyFile, node.counters(), aeron, beta);
            Files.writeString(node.config(), config);
            try {
                Process up = NodeUpDownTest.cli(ns, node, "up", "--config", node.config().toString());
                String out = NodeUpDownTest.finish(up, 60);
                assertTrue(up.exitValue() == 0, out + log(node));
                long pid = Long.parseLong(Files.readString(node.runDir().resolve("ipop0.pid")).strip());

                String before = await(() -> scrape(ns), "ipop_handshakes_started_total{peer=\"beta\"} 1", node);
                assertTrue(before.contains("ipop_peer_rx_bytes_total{peer=\"beta\"} 0\n"), before);
                assertTrue(before.contains("ipop_dataplane_up 1\n"), before);
                assertTrue(before.contains("ipop_peer_link_state{peer=\"beta\",state=\"down\"} 1\n"), before);

                Files.writeString(node.config(), config.replace("mtu: 1420", "mtu: 1400")
                        .replace("198.51.100.2:51820", "198.51.100.3:51821") + """
                          - name: gamma
                            publicKey: %s
                            endpoint: 198.51.100.4:51820
                            allowedAddresses: [192.0.2.4/32]
                        """.formatted(gamma));
                ns.exec("kill", "-HUP", Long.toString(pid));

                String after = await(() -> scrape(ns), "ipop_peer_rx_bytes_total{peer=\"gamma\"} 0", node);
                assertTrue(after.contains("ipop_handshakes_started_total{peer=\"gamma\"}"), after);
                String log = await(() -> log(node), "endpoint of peer 1: 198.51.100.3 port 51821", node);
                assertTrue(log.contains("reload: interface.mtu changed: restart needed"), log);
                assertTrue(log.contains("peer gamma (peer 2) added"), log);
                assertTrue(log.contains("peer added: 2 'gamma'"), "the data plane's own line" + log);
                assertTrue(ns.exec("ip", "link", "show", "ipop0").contains("mtu 1420"), "the MTU stays");
                assertTrue(ProcessHandle.of(pid).isPresent(), "the node kept running");

                Process down = NodeUpDownTest.cli(ns, node, "down", "--config", node.config().toString());
                NodeUpDownTest.finish(down, 30);
            } finally {
                if (Files.exists(aeron)) {
                    try (var walk = Files.walk(aeron)) {
                        for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                            Files.deleteIfExists(p);
                        }
                    }
                }
            }
        }
    }

    private interface Read {
        String get() throws Exception;
    }

    /** Polls {@code read} until it contains {@code text} (20 s). */
    private static String await(Read read, String text, NodeUpDownTest.NodeFiles node) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        String last = "";
        while (System.nanoTime() - deadline < 0) {
            last = read.get();
            if (last.contains(text)) {
                return last;
            }
            Thread.sleep(200);
        }
        throw new AssertionError("no '" + text + "' in 20 s:\n" + last + log(node));
    }

    private static String scrape(TestNamespace ns) throws IOException {
        TestNamespace.Cmd.Result r = ns.execAllowingFailure(5, "curl", "-s", "http://127.0.0.1:9586/metrics");
        return r.output();
    }

    private static String log(NodeUpDownTest.NodeFiles node) {
        try {
            return "\nlog:\n" + Files.readString(node.runDir().resolve("ipop0.log"));
        } catch (IOException e) {
            return "\n(no log: " + e + ")";
        }
    }
}
