package net.ipop.control.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Optional;

import net.ipop.crypto.Suite;
import net.ipop.crypto.cert.IpPrefix;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NodeConfigParserTest {
    @TempDir
    Path dir;

    private ConfigFiles files;

    @BeforeEach
    void setUp() throws IOException {
        files = new ConfigFiles(dir);
    }

    private List<ConfigProblem> problemsOf(String text) throws IOException {
        Path f = files.write("node.yaml", text);
        return assertThrows(ConfigException.class, () -> NodeConfigParser.parse(f)).problems();
    }

    @Test
    void validFileGivesTheModelWithDefaults() throws Exception {
        NodeConfig c = NodeConfigParser.parse(files.write("node.yaml", files.valid()));
        assertEquals("alpha", c.name());
        assertEquals(dir.resolve("alpha.key").toAbsolutePath(), c.privateKeyFile());
        assertEquals(files.ownPublicKey, c.publicKey().toString());
        assertEquals("ipop0", c.iface().name());
        assertEquals(List.of(IpPrefix.parse("192.0.2.1/24"), IpPrefix.parse("2001:db8::1/64")), c.iface().addresses());
        assertEquals(1420, c.iface().mtu());
        assertEquals(51820, c.listen().port());
        assertEquals(Optional.of(InetAddress.ofLiteral("0.0.0.0")), c.listen().address());
        assertEquals(Suite.AES256GCM, c.suite());
        assertEquals(DataPlaneConfig.IdleStrategy.BACKOFF, c.dataPlane().idleStrategy());
        assertFalse(c.dataPlane().offloads());
        assertTrue(c.dataPlane().ioUring());
        // keys left out of dataplane take their defaults, derived from the interface name
        assertEquals(Path.of("/run/ipop/ipop0.counters"), c.dataPlane().countersFile());
        assertEquals(Path.of("/dev/shm/ipop-ipop0"), c.dataPlane().aeronDirectory());
        assertEquals(15_000, c.dataPlane().deadPeerAfterMs(), "WireGuard's keepalive + rekey timeout");
        assertEquals(2, c.peers().size());
        PeerConfig beta = c.peers().get(0);
        assertEquals(files.betaKey, beta.publicKey().toString());
        assertEquals(Optional.of(new InetSocketAddress(InetAddress.ofLiteral("198.51.100.2"), 51820)), beta.endpoint());
        assertEquals(25000, beta.keepaliveIntervalMs());
        assertEquals(Suite.AES256GCM, beta.suite(), "a peer without suite takes the node's");
        PeerConfig gamma = c.peers().get(1);
        assertEquals(Suite.CHACHA20POLY1305, gamma.suite());
        assertEquals(Optional.of(new InetSocketAddress(InetAddress.ofLiteral("2001:db8::3"), 51820)), gamma.endpoint());
    }

    @Test
    void aFarNodeReachedThroughAPeerIsListedInThatPeersAllowedAddresses() throws Exception {
        // gamma (192.0.2.3) is reached through beta: beta's list holds both, gamma is not a peer of ours.
        String text = files.valid().substring(0, files.valid().indexOf("  - name: gamma"))
                .replace("allowedAddresses: [192.0.2.2/32]",
                        "allowedAddresses: [192.0.2.2/32, 192.0.2.3/32, \"2001:db8::3/128\"]")
                .replace("  ioUring: true\n", "  ioUring: true\n  deadPeerAfterMs: 2500\n");
        NodeConfig c = NodeConfigParser.parse(files.write("relay.yaml", text));
        assertEquals(1, c.peers().size());
        assertEquals(List.of(IpPrefix.parse("192.0.2.2/32"), IpPrefix.parse("192.0.2.3/32"),
                IpPrefix.parse("2001:db8::3/128")), c.peers().get(0).allowedAddresses());
        assertEquals(2500, c.dataPlane().deadPeerAfterMs());
    }

    @Test
    void aDeadIntervalOutOfRangeNamesTheKeyAndTheRange() throws Exception {
        String text = files.valid().replace("  ioUring: true\n", "  ioUring: true\n  deadPeerAfterMs: 500\n");
        List<ConfigProblem> problems = problemsOf(text);
        assertEquals(1, problems.size(), problems.toString());
        assertEquals("dataplane.deadPeerAfterMs", problems.get(0).key());
        assertTrue(problems.get(0).message().contains("500 is out of range; use 1000 to 600000 ms, e.g. 15000"),
                problems.get(0).message());
        String words = files.valid().replace("  ioUring: true\n", "  ioUring: true\n  deadPeerAfterMs: 15s\n");
        assertTrue(problemsOf(words).get(0).message().startsWith("expected a whole number, found '15s'"),
                problemsOf(words).toString());
    }

    @Test
    void aNodeAloneNeedsNoPeersAndNoDataplaneSection() throws Exception {
        String alone = files.valid().substring(0, files.valid().indexOf("peers:"))
                .replace("dataplane:\n  idleStrategy: backoff\n  offloads: false\n  ioUring: true\n", "")
                .replace("interface:\n  name: ipop0", "interface:\n  name: lab1");
        NodeConfig c = NodeConfigParser.parse(files.write("a.yaml", alone + "peers: []\n"));
        assertEquals(0, c.peers().size());
        assertEquals(Path.of("/run/ipop/lab1.counters"), c.dataPlane().countersFile());
        assertEquals(DataPlaneConfig.IdleStrategy.POLL, c.dataPlane().idleStrategy());
        assertTrue(c.dataPlane().offloads());
        assertTrue(c.dataPlane().ioUring());
        assertEquals(0, NodeConfigParser.parse(files.write("b.yaml", alone)).peers().size());
    }

    @Test
    void allProblemsAreReportedTogetherInFileOrder() throws IOException {
        String text = files.valid()
                .replace("  port: 51820", "  port: 0x10")
                .replace("  name: alpha", "  name: Alpha")
                .replace("    endpoint: 198.51.100.2:51820", "    endpiont: 198.51.100.2:51820")
                .replace("    suite: chacha20poly1305", "    suite: chacha")
                // a bad sibling must not hide the overlap of the good prefix with gamma's
                .replace("[192.0.2.2/32]", "[192.0.2.2/32, 192.0.2.300/32]")
                .replace("[192.0.2.3/32]", "[192.0.2.2/31]");
        List<ConfigProblem> p = problemsOf(text);
        assertEquals(List.of(2, 10, 20, 21, 26, 27), p.stream().map(ConfigProblem::line).toList(), p.toString());
        assertEquals(List.of("node.name", "listen.port", "peers[0].endpiont", "peers[0].allowedAddresses[1]",
                "peers[1].allowedAddresses[0]", "peers[1].suite"), p.stream().map(ConfigProblem::key).toList());
    }

    @Test
    void keyFileReadableByOthersIsRefusedWithTheChmodFix() throws IOException {
        Path key = dir.resolve("alpha.key");
        for (String mode : List.of("rw-r--r--", "rw-r-----", "rw-----w-")) {
            Files.setPosixFilePermissions(key, PosixFilePermissions.fromString(mode));
            List<ConfigProblem> p = problemsOf(files.valid());
            assertEquals(1, p.size(), p.toString());
            assertEquals("node.privateKeyFile", p.get(0).key());
            assertEquals(3, p.get(0).line());
            assertTrue(p.get(0).message().contains("chmod 600 " + key.toAbsolutePath()), p.get(0).message());
        }
    }

    @Test
    void keyFileMissingOrNotAKeySaysHowToMakeOne() throws IOException {
        Files.delete(dir.resolve("alpha.key"));
        List<ConfigProblem> p = problemsOf(files.valid());
        assertEquals("node.privateKeyFile", p.get(0).key());
        assertTrue(p.get(0).message().contains("ipop genkey >"), p.get(0).message());

        ConfigFiles.writeKey(dir.resolve("alpha.key"), "not a key\n", "rw-------");
        p = problemsOf(files.valid());
        assertTrue(p.get(0).message().contains("is not base64"), p.get(0).message());

        ConfigFiles.writeKey(dir.resolve("alpha.key"), "AAAA\n", "rw-------");
        p = problemsOf(files.valid());
        assertTrue(p.get(0).message().contains("decodes to 3 bytes, not 32"), p.get(0).message());
    }

    @Test
    void wholeFileProblemsHaveNoPosition() throws IOException {
        List<ConfigProblem> p = assertThrows(ConfigException.class,
                () -> NodeConfigParser.parse(dir.resolve("absent.yaml"))).problems();
        assertEquals(0, p.get(0).line());
        assertTrue(p.get(0).toString().endsWith("absent.yaml: no such file; check the path"), p.toString());

        p = problemsOf("# nothing but a comment\n");
        assertTrue(p.get(0).message().contains("docs/examples/node.yaml"), p.toString());

        p = problemsOf("- node\n");
        assertEquals("", p.get(0).key());
        assertTrue(p.get(0).message().startsWith("expected a map of keys (node, interface"), p.toString());
    }

    @Test
    void unknownKeyFarFromAnyListsTheAllowedOnes() throws IOException {
        List<ConfigProblem> p = problemsOf(files.valid().replace("suite: aes256gcm", "cipher: aes256gcm"));
        assertEquals(1, p.size(), p.toString());
        assertEquals("cipher", p.get(0).key());
        assertEquals("unknown key; expected one of: node, interface, listen, suite, dataplane, peers, signalling,"
                + " ice, topology, metrics, log",
                p.get(0).message());
    }

    @Test
    void suggestionsCatchTranspositionsAndCase() {
        assertEquals(1, Suggestions.distance("endpiont", "endpoint"));
        assertEquals("endpoint", Suggestions.closest("endpiont", PeersParser.KEYS));
        assertEquals("privateKeyFile", Suggestions.closest("PrivateKeyFile", NodeConfigParser.NODE_KEYS));
        assertEquals("allowedAddresses", Suggestions.closest("allowedAdresses", PeersParser.KEYS));
        assertEquals(null, Suggestions.closest("colour", PeersParser.KEYS));
    }

    @Test
    void endpointsAreLiteralOnly() {
        assertEquals(new InetSocketAddress(InetAddress.ofLiteral("203.0.113.9"), 1), Endpoints.parse("203.0.113.9:1"));
        for (String bad : List.of("203.0.113.9", "203.0.113.9:0", "203.0.113.9:", "[203.0.113.9]:1",
                "example.org:51820", "203.0.113:51820", "010.0.0.1:51820", "[2001:db8::1", "[2001:db8::1]51820",
                "2001:db8::1:51820")) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Endpoints.parse(bad), bad);
            assertTrue(e.getMessage().contains("write"), e.getMessage());
        }
        assertFalse(Endpoints.notLiteral("example.org", "x").isEmpty());
        assertTrue(Endpoints.notLiteral("example.org", "x").contains("no DNS"));
    }

    @Test
    void onDemandLinksAreOffByDefaultAndReadWithTheirRangesChecked() throws Exception {
        NodeConfig plain = NodeConfigParser.parse(files.write("plain.yaml", files.valid()));
        assertFalse(plain.topology().onDemand(), "on-demand links on by default");
        assertEquals(TopologyConfig.DEFAULT, plain.topology());

        NodeConfig c = NodeConfigParser.parse(files.write("od.yaml", files.valid() + """
                topology:
                  maxMeshSize: 4
                  onDemandThresholdBytes: 2000000
                  onDemandIntervalMs: 500
                  onDemandIdleMs: 8000
                """));
        assertTrue(c.topology().onDemand());
        assertEquals(2_000_000, c.topology().onDemandThresholdBytes());
        assertEquals(500, c.topology().onDemandIntervalMs());
        assertEquals(8_000, c.topology().onDemandIdleMs());
        assertEquals(4, c.topology().maxMeshSize());

        List<ConfigProblem> p = problemsOf(files.valid() + """
                topology:
                  onDemandThresholdBytes: -1
                  onDemandIntervalMs: 50
                """);
        assertEquals(2, p.size(), p.toString());
        assertEquals("topology.onDemandThresholdBytes", p.get(0).key());
        assertTrue(p.get(0).message().contains("out of range"), p.toString());
        assertEquals("topology.onDemandIntervalMs", p.get(1).key());
        assertTrue(p.get(1).message().contains("100 to 60000 ms"), p.toString());

        p = problemsOf(files.valid() + """
                topology:
                  onDemandIntervalMs: 5000
                  onDemandIdleMs: 9000
                """);
        assertEquals(1, p.size(), p.toString());
        assertEquals("topology.onDemandIdleMs", p.get(0).key());
        assertTrue(p.get(0).message().contains("shorter than two intervals"), p.toString());
        assertTrue(p.get(0).message().contains("at least 10000"), p.toString());
    }

    @Test
    void theExampleAndTheReferenceShowEveryTopologyKey() throws IOException {
        String example = Files.readString(Path.of("..", "docs", "examples", "node.yaml"));
        String docs = Files.readString(Path.of("..", "docs", "configuration.md"));
        for (String k : NodeConfigParser.TOPOLOGY_KEYS) {
            assertTrue(example.contains("  " + k + ":"), "docs/examples/node.yaml lacks topology." + k);
            assertTrue(docs.contains("`topology." + k + "`"), "docs/configuration.md lacks topology." + k);
        }
    }
}
