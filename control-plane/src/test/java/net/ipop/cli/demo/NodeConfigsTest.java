package net.ipop.cli.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import net.ipop.control.config.IceServersConfig;
import net.ipop.control.config.MembershipConfig;
import net.ipop.control.config.NodeConfig;
import net.ipop.control.config.NodeConfigParser;
import net.ipop.control.config.PeerConfig;
import net.ipop.control.config.SignallingConfig;
import net.ipop.crypto.cert.CaCertificate;
import net.ipop.crypto.cert.IpPrefix;
import net.ipop.crypto.cert.NodeCertificate;
import net.ipop.crypto.cert.X25519Keys;

/**
 * The demo's node files pass the node's own parser in both modes: static (the sites reach each other through
 * the hub's allowed addresses, keepalives toward the hub) and overlay (no static peers; one signalling entry
 * with a certificate from the demo's CA per node, and the internet's coturn for STUN and TURN).
 */
class NodeConfigsTest {
    @TempDir
    Path temp;

    @Test
    void staticModeRoutesTheSitesThroughTheHub() throws Exception {
        NodeConfigs configs = new NodeConfigs(temp, "t1", new SecureRandom());
        configs.writeSecrets();
        configs.writeConfigs(NodeConfigs.Mode.STATIC, certificate());
        Map<String, NodeConfig> parsed = parseAll(configs);

        NodeConfig hub = parsed.get("hub");
        assertEquals(List.of("alpha", "beta"), hub.peers().stream().map(PeerConfig::name).toList());
        assertTrue(hub.peers().stream().allMatch(p -> p.endpoint().isEmpty()), "the hub cannot know NATed ends");
        NodeConfig alpha = parsed.get("alpha");
        PeerConfig toHub = alpha.peers().get(0);
        assertEquals("hub", toHub.name());
        assertEquals("203.0.113.1:51820", toHub.endpoint().orElseThrow().getAddress().getHostAddress() + ":"
                + toHub.endpoint().orElseThrow().getPort());
        assertEquals(List.of("192.0.2.1/32", "192.0.2.3/32"),
                toHub.allowedAddresses().stream().map(Object::toString).toList());
        assertEquals(NodeConfigs.KEEPALIVE_MS, toHub.keepaliveIntervalMs());
        for (NodeConfig c : parsed.values()) {
            assertEquals(List.of(), c.signalling());
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(
                    c.privateKeyFile())));
        }
    }

    @Test
    void overlayModeAddsOneSignallingEntryPerNode() throws Exception {
        NodeConfigs configs = new NodeConfigs(temp, "t2", new SecureRandom());
        configs.writeSecrets();
        Path cert = certificate();
        configs.writeConfigs(NodeConfigs.Mode.OVERLAY, cert);
        Map<String, NodeConfig> parsed = parseAll(configs);
        CaCertificate ca = CaCertificate.fromPem(Files.readString(configs.caFile()));
        assertEquals(List.of(IpPrefix.parse(NodeConfigs.OVERLAY_PREFIX)), ca.overlayPrefixes());
        for (Map.Entry<String, NodeConfig> e : parsed.entrySet()) {
            NodeConfig c = e.getValue();
            assertEquals(List.of(), c.peers(), "overlay members have no static peers");
            List<SignallingConfig> s = c.signalling();
            assertEquals(1, s.size());
            assertEquals(e.getKey() + "@" + InternetServices.XMPP_DOMAIN, s.get(0).account());
            assertEquals("demo@conference." + InternetServices.XMPP_DOMAIN, s.get(0).room());
            assertEquals(SignallingConfig.TlsMode.REQUIRED, s.get(0).tls());
            assertEquals(cert, s.get(0).serverCertificateFile().orElseThrow());
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(
                    s.get(0).passwordFile())));
            MembershipConfig m = s.get(0).membership().orElseThrow();
            assertEquals(configs.caFile(), m.caFile());
            NodeCertificate nodeCert = NodeCertificate.fromPem(Files.readString(m.certificateFile()));
            assertEquals(e.getKey(), nodeCert.name());
            assertEquals("CN=" + ca.name(), nodeCert.issuer());
            assertEquals(X25519Keys.toBase64(c.publicKey().bytes()), nodeCert.publicKeyBase64());
            assertEquals(List.of(IpPrefix.parse(c.iface().addresses().get(0).toString().replace("/24", "/32"))),
                    nodeCert.addresses());
            InetSocketAddress turnServer = new InetSocketAddress(DemoNetwork.INTERNET_ADDRESS,
                    InternetServices.TURN_PORT);
            assertEquals(List.of(turnServer), c.ice().stunServers());
            IceServersConfig.Turn turn = c.ice().turn().orElseThrow();
            assertEquals(turnServer, turn.server());
            assertEquals(InternetServices.TURN_USER, turn.username());
            assertEquals(configs.turnPassword(), Files.readString(turn.passwordFile()).strip());
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(
                    turn.passwordFile())));
        }
        assertEquals(3, configs.accounts().size());
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(
                temp.resolve("overlay-ca.key"))));
    }

    private Map<String, NodeConfig> parseAll(NodeConfigs configs) throws Exception {
        return configs.nodes().stream().collect(Collectors.toMap(DemoNode::name, n -> {
            try {
                return NodeConfigParser.parse(n.config());
            } catch (Exception e) {
                throw new AssertionError(n.config() + ": " + e, e);
            }
        }));
    }

    private Path certificate() throws Exception {
        Path cert = temp.resolve("server.crt");
        Shell.run(30, "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                "-days", "1", "-subj", "/CN=" + InternetServices.XMPP_DOMAIN, "-keyout",
                temp.resolve("server.key").toString(), "-out", cert.toString());
        return cert;
    }
}
