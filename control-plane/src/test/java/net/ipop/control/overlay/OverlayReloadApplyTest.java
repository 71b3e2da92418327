package net.ipop.control.overlay;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import net.ipop.control.config.DataPlaneConfig;
import net.ipop.control.config.IceServersConfig;
import net.ipop.control.config.InterfaceConfig;
import net.ipop.control.config.ListenConfig;
import net.ipop.control.config.LogConfig;
import net.ipop.control.config.MembershipConfig;
import net.ipop.control.config.MetricsConfig;
import net.ipop.control.config.NodeConfig;
import net.ipop.control.config.PeerConfig;
import net.ipop.control.config.SignallingConfig;
import net.ipop.control.config.StaticPublicKey;
import net.ipop.control.config.TopologyConfig;
import net.ipop.control.ice.IceConfig;
import net.ipop.control.node.DataPlanePort;
import net.ipop.control.node.StaticNode;
import net.ipop.control.signal.Signalling;
import net.ipop.crypto.Suite;
import net.ipop.crypto.cert.IpPrefix;
import net.ipop.crypto.cert.NodeCertificate;
import net.ipop.crypto.cert.OverlayCa;
import net.ipop.crypto.cert.X25519Keys;
import net.ipop.crypto.noise.Clock;
import net.ipop.crypto.noise.NoiseKeyPair;
import net.ipop.crypto.noise.SessionKeys;

/**
 * {@link OverlayReload} on an {@link OverlayNode} driven by hand (no rooms joined, no ICE: this node, "zeta",
 * answers every member): a member revoked in the CRL file is disconnected, a peer refused for its group is admitted
 * once the allowed groups include it, a static peer added alongside leaves the members alone, and the consent
 * timeout reaches the ICE config.
 */
class OverlayReloadApplyTest {
    private static final SecureRandom RANDOM = new SecureRandom();
    private final Instant now = Instant.now();
    private final OverlayCa ca = OverlayCa.create("lab-ca", List.of(IpPrefix.parse("192.0.2.0/24")),
            now.minusSeconds(3600), now.plus(Duration.ofDays(1)), RANDOM);

    @TempDir
    Path dir;

    @Test
    void revokedMemberIsDisconnectedNewlyAllowedPeerAdmittedStaticPeersApplied() throws Exception {
        NoiseKeyPair zetaKeys = NoiseKeyPair.generate(RANDOM);
        Path caFile = Files.writeString(dir.resolve("ca.pem"), ca.certificate().toPem());
        Path certFile = Files.writeString(dir.resolve("zeta.pem"), issue("zeta", zetaKeys.publicKey(), 9,
                List.of("lab")).toPem());
        Path crlFile = dir.resolve("lab.crl");
        Files.writeString(crlFile, ca.revoke(null, List.of(java.math.BigInteger.valueOf(999_999)), now).toPem());
        NodeCertificate beta = issue("beta", key(), 2, List.of("lab"));
        NodeCertificate gamma = issue("gamma", key(), 3, List.of("ops"));

        NodeConfig running = config(zetaKeys, caFile, certFile, crlFile, List.of("lab"), List.of(), 15_000);
        Recording port = new Recording();
        OverlayNode overlay = node(running, zetaKeys, port);
        try {
            overlay.node().start();
            overlay.onPeerPresent("lab", "beta", beta);
            overlay.onPeerPresent("lab", "gamma", gamma);
            assertEquals(List.of("beta"), names(overlay), "gamma is in no allowed group");
            assertTrue(port.commands.contains("peer 1 beta"), port.commands.toString());

            Files.writeString(crlFile, ca.revoke(null, List.of(beta.serial()), now).toPem());
            PeerConfig delta = new PeerConfig("delta", StaticPublicKey.of(key()), Optional.empty(),
                    List.of(IpPrefix.parse("192.0.2.40/32")), 0, Suite.AES256GCM);
            NodeConfig next = config(zetaKeys, caFile, certFile, crlFile, List.of("lab", "ops"), List.of(delta),
                    5_000);
            new OverlayReload(overlay).apply(running, next, now);

            assertEquals(List.of("gamma"), names(overlay), "beta revoked, gamma now allowed");
            assertTrue(port.commands.contains("remove 1"), "beta's sessions and routes go: " + port.commands);
            assertTrue(port.commands.contains("peer 3 delta"), "the static peer is added: " + port.commands);
            assertTrue(port.commands.stream().anyMatch(c -> c.endsWith(" gamma")), port.commands.toString());
            assertFalse(port.commands.contains("remove 2"), "the reload's static peers leave members alone: "
                    + port.commands);
            assertEquals(5_000, overlay.iceConfig().consentTimeoutMs());

            // The same file again: nothing changes (the refused beta stays refused, gamma stays).
            int before = port.commands.size();
            new OverlayReload(overlay).apply(next, next, now);
            assertEquals(List.of("gamma"), names(overlay));
            assertEquals(before, port.commands.size(), port.commands.subList(before, port.commands.size())
                    .toString());

            // The revocation withdrawn (a list without beta): beta, still in the room, is admitted again.
            Files.writeString(crlFile, ca.revoke(null, List.of(java.math.BigInteger.valueOf(999_999)), now)
                    .toPem());
            new OverlayReload(overlay).apply(next, next, now);
            assertEquals(List.of("beta", "gamma"), names(overlay));
        } finally {
            overlay.close();
        }
    }

