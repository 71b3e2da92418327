package net.ipop.control.config;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

import net.ipop.crypto.Suite;
import net.ipop.crypto.cert.IpPrefix;
import org.snakeyaml.engine.v2.api.LoadSettings;
import org.snakeyaml.engine.v2.api.lowlevel.Compose;
import org.snakeyaml.engine.v2.exceptions.MarkedYamlEngineException;
import org.snakeyaml.engine.v2.exceptions.YamlEngineException;
import org.snakeyaml.engine.v2.nodes.Node;
import org.snakeyaml.engine.v2.nodes.ScalarNode;
import org.snakeyaml.engine.v2.nodes.SequenceNode;
import org.snakeyaml.engine.v2.nodes.Tag;

/**
 * Reads and validates a node configuration file (format: {@code docs/configuration.md}).
 *
 * <p>The YAML is composed into nodes (not bound to objects) so that every value keeps its line
 * and column; each section is then read with its allowed keys. Every problem is collected, and
 * the file is refused with all of them at once. Relative paths in the file are resolved against
 * the file's own directory. The private key file is read to check it; nothing else outside the
 * file is touched: no DNS lookups, no devices, no sockets.
 *
 * <p>Stateless and thread-safe.
 */
public final class NodeConfigParser {
    static final List<String> TOP_KEYS = List.of("node", "interface", "listen", "suite", "dataplane", "peers",
            "signalling", "ice", "topology", "metrics", "log");
    static final List<String> TOPOLOGY_KEYS = List.of("maxMeshSize", "successors", "downAfterMs",
            "onDemandThresholdBytes", "onDemandIntervalMs", "onDemandIdleMs");
    static final List<String> NODE_KEYS = List.of("name", "privateKeyFile");
    static final List<String> INTERFACE_KEYS = List.of("name", "addresses", "mtu", "queues");
    static final List<String> LISTEN_KEYS = List.of("port", "address");
    static final List<String> DATAPLANE_KEYS = List.of("idleStrategy", "ioUring", "offloads",
            "countersFile", "aeronDirectory", "deadPeerAfterMs");
    static final int MIN_DEAD_PEER_AFTER_MS = 1_000;
    static final int MAX_DEAD_PEER_AFTER_MS = 600_000;
    static final int MIN_MTU = 576;
    static final int MIN_MTU_IPV6 = 1280;
    static final int MAX_MTU = 9000;
    static final int MAX_QUEUES = 16;
    /** IFNAMSIZ (16, include/uapi/linux/if.h) less the terminating NUL. */
    static final int MAX_INTERFACE_NAME_BYTES = 15;
    /** Large enough for thousands of peers, small enough that a wrong file is refused quickly. */
    static final int MAX_FILE_CHARS = 4 << 20;

    private static final Pattern NODE_NAME = Pattern.compile("[a-z][a-z0-9-]{0,31}");

    private NodeConfigParser() {
    }

    /**
     * Parses and validates {@code file}.
     *
     * @throws ConfigException holding every problem found (file, line, column, key path, fix)
     */
    public static NodeConfig parse(Path file) throws ConfigException {
        Problems problems = new Problems(file);
        Node root = compose(file, problems);
        problems.throwIfAny();
        if (root == null || root instanceof ScalarNode s && s.getTag().equals(Tag.NULL)) {
            problems.wholeFile("the file holds no settings; start from docs/examples/node.yaml");
            problems.throwIfAny();
        }
        NodeConfig config = read(root, file.toAbsolutePath().getParent(), problems);
        problems.throwIfAny();
        return config;
    }

