package net.ipop.control.config;

import java.nio.file.Path;
import java.util.List;

import net.ipop.crypto.Suite;

/**
 * A node (static peers, and overlays found through signalling), as {@code node.yaml} describes it; validated as a whole by
 * {@link NodeConfigParser}. The private key itself is not held here: {@code privateKeyFile} was
 * checked (owner-only, a valid key) and is read again by whoever starts the node, so the secret
 * does not live on in an immutable object.
 *
 * @param name           the node's name
 * @param privateKeyFile absolute path of the X25519 private key file
 * @param publicKey      the public key of that private key
 * @param iface          the overlay interface
 * @param listen         the UDP listening socket
 * @param suite          the default cipher suite for peers that do not name one
 * @param dataPlane      data plane tuning
 * @param peers          the static peers, in file order; may be empty (a node alone)
 * @param signalling     the overlays joined through XMPP signalling servers, one account each; empty for a
 *                       node with static peers only
 * @param ice            the STUN and TURN servers of an overlay node ({@link IceServersConfig#NONE} without
 *                       an {@code ice:} section)
 * @param topology       how the members are linked (full mesh or ring); the same on every node of an overlay
 * @param metrics        the Prometheus endpoint, off unless configured
 * @param log            log levels, per component
 */
public record NodeConfig(String name, Path privateKeyFile, StaticPublicKey publicKey, InterfaceConfig iface,
                         ListenConfig listen, Suite suite, DataPlaneConfig dataPlane, List<PeerConfig> peers,
                         List<SignallingConfig> signalling, IceServersConfig ice, TopologyConfig topology,
                         MetricsConfig metrics, LogConfig log) {
    public NodeConfig {
        peers = List.copyOf(peers);
        signalling = List.copyOf(signalling);
        java.util.Objects.requireNonNull(ice, "ice");
    }

    /** Whether the node finds peers through signalling (an overlay node), besides its static peers. */
    public boolean overlayMode() {
        return !signalling.isEmpty();
    }

    /** A node without ICE servers, with the default topology, no metrics endpoint and default log levels. */
    public NodeConfig(String name, Path privateKeyFile, StaticPublicKey publicKey, InterfaceConfig iface,
                      ListenConfig listen, Suite suite, DataPlaneConfig dataPlane, List<PeerConfig> peers,
                      List<SignallingConfig> signalling) {
        this(name, privateKeyFile, publicKey, iface, listen, suite, dataPlane, peers, signalling,
                IceServersConfig.NONE, TopologyConfig.DEFAULT, MetricsConfig.OFF, LogConfig.DEFAULT);
    }

    /** A node with static peers only, no signalling. */
    public NodeConfig(String name, Path privateKeyFile, StaticPublicKey publicKey, InterfaceConfig iface,
                      ListenConfig listen, Suite suite, DataPlaneConfig dataPlane, List<PeerConfig> peers) {
        this(name, privateKeyFile, publicKey, iface, listen, suite, dataPlane, peers, List.of());
    }
}