    private static List<String> names(OverlayNode overlay) {
        return overlay.admitted().stream().map(p -> p.name).sorted().toList();
    }

    private byte[] key() {
        return X25519Keys.publicKey(X25519Keys.generatePrivateKey(RANDOM));
    }

    private NodeCertificate issue(String name, byte[] key, int host, List<String> groups) {
        return ca.issue(name, key, List.of(IpPrefix.parse("192.0.2." + host + "/32")), groups,
                now.minusSeconds(3600), now.plus(Duration.ofDays(1)), RANDOM);
    }

    private static NodeConfig config(NoiseKeyPair keys, Path caFile, Path certFile, Path crlFile, List<String> groups,
            List<PeerConfig> peers, int consentMs) {
        SignallingConfig s = new SignallingConfig("lab", "198.51.100.200", 5222, "zeta@ipop.test",
                Path.of("/nonexistent/xmpp.password"), "lab@conference.ipop.test", SignallingConfig.TlsMode.PLAIN,
                Optional.empty(), 10_000, Optional.of(new MembershipConfig(certFile, caFile, Optional.of(crlFile),
                        groups)));
        return new NodeConfig("zeta", Path.of("/nonexistent/zeta.key"), StaticPublicKey.of(keys.publicKey()),
                new InterfaceConfig("ipopt0", List.of(IpPrefix.parse("192.0.2.9/24")), 1420, 1),
                new ListenConfig(51820, Optional.empty()), Suite.AES256GCM,
                new DataPlaneConfig(DataPlaneConfig.IdleStrategy.BACKOFF, false, false, Path.of("/nonexistent/c"), Path.of("/nonexistent/a"),
                        DataPlaneConfig.DEFAULT_DEAD_PEER_AFTER_MS),
                peers, List.of(s), new IceServersConfig(List.of(), Optional.empty(), consentMs),
                TopologyConfig.DEFAULT, MetricsConfig.OFF, LogConfig.DEFAULT);
    }

    private static OverlayNode node(NodeConfig config, NoiseKeyPair keys, DataPlanePort port) throws IOException {
        RelayingPort relays = new RelayingPort(port);
        StaticNode node = new StaticNode(config, keys, relays, Clock.system(), RANDOM);
        Membership m = Membership.load(config.signalling().get(0).membership().orElseThrow());
        return new OverlayNode(config, node, relays, port, new Signalling(Signalling.Options.defaults()),
                Map.of("lab", m), new IceConfig(List.of(), List.of(), config.ice().consentTimeoutMs()),
                List.of(new InetSocketAddress("192.0.2.9", 51820)), Clock.system());
    }

    /** What the node told the data plane, one line per command. */
    private static final class Recording implements DataPlanePort {
        final List<String> commands = new ArrayList<>();

        @Override
        public void configureInterface(int mtu, List<IpPrefix> addresses) {
            commands.add("interface");
        }

        @Override
        public void addPeer(int peerId, String name, Suite suite, int keepaliveMs, byte[] staticKey) {
            commands.add("peer " + peerId + " " + name);
        }

        @Override
        public void removePeer(int peerId) {
            commands.add("remove " + peerId);
        }

        @Override
        public void setEndpoint(int peerId, InetSocketAddress endpoint) {
            commands.add("endpoint " + peerId);
        }

        @Override
        public void setRelayedEndpoint(int peerId, InetSocketAddress turnServer, int channel,
                InetSocketAddress peerRelayed) {
            commands.add("relayed " + peerId);
        }

        @Override
        public void addRoute(IpPrefix prefix, int peerId) {
            commands.add("route " + prefix + " " + peerId);
        }

        @Override
        public void removeRoute(IpPrefix prefix) {
            commands.add("unroute " + prefix);
        }

        @Override
        public void installSession(int peerId, SessionKeys keys) {
            commands.add("session " + peerId);
        }

        @Override
        public void retireSession(int peerId, int localIndex) {
            commands.add("retire " + peerId);
        }

        @Override
        public void inject(InetSocketAddress to, byte[] bytes, int off, int len) {
            commands.add("inject " + to);
        }
    }
}
