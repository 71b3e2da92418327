package net.ipop.cli.demo;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import net.ipop.crypto.cert.IpPrefix;
import net.ipop.crypto.cert.NodeCertificate;
import net.ipop.crypto.cert.OverlayCa;
import net.ipop.crypto.cert.Pem;
import net.ipop.crypto.cert.PrivateKeyFiles;
import net.ipop.crypto.cert.X25519Keys;

/**
 * The demo overlay's nodes and their {@code node.yaml} files, in one place. Three nodes: {@code hub} (192.0.2.1)
 * in the internet namespace, {@code alpha} (192.0.2.2) at site A and {@code beta} (192.0.2.3) at site B.
 * <ul>
 * <li>{@link Mode#OVERLAY} (the default): no static peers at all. Every node is an ordinary member of the overlay
 * {@value #OVERLAY_NAME}: its {@code signalling:} entry (its account on the demo's Prosody, a password file, the
 * server's self-signed certificate, its certificate from the demo's overlay CA and the CA's certificate) and an
 * {@code ice:} section with the internet's coturn as STUN and TURN server (one TURN user shared by the nodes).
 * The members find each other in the room and connect with ICE: through the NATs directly when hole punching
 * works, through TURN otherwise.</li>
 * <li>{@link Mode#STATIC}: the hub, listening on 203.0.113.1:51820, knows both sites without an endpoint and
 * learns where they are from their handshakes; each site has the hub as its one peer, with its endpoint and a
 * persistent keepalive that keeps its NAT mapping open, and reaches the other site through the hub (the other
 * site's address is among the hub's {@code allowedAddresses}, see docs/configuration.md, "Reaching a node
 * through another").</li>
 * </ul>
 * Keys come from the same generator as {@code ipop genkey}; node keys, the CA key and the passwords are written
 * mode 0600 from creation. The CA lives for the run only (valid from an hour ago to a day from now).
 */
final class NodeConfigs {
    /** Static peers through the hub, or overlay members that find each other through signalling and ICE. */
    enum Mode { STATIC, OVERLAY }

    static final String OVERLAY_NAME = "demo";
    static final int LISTEN_PORT = 51820;
    /** Well under the NATs' UDP conntrack timeout (30 s for a flow seen one way, 120 s once answered). */
    static final int KEEPALIVE_MS = 5000;
    /** The overlay CA's prefix: every node's address is inside it. */
    static final String OVERLAY_PREFIX = "192.0.2.0/24";

    private final Path root;
    private final SecureRandom random;
    private final Map<String, byte[]> keys = new LinkedHashMap<>();
    private final Map<String, String> passwords = new LinkedHashMap<>();
    private final Path caFile;
    private final Path turnPasswordFile;
    private String turnPassword;
    private final DemoNode hub;
    private final DemoNode alpha;
    private final DemoNode beta;

    /** The three nodes, with their directories under {@code root} and their Aeron directories named by {@code tag}. */
    NodeConfigs(Path root, String tag, SecureRandom random) {
        this.root = root;
        this.random = random;
        this.caFile = root.resolve("overlay-ca.pem");
        this.turnPasswordFile = root.resolve("turn.password");
        hub = node("hub", DemoNetwork.INTERNET, "192.0.2.1", tag);
        alpha = node("alpha", DemoNetwork.SITE_A.namespace(), "192.0.2.2", tag);
        beta = node("beta", DemoNetwork.SITE_B.namespace(), "192.0.2.3", tag);
    }

    private DemoNode node(String name, String namespace, String overlay, String tag) {
        return new DemoNode(name, namespace, overlay, root.resolve(name),
                Path.of("/dev/shm", DemoResources.PREFIX + tag + "-" + name));
    }

    /** The hub first, then the sites. */
    List<DemoNode> nodes() {
        return List.of(hub, alpha, beta);
    }

    DemoNode hub() {
        return hub;
    }

    /** Each node's XMPP account name and password, for registering them with Prosody. */
    List<String[]> accounts() {
        return passwords.entrySet().stream().map(e -> new String[] {e.getKey(), e.getValue()}).toList();
    }

    /** The TURN user's password (shared by the nodes): for coturn's config. Set by {@link #writeSecrets}. */
    String turnPassword() {
        return turnPassword;
    }

    /** The overlay CA's certificate (PEM), every member's {@code caFile}. */
    Path caFile() {
        return caFile;
    }

