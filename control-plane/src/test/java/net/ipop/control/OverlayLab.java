package net.ipop.control;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import net.ipop.control.config.SignallingConfig;
import net.ipop.control.ice.NatLab;
import net.ipop.control.signal.NamespaceSockets;
import net.ipop.control.signal.ProsodyServer;
import net.ipop.control.signal.Signalling;
import net.ipop.crypto.cert.IpPrefix;
import net.ipop.crypto.cert.NodeCertificate;
import net.ipop.crypto.cert.OverlayCa;
import net.ipop.crypto.cert.RevocationList;
import net.ipop.crypto.cert.X25519Keys;
import net.ipop.ffm.testing.TestNamespace;

/**
 * Overlay nodes as an operator runs them ({@code ipop up} with a {@code signalling:} section), on a {@link NatLab}
 * with Prosody on the lab's internet (203.0.113.100:5222, next to coturn). The overlay is 192.0.2.128/25 (site
 * A's LAN is 192.0.2.0/24 but holds only .1 and .2, so the more specific overlay route is unambiguous). The
 * overlay CA revokes one certificate it issued ("revoked"); a second CA ("other") issues the certificate of an
 * intruder. {@link #close()} stops the nodes, the intruders' signalling, Prosody and the lab.
 */
final class OverlayLab implements AutoCloseable {
    static final String OVERLAY = "lab";
    static final String SERVER = "203.0.113.100";
    private static final SecureRandom RANDOM = new SecureRandom();

    final NatLab lab;
    private final Path dir;
    private final ProsodyServer xmpp;
    private final OverlayCa ca;
    private final OverlayCa other;
    private final Instant notBefore = Instant.now().minusSeconds(3600);
    private final Instant notAfter = Instant.now().plus(Duration.ofDays(1));
    private final Path caFile;
    private final Path crlFile;
    private final Path turnPassword;
    private final NodeCertificate revoked;
    private RevocationList crl;
    /** The certificates {@link #node} issued, by node name. */
    private final java.util.Map<String, NodeCertificate> issued = new java.util.HashMap<>();
    private final List<TwoNodes.Node> nodes = new ArrayList<>();
    private final List<Signalling> intruders = new ArrayList<>();
    private final List<TestNamespace> hosts = new ArrayList<>();
    private int nextAddress = 129;

    private OverlayLab(NatLab lab, Path dir) throws Exception {
        this.lab = lab;
        this.dir = dir;
        this.xmpp = ProsodyServer.on(lab.internet, Files.createDirectories(dir.resolve("xmpp")), SERVER);
        this.ca = OverlayCa.create("lab-ca", List.of(IpPrefix.parse("192.0.2.128/25")), notBefore, notAfter, RANDOM);
        this.other = OverlayCa.create("other-ca", List.of(IpPrefix.parse("192.0.2.128/25")), notBefore, notAfter,
                RANDOM);
        this.caFile = Files.writeString(dir.resolve("lab-ca.pem"), ca.certificate().toPem());
        byte[] key = new byte[32];
        RANDOM.nextBytes(key);
        this.revoked = ca.issue("revoked", X25519Keys.publicKey(X25519Keys.generatePrivateKey(RANDOM)),
                List.of(IpPrefix.parse("192.0.2.250/32")), List.of(), notBefore, notAfter, RANDOM);
        this.crl = ca.revoke(null, List.of(revoked.serial()), Instant.now());
        this.crlFile = Files.writeString(dir.resolve("lab.crl"), crl.toPem());
        this.turnPassword = secret(dir.resolve("turn.password"), lab.turnPassword);
    }

    /** The lab with Prosody running; everything made is removed if this fails. */
    static OverlayLab create(NatLab.Nat nat, Path dir) throws Exception {
        NatLab lab = NatLab.create(nat);
        OverlayLab o = null;
        try {
            o = new OverlayLab(lab, dir);
            o.xmpp.start();
            return o;
        } catch (Exception | Error e) {
            if (o != null) {
                o.close();
            } else {
                lab.close();
            }
            throw e;
        }
    }

