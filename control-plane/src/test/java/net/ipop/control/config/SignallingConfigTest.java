package net.ipop.control.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The {@code signalling:} section: defaults, and each mistake named with its key and fix. */
class SignallingConfigTest {
    @TempDir
    Path dir;

    private ConfigFiles files;

    @BeforeEach
    void setUp() throws IOException {
        files = new ConfigFiles(dir);
        ConfigFiles.writeKey(dir.resolve("lab.password"), "s3cret\n", "rw-------");
        ConfigFiles.writeKey(dir.resolve("red.password"), "other\n", "rw-------");
        files.writeMembership();
    }

    private Path file(String signalling) throws IOException {
        return files.write("node.yaml", files.valid() + "signalling:\n" + signalling);
    }

    private List<ConfigProblem> problemsOf(String signalling) throws IOException {
        Path f = file(signalling);
        return assertThrows(ConfigException.class, () -> NodeConfigParser.parse(f)).problems();
    }

    @Test
    void minimalEntryTakesItsDefaultsFromTheAccount() throws Exception {
        NodeConfig c = NodeConfigParser.parse(file("""
                  - overlay: lab
                    account: alpha-lab@xmpp.example.org
                    passwordFile: lab.password
                    certificateFile: alpha.pem
                    caFile: lab-ca.pem
                """));
        SignallingConfig s = c.signalling().getFirst();
        assertEquals("lab", s.overlay());
        assertEquals("xmpp.example.org", s.server(), "the server defaults to the account's domain");
        assertEquals("xmpp.example.org", s.domain());
        assertEquals(5222, s.port());
        assertEquals("lab@conference.xmpp.example.org", s.room());
        assertEquals(SignallingConfig.TlsMode.REQUIRED, s.tls(), "TLS unless plain is asked for explicitly");
        assertEquals(Optional.empty(), s.serverCertificateFile());
        assertEquals(10_000, s.connectTimeoutMs());
        assertEquals(dir.resolve("lab.password").toAbsolutePath(), s.passwordFile());
    }

    @Test
    void withoutTheSectionANodeHasNoSignalling() throws Exception {
        assertEquals(List.of(), NodeConfigParser.parse(files.write("node.yaml", files.valid())).signalling());
    }

    @Test
    void aPasswordFileOthersCanReadIsRefusedWithTheChmod() throws Exception {
        ConfigFiles.writeKey(dir.resolve("lab.password"), "s3cret\n", "rw-r-----");
        List<ConfigProblem> p = problemsOf("""
                  - overlay: lab
                    account: alpha-lab@xmpp.example.org
                    passwordFile: lab.password
                    certificateFile: alpha.pem
                    caFile: lab-ca.pem
                """);
        assertEquals(1, p.size(), p.toString());
        assertEquals("signalling[0].passwordFile", p.get(0).key());
        assertTrue(p.get(0).message().contains("run: chmod 600 " + dir.resolve("lab.password")), p.toString());
    }

    @Test
    void eachMistakeNamesItsKeyAndTheFix() throws Exception {
        ConfigFiles.writeKey(dir.resolve("empty.password"), "\n", "rw-------");
        List<ConfigProblem> p = problemsOf("""
                  - overlay: Lab
                    account: alpha
                    passwordFile: missing.password
                    server: "xmpp example"
                    port: 70000
                    tls: starttls
                    connectTimeoutMs: 5
                    certificateFile: alpha.pem
                    caFile: lab-ca.pem
                  - overlay: red
                    account: alpha-red@xmpp.example.org
                    passwordFile: empty.password
                    room: "not a room"
                    tls: plain
                    serverCertificateFile: red.password
                    acount: typo
                    certificateFile: alpha.pem
                    caFile: lab-ca.pem
                """);
        List<String> keys = p.stream().map(ConfigProblem::key).toList();
        assertEquals(List.of("signalling[0].overlay", "signalling[0].account", "signalling[0].passwordFile",
                "signalling[0].server", "signalling[0].port", "signalling[0].tls", "signalling[0].connectTimeoutMs",
                "signalling[1].passwordFile", "signalling[1].room", "signalling[1].serverCertificateFile",
                "signalling[1].acount"), keys, p.toString());
        assertTrue(p.get(1).message().contains("name@domain"), p.get(1).message());
        assertTrue(p.get(2).message().contains("no such file"), p.get(2).message());
        assertTrue(p.get(5).message().contains("required"), p.get(5).message());
        assertTrue(p.get(7).message().contains("empty"), p.get(7).message());
        assertTrue(p.get(9).message().contains("tls is plain"), p.get(9).message());
        assertTrue(p.get(10).message().contains("did you mean 'account'"), p.get(10).message());
    }

    @Test
    void membershipFilesAreCheckedAsThePeersWillCheckThem() throws Exception {
        NodeConfig c = NodeConfigParser.parse(file("""
                  - overlay: lab
                    account: alpha-lab@xmpp.example.org
                    passwordFile: lab.password
                    certificateFile: alpha.pem
                    caFile: lab-ca.pem
                    crlFile: lab.crl
                    allowedGroups: [lab, ops]
                """));
        MembershipConfig m = c.signalling().getFirst().membership().orElseThrow();
        assertEquals(dir.resolve("alpha.pem").toAbsolutePath(), m.certificateFile());
        assertEquals(Optional.of(dir.resolve("lab.crl").toAbsolutePath()), m.crlFile());
        assertEquals(List.of("lab", "ops"), m.allowedGroups());

        List<ConfigProblem> p = problemsOf("""
                  - overlay: lab
                    account: alpha-lab@xmpp.example.org
                    passwordFile: lab.password
                    certificateFile: beta.pem
                    caFile: lab-ca.pem
                    crlFile: other.crl
                    allowedGroups: lab
                  - overlay: red
                    account: alpha-red@xmpp.example.org
                    passwordFile: red.password
                    certificateFile: alpha.pem
                    caFile: alpha.pem
                """);
        assertEquals(List.of("signalling[0].certificateFile", "signalling[0].crlFile", "signalling[0].allowedGroups",
                "signalling[1].caFile"), p.stream().map(ConfigProblem::key).toList(), p.toString());
        assertTrue(p.get(0).message().contains("certificate of 'beta', not of this node 'alpha'"), p.get(0).message());
        assertTrue(p.get(1).message().contains("not signed by the CA 'lab-ca'"), p.get(1).message());
        assertTrue(p.get(2).message().contains("expected a list"), p.get(2).message());
        assertTrue(p.get(3).message().contains("is not a CA certificate"), p.get(3).message());
    }