    /**
     * Creates each node's directory, private key (mode 0600) and XMPP password file (mode 0600); the overlay CA
     * (its key mode 0600, its certificate) and a certificate per node issued by it; the TURN password file (mode
     * 0600). Call once, before {@link #writeConfigs}.
     */
    void writeSecrets() throws IOException {
        Instant notBefore = Instant.now().minus(Duration.ofHours(1));
        Instant notAfter = Instant.now().plus(Duration.ofDays(1));
        OverlayCa ca = OverlayCa.create("ipop demo CA", List.of(IpPrefix.parse(OVERLAY_PREFIX)), notBefore, notAfter,
                random);
        PrivateKeyFiles.writeNew(root.resolve("overlay-ca.key"), Pem.encode(Pem.PRIVATE_KEY, ca.privateKeyPkcs8()));
        Files.writeString(caFile, ca.certificate().toPem(), StandardCharsets.US_ASCII);
        byte[] turn = new byte[18];
        random.nextBytes(turn);
        turnPassword = HexFormat.of().formatHex(turn);
        PrivateKeyFiles.writeNew(turnPasswordFile, turnPassword + "\n");
        for (DemoNode n : nodes()) {
            Files.createDirectories(n.dir());
            Files.createDirectories(n.runDir());
            byte[] key = X25519Keys.generatePrivateKey(random);
            keys.put(n.name(), key);
            PrivateKeyFiles.writeNew(n.keyFile(), X25519Keys.toBase64(key) + "\n");
            byte[] pw = new byte[18];
            random.nextBytes(pw);
            String password = HexFormat.of().formatHex(pw);
            passwords.put(n.name(), password);
            PrivateKeyFiles.writeNew(n.passwordFile(), password + "\n");
            NodeCertificate cert = ca.issue(n.name(), X25519Keys.publicKey(key),
                    List.of(IpPrefix.parse(n.overlay() + "/32")), List.of(), notBefore, notAfter, random);
            Files.writeString(n.certificateFile(), cert.toPem(), StandardCharsets.US_ASCII);
        }
    }

    /** Writes every node's {@code node.yaml}; {@code certificate} is Prosody's (used in overlay mode). */
    void writeConfigs(Mode mode, Path certificate) throws IOException {
        if (mode == Mode.OVERLAY) {
            for (DemoNode n : nodes()) {
                write(n, mode, certificate);
            }
            return;
        }
        String hubEndpoint = DemoNetwork.INTERNET_ADDRESS + ":" + LISTEN_PORT;
        write(hub, mode, certificate,
                peer(alpha, null, 0, alpha.overlay()),
                peer(beta, null, 0, beta.overlay()));
        write(alpha, mode, certificate, peer(hub, hubEndpoint, KEEPALIVE_MS, hub.overlay(), beta.overlay()));
        write(beta, mode, certificate, peer(hub, hubEndpoint, KEEPALIVE_MS, hub.overlay(), alpha.overlay()));
    }

    private String peer(DemoNode peer, String endpoint, int keepaliveMs, String... allowed) {
        StringBuilder sb = new StringBuilder();
        sb.append("  - name: ").append(peer.name()).append('\n');
        sb.append("    publicKey: ").append(X25519Keys.toBase64(X25519Keys.publicKey(keys.get(peer.name()))))
                .append('\n');
        if (endpoint != null) {
            sb.append("    endpoint: ").append(endpoint).append('\n');
        }
        sb.append("    allowedAddresses: [").append(String.join(", ", List.of(allowed).stream()
                .map(a -> a + "/32").toList())).append("]\n");
        if (keepaliveMs > 0) {
            sb.append("    keepaliveIntervalMs: ").append(keepaliveMs).append('\n');
        }
        return sb.toString();
    }

    private void write(DemoNode n, Mode mode, Path certificate, String... peers) throws IOException {
        StringBuilder sb = new StringBuilder();
        sb.append("""
                # Node %1$s of the ipop demo (generated; removed when the demo ends).
                node:
                  name: %1$s
                  privateKeyFile: %2$s
                interface:
                  name: %3$s
                  addresses: [%4$s/24]
                listen:
                  port: %5$d
                dataplane:
                  countersFile: %6$s
                  aeronDirectory: %7$s
                peers:%8$s
                """.formatted(n.name(), n.keyFile(), DemoNode.INTERFACE, n.overlay(), LISTEN_PORT, n.counters(),
                n.aeronDir(), peers.length == 0 ? " []" : ""));
        for (String p : peers) {
            sb.append(p);
        }
        if (mode == Mode.OVERLAY) {
            sb.append("""
                    signalling:
                      - overlay: %1$s
                        account: %2$s@%3$s
                        passwordFile: %4$s
                        server: %5$s
                        port: %6$d
                        tls: required
                        serverCertificateFile: %7$s
                        certificateFile: %8$s
                        caFile: %9$s
                    ice:
                      stunServers: [%5$s:%10$d]
                      turnServer: %5$s:%10$d
                      turnUsername: %11$s
                      turnPasswordFile: %12$s
                    """.formatted(OVERLAY_NAME, n.name(), InternetServices.XMPP_DOMAIN, n.passwordFile(),
                    DemoNetwork.INTERNET_ADDRESS, InternetServices.XMPP_PORT, certificate, n.certificateFile(),
                    caFile, InternetServices.TURN_PORT, InternetServices.TURN_USER, turnPasswordFile));
        }
        Files.writeString(n.config(), sb.toString(), StandardCharsets.UTF_8);
    }
}
