package net.ipop.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.List;

import net.ipop.control.config.NodeConfig;
import net.ipop.control.config.NodeConfigParser;
import net.ipop.crypto.Suite;
import net.ipop.crypto.cert.IpPrefix;
import net.ipop.crypto.cert.OverlayCa;
import net.ipop.crypto.cert.X25519Keys;
import net.ipop.control.status.JsonText;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code ipop config check} end to end through {@link IpopCommand#execute}, and the documented example file. */
class ConfigCheckCommandTest {
    /** Tests run in the module directory; the example lives in the repository's docs. */
    private static final Path EXAMPLE = Path.of("..", "docs", "examples", "node.yaml");
    private static final String EXAMPLE_KEY_LINE = "privateKeyFile: /etc/ipop/alpha.key ";
    private static final String EXAMPLE_PASSWORD_LINE = "passwordFile: /etc/ipop/lab.password ";
    private static final String EXAMPLE_SERVER_CERT_LINE = "serverCertificateFile: /etc/ipop/xmpp.pem ";
    private static final String EXAMPLE_CERT_LINE = "certificateFile: /etc/ipop/alpha-lab.pem ";
    private static final String EXAMPLE_CA_LINE = "caFile: /etc/ipop/lab-ca.pem ";
    private static final String EXAMPLE_CRL_LINE = "crlFile: /etc/ipop/lab.crl ";
    private static final String EXAMPLE_TURN_PASSWORD_LINE = "turnPasswordFile: /etc/ipop/turn.password ";

    @TempDir
    Path dir;

    private StringWriter out;
    private StringWriter err;

    private int run(String... args) {
        out = new StringWriter();
        err = new StringWriter();
        int code = IpopCommand.execute(new PrintWriter(out, true), new PrintWriter(err, true), args);
        assertFalse(err.toString().contains("\tat "), "stack trace: " + err);
        assertFalse(err.toString().contains("Exception"), "exception name leaked: " + err);
        return code;
    }

    private Path key;

    @BeforeEach
    void newKey() throws IOException {
        key = dir.resolve("alpha.key");
        Files.writeString(key, X25519Keys.toBase64(X25519Keys.generatePrivateKey(new SecureRandom())) + "\n");
        Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("rw-------"));
    }

    /** The example with its key file pointed at a real one (the only line changed). */
    private Path example() throws IOException {
        String text = Files.readString(EXAMPLE);
        assertTrue(text.contains(EXAMPLE_KEY_LINE), "the example names /etc/ipop/alpha.key");
        assertTrue(text.contains(EXAMPLE_PASSWORD_LINE) && text.contains(EXAMPLE_SERVER_CERT_LINE), "the example"
                + " names /etc/ipop/lab.password and /etc/ipop/xmpp.pem");
        Path password = Files.writeString(dir.resolve("lab.password"), "secret\n");
        Files.setPosixFilePermissions(password, PosixFilePermissions.fromString("rw-------"));
        Instant now = Instant.now();
        Path serverCert = Files.writeString(dir.resolve("xmpp.pem"), OverlayCa.create("xmpp", List.of(
                IpPrefix.parse("192.0.2.0/24")), now, now.plusSeconds(3600), new SecureRandom()).certificate().toPem());
        // The overlay's CA, this node's certificate for its key, and the CA's (empty) revocation list.
        OverlayCa ca = OverlayCa.create("lab-ca", List.of(IpPrefix.parse("192.0.2.0/24")), now.minusSeconds(60),
                now.plusSeconds(3600), new SecureRandom());
        byte[] publicKey = X25519Keys.publicKey(java.util.Base64.getDecoder().decode(Files.readString(key).strip()));
        Path caFile = Files.writeString(dir.resolve("lab-ca.pem"), ca.certificate().toPem());
        Path certFile = Files.writeString(dir.resolve("alpha-lab.pem"), ca.issue("alpha", publicKey,
                List.of(IpPrefix.parse("192.0.2.1/32")), List.of("lab"), now.minusSeconds(60), now.plusSeconds(3600),
                new SecureRandom()).toPem());
        Path crlFile = Files.writeString(dir.resolve("lab.crl"), ca.revoke(null, List.of(), now).toPem());
        Path turnPassword = Files.writeString(dir.resolve("turn.password"), "turn-secret\n");
        Files.setPosixFilePermissions(turnPassword, PosixFilePermissions.fromString("rw-------"));
        for (String line : List.of(EXAMPLE_CERT_LINE, EXAMPLE_CA_LINE, EXAMPLE_CRL_LINE, EXAMPLE_TURN_PASSWORD_LINE)) {
            assertTrue(text.contains(line), "the example names " + line);
        }
        return Files.writeString(dir.resolve("node.yaml"), text.replace(EXAMPLE_KEY_LINE,
                "privateKeyFile: " + key + " ").replace(EXAMPLE_PASSWORD_LINE, "passwordFile: " + password + " ")
                .replace(EXAMPLE_SERVER_CERT_LINE, "serverCertificateFile: " + serverCert + " ")
                .replace(EXAMPLE_CERT_LINE, "certificateFile: " + certFile + " ")
                .replace(EXAMPLE_CA_LINE, "caFile: " + caFile + " ")
                .replace(EXAMPLE_CRL_LINE, "crlFile: " + crlFile + " ")
                .replace(EXAMPLE_TURN_PASSWORD_LINE, "turnPasswordFile: " + turnPassword + " "));
    }

    @Test
    void theDocumentedExamplePasses() throws Exception {
        Path file = example();
        assertEquals(0, run("config", "check", file.toString()), err.toString());
        assertEquals(file + ": ok (3 peers)\n", out.toString());
        assertEquals("", err.toString());

        NodeConfig c = NodeConfigParser.parse(file);
        assertEquals(List.of("beta", "gamma", "delta"), c.peers().stream().map(p -> p.name()).toList());
        assertEquals(Suite.CHACHA20POLY1305, c.peers().get(1).suite());
        assertTrue(c.peers().get(2).endpoint().isEmpty());
        assertEquals(1, c.signalling().size());
        assertEquals("lab@conference.xmpp.example.org", c.signalling().get(0).room());
        assertEquals(9586, c.metrics().listen().orElseThrow().getPort());
        assertEquals(java.util.Map.of("node", "info", "ice", "warning"), c.log().components());
    }

    @Test
    void theExampleShowsEveryKeyTheParserKnows() throws IOException {
        String text = Files.readString(EXAMPLE);
        for (String k : List.of("node:", "name:", "privateKeyFile:", "interface:", "addresses:", "mtu:", "queues:",
                "listen:", "port:", "address:", "suite:", "dataplane:", "idleStrategy:", "ioUring:",
                "offloads:", "countersFile:", "aeronDirectory:", "peers:", "publicKey:", "endpoint:",
                "allowedAddresses:", "keepaliveIntervalMs:", "signalling:", "overlay:", "account:", "passwordFile:",
                "server:", "room:", "tls:", "serverCertificateFile:", "connectTimeoutMs:", "certificateFile:", "caFile:",
                "crlFile:", "allowedGroups:", "ice:", "stunServers:", "turnServer:", "turnUsername:",
                "turnPasswordFile:", "consentTimeoutMs:", "topology:", "maxMeshSize:", "successors:", "downAfterMs:",
                "metrics:", "log:", "level:", "components:")) {
            assertTrue(text.contains(k), "example lacks " + k);
        }
        String docs = Files.readString(Path.of("..", "docs", "configuration.md"));
        for (String k : List.of("node.name", "node.privateKeyFile", "interface.name", "interface.addresses",
                "interface.mtu", "interface.queues", "listen.port", "listen.address", "suite",
                "dataplane.idleStrategy", "dataplane.ioUring", "dataplane.offloads",
                "dataplane.countersFile", "dataplane.aeronDirectory", "peers[].name", "peers[].publicKey",
                "peers[].endpoint", "peers[].allowedAddresses", "peers[].keepaliveIntervalMs", "peers[].suite",
                "signalling[].overlay", "signalling[].account", "signalling[].passwordFile", "signalling[].server",
                "signalling[].port", "signalling[].room", "signalling[].tls", "signalling[].serverCertificateFile",
                "signalling[].connectTimeoutMs", "signalling[].certificateFile", "signalling[].caFile",
                "signalling[].crlFile", "signalling[].allowedGroups", "ice.stunServers", "ice.turnServer",
                "ice.turnUsername", "ice.turnPasswordFile", "ice.consentTimeoutMs", "topology.maxMeshSize",
                "topology.successors", "topology.downAfterMs", "metrics.listen", "log.level", "log.components")) {
            assertTrue(docs.contains("`" + k + "`"), "docs/configuration.md lacks " + k);
        }
    }

    @Test
    void everyProblemGoesOnItsOwnLineThenASummary() throws IOException {
        String text = Files.readString(example())
                .replace("  mtu: 1420 ", "  mtu: big ")
                .replace("    endpoint: 198.51.100.2:51820 ", "    endpoint: 198.51.100.2 ")
                .replace("idleStrategy: poll", "idleStrategy: pol");
        Path file = Files.writeString(dir.resolve("bad.yaml"), text);
        assertEquals(IpopCommand.EXIT_USAGE, run("config", "check", file.toString()));
        List<String> lines = err.toString().lines().toList();
        assertEquals(4, lines.size(), err.toString());
        assertTrue(lines.get(0).startsWith(file + ":13:8: interface.mtu: expected a whole number"), lines.get(0));
        assertTrue(lines.get(1).startsWith(file + ":23:17: dataplane.idleStrategy: unknown value 'pol';"
                + " did you mean 'poll'?"), lines.get(1));
        assertTrue(lines.get(2).startsWith(file + ":33:15: peers[0].endpoint: '198.51.100.2' has no port"),
                lines.get(2));
        assertEquals("ipop config check: 3 problems in " + file + "; the format is described in"
                + " docs/configuration.md", lines.get(3));
        assertEquals("", out.toString());
    }

    @Test
    void jsonReportsOkAndProblems() throws IOException {
        Path file = example();
        assertEquals(0, run("config", "check", "--json", file.toString()));
        assertEquals("{\"file\":" + JsonText.write(file.toString()) + ",\"ok\":true,\"problems\":[]}\n", out.toString());

        Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("rw-r--r--"));
        assertEquals(IpopCommand.EXIT_USAGE, run("config", "check", "--json", file.toString()));
        String json = out.toString();
        assertTrue(json.startsWith("{\"file\":" + JsonText.write(file.toString()) + ",\"ok\":false,\"problems\":"
                + "[{\"line\":8,\"column\":19,\"key\":\"node.privateKeyFile\",\"message\":\""), json);
        assertTrue(json.contains("run: chmod 600 " + key), json);
        assertEquals("", err.toString(), "--json puts everything on standard output");
    }

    @Test
    void missingFileArgumentIsUsageAndMissingFileIsAProblem() {
        assertEquals(IpopCommand.EXIT_USAGE, run("config", "check"));
        assertTrue(err.toString().contains("FILE"), err.toString());
        Path absent = dir.resolve("absent.yaml");
        assertEquals(IpopCommand.EXIT_USAGE, run("config", "check", absent.toString()));
        assertTrue(err.toString().startsWith(absent + ": no such file"), err.toString());
    }
}