    /** Writes a node's key, certificate, account and config for {@code ns}; the node is not started. */
    TwoNodes.Node node(TestNamespace ns, String name) throws IOException {
        return node(ns, name, 0);
    }

    /** As {@link #node(TestNamespace, String)}, with {@code dataplane.deadPeerAfterMs} when it is not 0. */
    TwoNodes.Node node(TestNamespace ns, String name, int deadPeerAfterMs) throws IOException {
        return node(ns, name, deadPeerAfterMs, Map.of());
    }

    /** As {@link #node(TestNamespace, String, int)}, with more keys of the {@code ice} section (name to value). */
    TwoNodes.Node node(TestNamespace ns, String name, int deadPeerAfterMs, Map<String, String> ice)
            throws IOException {
        Path d = Files.createDirectories(dir.resolve(name));
        byte[] priv = X25519Keys.generatePrivateKey(RANDOM);
        Path keyFile = secret(d.resolve(name + ".key"), X25519Keys.toBase64(priv));
        String address = "192.0.2." + nextAddress++;
        NodeCertificate cert = ca.issue(name, X25519Keys.publicKey(priv), List.of(IpPrefix.parse(address + "/32")),
                List.of("lab"), notBefore, notAfter, RANDOM);
        issued.put(name, cert);
        Path certFile = Files.writeString(d.resolve(name + ".pem"), cert.toPem());
        String password = "pw-" + Long.toHexString(RANDOM.nextLong());
        xmpp.register(name, password);
        Path passwordFile = secret(d.resolve("xmpp.password"), password);
        Path aeron = Path.of("/dev/shm", "ipopt-" + ns.name() + "-" + name);
        Path counters = d.resolve("ipop0.counters");
        Path config = Files.writeString(d.resolve("node.yaml"), """
                node:
                  name: %s
                  privateKeyFile: %s
                interface:
                  name: ipop0
                  addresses: [%s/25]
                listen:
                  port: 51820
                dataplane:
                  countersFile: %s
                  aeronDirectory: %s%s
                signalling:
                  - overlay: %s
                    account: %s@%s
                    passwordFile: %s
                    server: %s
                    tls: plain
                    certificateFile: %s
                    caFile: %s
                    crlFile: %s
                    allowedGroups: [lab]
                ice:
                  stunServers: [%s:3478]
                  turnServer: %s:3478
                  turnUsername: %s
                  turnPasswordFile: %s%s
                """.formatted(name, keyFile, address, counters, aeron,
                deadPeerAfterMs == 0 ? "" : "\n  deadPeerAfterMs: " + deadPeerAfterMs, OVERLAY, name, ProsodyServer.DOMAIN,
                passwordFile, SERVER, certFile, caFile, crlFile, SERVER, SERVER, NatLab.TURN_USER, turnPassword,
                ice.entrySet().stream().map(e -> "\n  " + e.getKey() + ": " + e.getValue())
                        .collect(java.util.stream.Collectors.joining())));
        TwoNodes.Node n = new TwoNodes.Node(ns, config, d.resolve("run"), aeron, counters);
        nodes.add(n);
        return n;
    }

    /**
     * A host on the lab's internet segment itself (no NAT): a namespace with a veth onto the internet's bridge,
     * holding {@code address}/24 and a default route to the bridge's own address. Removed with the lab.
     */
    TestNamespace onInternet(String tag, String address) throws IOException {
        TestNamespace ns = TestNamespace.create(tag);
        hosts.add(ns);
        lab.internet.exec("ip", "link", "add", "v" + tag, "type", "veth", "peer", "name", "eth0", "netns", ns.name());
        lab.internet.exec("ip", "link", "set", "v" + tag, "master", "br0");
        lab.internet.exec("ip", "link", "set", "v" + tag, "up");
        ns.exec("ip", "addr", "add", address + "/24", "dev", "eth0");
        ns.exec("ip", "link", "set", "eth0", "up");
        ns.exec("ip", "link", "set", "lo", "up");
        ns.exec("ip", "route", "add", "default", "via", SERVER);
        return ns;
    }

