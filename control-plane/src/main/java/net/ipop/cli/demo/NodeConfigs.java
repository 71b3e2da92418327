package net.ipop.cli.demo;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import net.ipop.crypto.cert.PrivateKeyFiles;
import net.ipop.crypto.cert.X25519Keys;

/**
 * The demo overlay's nodes and their {@code node.yaml} files, in one place:
 * <ul>
 * <li>{@code hub} (192.0.2.1) in the internet namespace, listening on 203.0.113.1:51820: it knows both sites
 * without an endpoint and learns where they are from their handshakes (through their NATs);</li>
 * <li>{@code alpha} (192.0.2.2) at site A and {@code beta} (192.0.2.3) at site B: each has the hub as its one
 * peer, with its endpoint and a persistent keepalive that keeps its NAT mapping open, and reaches the other
 * site through the hub (the other site's address is among the hub's {@code allowedAddresses}, see
 * docs/configuration.md, "Reaching a node through another").</li>
 * </ul>
 * {@link Mode#OVERLAY} adds each node's {@code signalling:} entry (its account on the demo's Prosody, a password
 * file, the server's self-signed certificate): switching the demo to discovered peers is this one change.
 * Keys come from the same generator as {@code ipop genkey} and are written mode 0600 from creation.
 */
final class NodeConfigs {
    /** Static peers only, or static peers plus the XMPP signalling entry of the overlay. */
    enum Mode { STATIC, OVERLAY }

    static final String OVERLAY_NAME = "demo";
    static final int LISTEN_PORT = 51820;
    /** Well under the NATs' UDP conntrack timeout (30 s for a flow seen one way, 120 s once answered). */
    static final int KEEPALIVE_MS = 5000;

    private final Path root;
    private final SecureRandom random;
    private final Map<String, byte[]> keys = new LinkedHashMap<>();
    private final Map<String, String> passwords = new LinkedHashMap<>();
    private final DemoNode hub;
    private final DemoNode alpha;
    private final DemoNode beta;

    /** The three nodes, with their directories under {@code root} and their Aeron directories named by {@code tag}. */
    NodeConfigs(Path root, String tag, SecureRandom random) {
        this.root = root;
        this.random = random;
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

    /**
     * Creates each node's directory, private key (mode 0600) and XMPP password file (mode 0600). Call once,
     * before {@link #writeConfigs}.
     */
    void writeSecrets() throws IOException {
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
        }
    }

    /** Writes every node's {@code node.yaml}; {@code certificate} is Prosody's (used in overlay mode). */
    void writeConfigs(Mode mode, Path certificate) throws IOException {
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
                peers:
                """.formatted(n.name(), n.keyFile(), DemoNode.INTERFACE, n.overlay(), LISTEN_PORT, n.counters(),
                n.aeronDir()));
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
                    """.formatted(OVERLAY_NAME, n.name(), InternetServices.XMPP_DOMAIN, n.passwordFile(),
                    DemoNetwork.INTERNET_ADDRESS, InternetServices.XMPP_PORT, certificate));
        }
        Files.writeString(n.config(), sb.toString(), StandardCharsets.UTF_8);
    }
}