    private static Node compose(Path file, Problems problems) {
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(Files.readAllBytes(file))).toString();
        } catch (NoSuchFileException e) {
            problems.wholeFile("no such file; check the path");
            return null;
        } catch (CharacterCodingException e) {
            problems.wholeFile("not UTF-8 text; save the file as UTF-8");
            return null;
        } catch (IOException e) {
            problems.wholeFile("cannot read it (" + e.getMessage() + ")");
            return null;
        }
        if (text.length() > MAX_FILE_CHARS) {
            problems.wholeFile("larger than " + MAX_FILE_CHARS + " characters; this is not a node config file");
            return null;
        }
        LoadSettings settings = LoadSettings.builder()
                .setLabel(file.toString())
                .setMaxAliasesForCollections(20)
                .setCodePointLimit(MAX_FILE_CHARS)
                .build();
        try {
            return new Compose(settings).composeString(text).orElse(null);
        } catch (MarkedYamlEngineException e) {
            String context = e.getContext() == null ? "" : " (" + e.getContext() + e.getContextMark()
                    .map(m -> " at line " + (m.getLine() + 1)).orElse("") + ")";
            problems.at(e.getProblemMark().orElse(null), "", "not valid YAML: " + e.getProblem() + context
                    + "; check the indentation (spaces, not tabs) and quote values holding ': ' or ' #'");
            return null;
        } catch (YamlEngineException e) {
            problems.wholeFile("not valid YAML: " + e.getMessage());
            return null;
        }
    }

    private static NodeConfig read(Node root, Path base, Problems problems) {
        Section top = Section.open(root, "", problems, TOP_KEYS);
        if (top == null) {
            return null;
        }
        // node
        String name = null;
        Path keyFile = null;
        StaticPublicKey publicKey = null;
        Node nodeNode = top.require("node", "add a node: section with name and privateKeyFile");
        Section node = nodeNode == null ? null : Section.open(nodeNode, "node", problems, NODE_KEYS);
        if (node != null) {
            name = node.requireText("name", "name this node, e.g. name: alpha");
            if (name != null && !isValidNodeName(name)) {
                problems.at(node.get("name"), "node.name", nodeNameRule(name));
                name = null;
            }
            String keyFix = "give the private key file, e.g. privateKeyFile: /etc/ipop/alpha.key"
                    + " (create it with: (umask 077; ipop genkey > /etc/ipop/alpha.key))";
            if (node.require("privateKeyFile", keyFix) != null) {
                keyFile = node.path("privateKeyFile", base, null, keyFix);
            }
            if (keyFile != null) {
                try {
                    publicKey = KeyFiles.publicKeyOf(keyFile);
                } catch (IllegalArgumentException e) {
                    problems.at(node.get("privateKeyFile"), "node.privateKeyFile", e.getMessage());
                }
            }
        }
        // interface
        InterfaceConfig iface = null;
        List<Section.Located<IpPrefix>> ownAddresses = new ArrayList<>();
        Node ifNode = top.require("interface", "add an interface: section with name and addresses");
        Section ifs = ifNode == null ? null : Section.open(ifNode, "interface", problems, INTERFACE_KEYS);
        if (ifs != null) {
            iface = readInterface(ifs, ownAddresses, problems);
        }
        // listen
        ListenConfig listen = null;
        Node listenNode = top.require("listen", "add a listen: section with port: 51820 (0 lets the kernel pick)");
        Section ls = listenNode == null ? null : Section.open(listenNode, "listen", problems, LISTEN_KEYS);
        if (ls != null) {
            listen = readListen(ls, problems);
        }
        Suite suite = suite(top, Suite.AES256GCM, problems);
        // dataplane
        String ifName = iface == null ? "ipop0" : iface.name();
        DataPlaneConfig dataPlane = new DataPlaneConfig(DataPlaneConfig.IdleStrategy.POLL, true, true,
                DataPlaneConfig.defaultCountersFile(ifName),
                DataPlaneConfig.defaultAeronDirectory(ifName), DataPlaneConfig.DEFAULT_DEAD_PEER_AFTER_MS);
        Node dpNode = top.get("dataplane");
        if (dpNode != null && !isNull(dpNode)) {
            Section dp = Section.open(dpNode, "dataplane", problems, DATAPLANE_KEYS);
            if (dp != null) {
                dataPlane = readDataPlane(dp, base, ifName);
            }
        }
        // peers
        List<PeerConfig> peers = List.of();
        Node peersNode = top.get("peers");
        if (peersNode != null && !isNull(peersNode)) {
            List<Node> items = top.list("peers", "write each peer as an item '- name: ...' under peers:,"
                    + " or peers: [] for a node alone");
            if (items != null) {
                peers = new PeersParser(problems, suite, publicKey, ownAddresses).parse(items);
            }
        }
        // signalling
        List<SignallingConfig> signalling = List.of();
        Node sigNode = top.get("signalling");
        if (sigNode != null && !isNull(sigNode)) {
            List<Node> items = top.list("signalling", "write each overlay as an item '- overlay: ...' under"
                    + " signalling:, or leave it out for static peers only");
            if (items != null) {
                signalling = new SignallingParser(problems, base, name, publicKey).parse(items);
            }
        }
        // ice
        IceServersConfig ice = IceServersConfig.NONE;
        Node iceNode = top.get("ice");
        if (iceNode != null && !isNull(iceNode)) {
            Section is = Section.open(iceNode, "ice", problems, IceParser.KEYS);
            ice = is == null ? null : new IceParser(problems, base).parse(is);
            if (ice != null && sigNode == null) {
                problems.at(iceNode, "ice", "ICE servers are only used by an overlay node; add a signalling:"
                        + " section or remove ice:");
            }
        }
        if (listen != null && listen.port() == 0 && sigNode != null && !isNull(sigNode)) {
            problems.at(top.get("listen"), "listen.port", "an overlay node (signalling:) announces its port as an"
                    + " ICE candidate, so it cannot be 0; give a port, e.g. port: 51820");
        }
        TopologyConfig topology = TopologyConfig.DEFAULT;
        Node topoNode = top.get("topology");
        if (topoNode != null && !isNull(topoNode)) {
            Section t = Section.open(topoNode, "topology", problems, TOPOLOGY_KEYS);
            if (t != null) {
                topology = readTopology(t);
            }
        }
        MetricsConfig metrics = ObservabilityParser.metrics(top, problems);
        LogConfig log = ObservabilityParser.log(top, problems);
        if (name == null || publicKey == null || iface == null || listen == null || dataPlane == null
                || ice == null) {
            return null; // each of these has a problem reported
        }
        return new NodeConfig(name, keyFile, publicKey, iface, listen, suite, dataPlane, peers, signalling, ice,
                topology, metrics, log);
    }

    private static InterfaceConfig readInterface(Section s, List<Section.Located<IpPrefix>> own, Problems problems) {
        String name = s.requireText("name", "name the overlay device, e.g. name: ipop0");
        if (name != null && !isValidInterfaceName(name)) {
            problems.at(s.get("name"), "interface.name", "'" + name + "' is not a valid interface name; use 1 to "
                    + MAX_INTERFACE_NAME_BYTES + " bytes without '/', ':' or spaces, e.g. ipop0");
            name = null;
        }
        String fix = "list this node's overlay addresses with their subnet, e.g. [192.0.2.1/24]";
        List<Section.Located<IpPrefix>> addresses = s.prefixes("addresses", fix, false);
        boolean ok = s.get("addresses") != null && addresses.size() == listSize(s.get("addresses"));
        boolean ipv6 = false;
        for (int i = 0; i < addresses.size(); i++) {
            Section.Located<IpPrefix> a = addresses.get(i);
            ipv6 |= !a.value().isIpv4();
            for (int j = 0; j < i; j++) {
                if (Arrays.equals(addresses.get(j).value().address(), a.value().address())) {
                    problems.at(a.node(), a.key(), "the address " + a.value().inetAddress().getHostAddress()
                            + " is already listed as " + addresses.get(j).key() + "; list each address once");
                    ok = false;
                }
            }
            own.add(a);
        }
        int mtu = s.integer("mtu", InterfaceConfig.DEFAULT_MTU, MIN_MTU, MAX_MTU,
                "use " + MIN_MTU + " to " + MAX_MTU + " bytes, e.g. " + InterfaceConfig.DEFAULT_MTU);
        if (ipv6 && mtu < MIN_MTU_IPV6) {
            problems.at(s.get("mtu"), "interface.mtu", "IPv6 needs an MTU of at least " + MIN_MTU_IPV6
                    + " (RFC 8200); raise it to " + InterfaceConfig.DEFAULT_MTU + " or drop the IPv6 address");
        }
        int queues = s.integer("queues", InterfaceConfig.DEFAULT_QUEUES, 1, MAX_QUEUES,
                "use 1 to " + MAX_QUEUES + " (one pipeline thread each), e.g. 1");
        return name == null || !ok ? null : new InterfaceConfig(name, addresses.stream().map(Section.Located::value)
                .toList(), mtu, queues);
    }

    private static ListenConfig readListen(Section s, Problems problems) {
        String fix = "use a port from 1 to 65535, e.g. 51820, or 0 to let the kernel pick";
        Node port = s.require("port", "add port: 51820 (0 lets the kernel pick)");
        int p = s.integer("port", -1, 0, 65535, fix);
        Optional<InetAddress> address = Optional.empty();
        String a = s.optionalText("address", "write a literal address like 0.0.0.0, or leave it out");
        if (a != null) {
            InetAddress ia = Endpoints.literal(a.strip());
            if (ia == null) {
                problems.at(s.get("address"), "listen.address", Endpoints.notLiteral(a.strip(), "0.0.0.0 or ::"));
            } else {
                address = Optional.of(ia);
            }
        }
        return port == null || p < 0 ? null : new ListenConfig(p, address);
    }

    private static DataPlaneConfig readDataPlane(Section s, Path base, String ifName) {
        List<String> idle = Arrays.stream(DataPlaneConfig.IdleStrategy.values())
                .map(DataPlaneConfig.IdleStrategy::configName).toList();
        DataPlaneConfig.IdleStrategy is = DataPlaneConfig.IdleStrategy.values()[s.choice("idleStrategy", 0, idle)];
        boolean ioUring = s.bool("ioUring", true);
        boolean offloads = s.bool("offloads", true);
        Path counters = s.path("countersFile", base, DataPlaneConfig.defaultCountersFile(ifName),
                "write a file path, e.g. /run/ipop/" + ifName + ".counters");
        Path aeron = s.path("aeronDirectory", base, DataPlaneConfig.defaultAeronDirectory(ifName),
                "write a directory path, e.g. /dev/shm/ipop-" + ifName);
        int deadAfter = s.integer("deadPeerAfterMs", DataPlaneConfig.DEFAULT_DEAD_PEER_AFTER_MS,
                MIN_DEAD_PEER_AFTER_MS, MAX_DEAD_PEER_AFTER_MS, "use " + MIN_DEAD_PEER_AFTER_MS + " to "
                        + MAX_DEAD_PEER_AFTER_MS + " ms, e.g. 15000 (WireGuard's 10 s keepalive + 5 s rekey timeout)");
        return counters == null || aeron == null ? null : new DataPlaneConfig(is, ioUring, offloads, counters,
                aeron, deadAfter);
    }

    private static TopologyConfig readTopology(Section s) {
        int mesh = s.integer("maxMeshSize", TopologyConfig.DEFAULT_MAX_MESH_SIZE, 1, 1_000_000,
                "use a member count, e.g. 16: larger overlays form a ring");
        int successors = s.integer("successors", TopologyConfig.DEFAULT_SUCCESSORS, 1, 64,
                "use 1 to 64, e.g. 2");
        int down = s.integer("downAfterMs", TopologyConfig.DEFAULT_DOWN_AFTER_MS, 1_000, 600_000,
                "use 1000 to 600000 ms, e.g. 12000 (two handshake retransmissions)");
        int threshold = s.integer("onDemandThresholdBytes", (int) TopologyConfig.DEFAULT_ON_DEMAND_THRESHOLD_BYTES, 0,
                Integer.MAX_VALUE, "use 0 (no on-demand links) or bytes per interval, e.g. 1048576 (1 MiB per second"
                        + " at the default interval)");
        int interval = s.integer("onDemandIntervalMs", TopologyConfig.DEFAULT_ON_DEMAND_INTERVAL_MS, 100, 60_000,
                "use 100 to 60000 ms, e.g. 1000");
        int idle = s.integer("onDemandIdleMs", TopologyConfig.DEFAULT_ON_DEMAND_IDLE_MS, 1_000, 3_600_000,
                "use 1000 to 3600000 ms, e.g. 30000");
        if (idle < 2L * interval) {
            s.problem("onDemandIdleMs", idle + " is shorter than two intervals (onDemandIntervalMs " + interval
                    + "): an active link would be torn down between two reports; use at least " + 2 * interval);
            idle = Math.max(TopologyConfig.DEFAULT_ON_DEMAND_IDLE_MS, 2 * interval);
        }
        return new TopologyConfig(mesh, successors, down, threshold, interval, idle);
    }

    /** The {@code suite} key of {@code s}, or {@code dflt} if absent (or wrong: then reported). */
    static Suite suite(Section s, Suite dflt, Problems problems) {
        List<String> names = Arrays.stream(Suite.values()).map(Suite::configName).toList();
        Node v = s.get("suite");
        if (v == null) {
            return dflt;
        }
        String t = s.text(v, s.child("suite"), "use " + String.join(" or ", names));
        if (t == null) {
            return dflt;
        }
        try {
            return Suite.fromConfigName(t);
        } catch (IllegalArgumentException e) {
            String close = Suggestions.closest(t, names);
            problems.at(v, s.child("suite"), e.getMessage() + (close == null ? "" : " (did you mean '" + close
                    + "'?)"));
            return dflt;
        }
    }

    static boolean isValidNodeName(String name) {
        return NODE_NAME.matcher(name).matches();
    }

    static String nodeNameRule(String name) {
        return "'" + name + "' is not a valid name; use 1 to 32 characters a-z, 0-9 and '-', starting with a"
                + " letter, e.g. alpha";
    }

    /** The kernel's rule (dev_valid_name in net/core/dev.c): 1..15 bytes, not . or .., no '/', ':' or space. */
    static boolean isValidInterfaceName(String name) {
        if (name.isEmpty() || name.getBytes(StandardCharsets.UTF_8).length > MAX_INTERFACE_NAME_BYTES
                || name.equals(".") || name.equals("..")) {
            return false;
        }
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (c == '/' || c == ':' || Character.isWhitespace(c) || Character.isISOControl(c)) {
                return false;
            }
        }
        return true;
    }

    private static boolean isNull(Node n) {
        return n instanceof ScalarNode s && s.getTag().equals(Tag.NULL);
    }

    private static int listSize(Node n) {
        return n instanceof SequenceNode seq ? seq.getValue().size() : -1;
    }
}