    /** The overlay address the {@code i}-th node made got (0-based). */
    static String address(int i) {
        return "192.0.2." + (129 + i);
    }

    /** Starts {@code ipop up} for each node at once and waits for every one to report up. */
    static void up(List<TwoNodes.Node> nodes) throws Exception {
        List<Process> ups = new ArrayList<>();
        for (TwoNodes.Node n : nodes) {
            ups.add(TwoNodes.cli(n.ns(), n.runDir(), "up", "--config", n.config().toString()));
        }
        for (int i = 0; i < ups.size(); i++) {
            Process up = ups.get(i);
            if (!up.waitFor(150, TimeUnit.SECONDS) || up.exitValue() != 0) {
                up.destroyForcibly();
                throw new AssertionError("ipop up failed: " + new String(up.getInputStream().readAllBytes(),
                        StandardCharsets.UTF_8) + nodes.get(i).log());
            }
        }
    }

    /**
     * Joins the room from the internet with a certificate the members must refuse: "revoked" (on the CA's list)
     * or "mallory" (issued by another CA). It runs no data plane; it only announces itself.
     */
    void intrude(String who) throws Exception {
        NodeCertificate cert = who.equals("revoked") ? revoked
                : other.issue(who, X25519Keys.publicKey(X25519Keys.generatePrivateKey(RANDOM)),
                        List.of(IpPrefix.parse("192.0.2.251/32")), List.of("lab"), notBefore, notAfter, RANDOM);
        String password = "pw-" + Long.toHexString(RANDOM.nextLong());
        xmpp.register(who, password);
        Path file = secret(Files.createDirectories(dir.resolve(who)).resolve("xmpp.password"), password);
        Signalling s = new Signalling(new Signalling.Options(new NamespaceSockets(lab.internet), 1, 64));
        intruders.add(s);
        s.join(new SignallingConfig(OVERLAY, SERVER, ProsodyServer.PORT, who + "@" + ProsodyServer.DOMAIN, file,
                SignallingConfig.defaultRoom(OVERLAY, ProsodyServer.DOMAIN), SignallingConfig.TlsMode.PLAIN,
                Optional.empty(), 10_000), cert);
    }

    /** Revokes the certificate {@link #node} issued to {@code name}: a newer list in the members' CRL file. */
    void revoke(String name) throws IOException {
        crl = ca.revoke(crl, List.of(issued.get(name).serial()), Instant.now());
        Files.writeString(crlFile, crl.toPem());
    }

    String xmppLog() {
        return xmpp.log();
    }

    private static Path secret(Path file, String text) throws IOException {
        Files.writeString(file, text + "\n");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        return file;
    }

    @Override
    public void close() throws IOException {
        try {
            for (TwoNodes.Node n : nodes) {
                if (Files.exists(n.runDir().resolve("ipop0.pid"))) {
                    n.cli(60, "down", "--config", n.config().toString());
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while stopping the nodes", e);
        } catch (Exception e) {
            throw new IOException("ipop down failed: " + e, e);
        } finally {
            for (Signalling s : intruders) {
                s.close();
            }
            try {
                xmpp.close();
                for (TestNamespace h : hosts) {
                    h.close();
                }
            } finally {
                lab.close();
                for (TwoNodes.Node n : nodes) {
                    try (var walk = Files.exists(n.aeronDir()) ? Files.walk(n.aeronDir()) : java.util.stream.Stream
                            .<Path>empty()) {
                        for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
                            Files.deleteIfExists(p);
                        }
                    }
                }
            }
        }
    }
}