    @Test
    void anIceSectionNeedsSignallingAndATurnServerItsCredential() throws Exception {
        ConfigFiles.writeKey(dir.resolve("turn.password"), "t\n", "rw-------");
        NodeConfig c = NodeConfigParser.parse(files.write("node.yaml", files.valid() + """
                signalling:
                  - overlay: lab
                    account: alpha-lab@xmpp.example.org
                    passwordFile: lab.password
                    certificateFile: alpha.pem
                    caFile: lab-ca.pem
                ice:
                  stunServers: [203.0.113.10:3478, "[2001:db8::10]:3478"]
                  turnServer: 203.0.113.10:3478
                  turnUsername: alpha
                  turnPasswordFile: turn.password
                """));
        assertEquals(2, c.ice().stunServers().size());
        assertEquals("alpha", c.ice().turn().orElseThrow().username());
        assertEquals(IceServersConfig.DEFAULT_CONSENT_TIMEOUT_MS, c.ice().consentTimeoutMs());

        Path f = files.write("node.yaml", files.valid() + """
                ice:
                  stunServers: [stun.example.org:3478]
                  turnUsername: alpha
                  consentTimeoutMs: 10
                """);
        List<ConfigProblem> p = assertThrows(ConfigException.class, () -> NodeConfigParser.parse(f)).problems();
        assertEquals(List.of("ice.stunServers[0]", "ice.turnUsername", "ice.consentTimeoutMs"),
                p.stream().map(ConfigProblem::key).toList(), p.toString());
        assertTrue(p.get(1).message().contains("only used with turnServer"), p.get(1).message());
    }

    @Test
    void directProbesDefaultToThirtySecondsBackingOffToTenMinutesAndAreChecked() throws Exception {
        String overlay = """
                signalling:
                  - overlay: lab
                    account: alpha-lab@xmpp.example.org
                    passwordFile: lab.password
                    certificateFile: alpha.pem
                    caFile: lab-ca.pem
                """;
        NodeConfig c = NodeConfigParser.parse(files.write("node.yaml", files.valid() + overlay + """
                ice:
                  stunServers: [203.0.113.10:3478]
                """));
        assertEquals(30_000, c.ice().directProbeMs());
        assertEquals(600_000, c.ice().directProbeMaxMs());

        c = NodeConfigParser.parse(files.write("node.yaml", files.valid() + overlay + """
                ice:
                  directProbeMs: 900000
                """));
        assertEquals(900_000, c.ice().directProbeMaxMs(), "the cap follows a larger first interval");
        c = NodeConfigParser.parse(files.write("node.yaml", files.valid() + overlay + """
                ice:
                  directProbeMs: 0
                """));
        assertEquals(0, c.ice().directProbeMs(), "0: never probe");

        for (String bad : List.of("directProbeMs: 999", "directProbeMs: -1", "directProbeMs: 3600001",
                "directProbeMaxMs: 999", "directProbeMs: 5000\n  directProbeMaxMs: 4000")) {
            Path f = files.write("node.yaml", files.valid() + overlay + "ice:\n  " + bad + "\n");
            List<ConfigProblem> p = assertThrows(ConfigException.class, () -> NodeConfigParser.parse(f)).problems();
            assertEquals(1, p.size(), bad + ": " + p);
            assertTrue(p.getFirst().key().startsWith("ice.directProbe"), bad + ": " + p);
        }
        String example = Files.readString(Path.of("..", "docs", "examples", "node.yaml"));
        String docs = Files.readString(Path.of("..", "docs", "configuration.md"));
        for (String k : List.of("directProbeMs", "directProbeMaxMs")) {
            assertTrue(example.contains("  " + k + ":"), "docs/examples/node.yaml lacks ice." + k);
            assertTrue(docs.contains("`ice." + k + "`"), "docs/configuration.md lacks ice." + k);
        }
    }

    @Test
    void anOverlayOrAnAccountAppearsOnce() throws Exception {
        List<ConfigProblem> p = problemsOf("""
                  - overlay: lab
                    account: alpha@xmpp.example.org
                    passwordFile: lab.password
                    certificateFile: alpha.pem
                    caFile: lab-ca.pem
                  - overlay: lab
                    account: alpha@xmpp.example.org
                    passwordFile: red.password
                    certificateFile: alpha.pem
                    caFile: lab-ca.pem
                """);
        assertEquals(List.of("signalling[1].overlay", "signalling[1].account"),
                p.stream().map(ConfigProblem::key).toList(), p.toString());
        assertTrue(p.get(0).message().contains("signalling[0].overlay (line"), p.get(0).message());
        assertTrue(p.get(1).message().contains("give each overlay its own account"), p.get(1).message());
    }
}
