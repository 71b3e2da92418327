package net.ipop.control.config;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import net.ipop.crypto.Suite;
import net.ipop.crypto.cert.IpPrefix;
import net.ipop.crypto.cert.X25519Keys;
import org.snakeyaml.engine.v2.nodes.Node;
import org.snakeyaml.engine.v2.nodes.SequenceNode;

/**
 * The {@code peers} list: each peer on its own, then the rules across peers (unique names and
 * keys, allowed addresses that route to exactly one peer and never hold our own address).
 */
final class PeersParser {
    static final List<String> KEYS = List.of("name", "publicKey", "endpoint", "allowedAddresses",
            "keepaliveIntervalMs", "suite");
    static final int MIN_KEEPALIVE_MS = 1_000;
    /** WireGuard's limit: a 16-bit count of seconds. */
    static final int MAX_KEEPALIVE_MS = 65_535_000;

    private final Problems problems;
    private final Suite nodeSuite;
    private final StaticPublicKey ownKey;
    private final List<Section.Located<IpPrefix>> ownAddresses;

    private final Map<String, Section.Located<String>> names = new HashMap<>();
    private final Map<StaticPublicKey, Section.Located<String>> keys = new HashMap<>();
    private final List<Section.Located<IpPrefix>> allowed = new ArrayList<>();
    private final List<String> allowedOwner = new ArrayList<>();

    /**
     * @param ownKey       our public key, or null if the key file could not be checked
     * @param ownAddresses our interface addresses that parsed
     */
    PeersParser(Problems problems, Suite nodeSuite, StaticPublicKey ownKey,
                List<Section.Located<IpPrefix>> ownAddresses) {
        this.problems = problems;
        this.nodeSuite = nodeSuite;
        this.ownKey = ownKey;
        this.ownAddresses = ownAddresses;
    }

    /** Parses the elements of {@code peers}; returns the peers without problems, in order. */
    List<PeerConfig> parse(List<Node> items) {
        List<PeerConfig> peers = new ArrayList<>();
        for (int i = 0; i < items.size(); i++) {
            PeerConfig p = peer(items.get(i), Section.element("peers", i));
            if (p != null) {
                peers.add(p);
            }
        }
        return peers;
    }

    private PeerConfig peer(Node item, String path) {
        Section s = Section.open(item, path, problems, KEYS);
        if (s == null) {
            return null;
        }
        String name = s.requireText("name", "give the peer a name, e.g. name: beta");
        if (name != null) {
            if (!NodeConfigParser.isValidNodeName(name)) {
                problems.at(s.get("name"), s.child("name"), NodeConfigParser.nodeNameRule(name));
                name = null;
            } else {
                unique(names, name, new Section.Located<>(name, s.get("name"), s.child("name")),
                        "peer name '" + name + "'", "give each peer its own name");
            }
        }
        StaticPublicKey key = publicKey(s);
        Optional<InetSocketAddress> endpoint = Optional.empty();
        String ep = s.optionalText("endpoint", "write it like 198.51.100.2:51820, or leave it out");
        if (ep != null) {
            try {
                endpoint = Optional.of(Endpoints.parse(ep.strip()));
            } catch (IllegalArgumentException e) {
                problems.at(s.get("endpoint"), s.child("endpoint"), e.getMessage());
            }
        }
        List<IpPrefix> prefixes = allowedAddresses(s, path, name);
        int keepalive = s.integer("keepaliveIntervalMs", 0, 0, MAX_KEEPALIVE_MS,
                "use 0 (off) or " + MIN_KEEPALIVE_MS + " to " + MAX_KEEPALIVE_MS + " ms, e.g. 25000");
        if (keepalive > 0 && keepalive < MIN_KEEPALIVE_MS) {
            problems.at(s.get("keepaliveIntervalMs"), s.child("keepaliveIntervalMs"), keepalive
                    + " ms is too often; use 0 (off) or " + MIN_KEEPALIVE_MS + " to " + MAX_KEEPALIVE_MS
                    + " ms, e.g. 25000 (the unit is milliseconds)");
        }
        Suite suite = NodeConfigParser.suite(s, nodeSuite, problems);
        if (name == null || key == null || prefixes == null) {
            return null;
        }
        return new PeerConfig(name, key, endpoint, prefixes, keepalive, suite);
    }

    private StaticPublicKey publicKey(Section s) {
        String fix = "write the peer's key as 'ipop pubkey' (or 'wg pubkey') prints it";
        String text = s.requireText("publicKey", fix);
        if (text == null) {
            return null;
        }
        StaticPublicKey key;
        try {
            key = StaticPublicKey.of(X25519Keys.fromBase64(text, "'" + text + "'"));
        } catch (IllegalArgumentException e) {
            problems.at(s.get("publicKey"), s.child("publicKey"), e.getMessage());
            return null;
        }
        if (key.equals(ownKey)) {
            problems.at(s.get("publicKey"), s.child("publicKey"), "this is our own public key (of"
                    + " node.privateKeyFile); put the peer's key here: run 'ipop pubkey < its.key' on the peer");
            return null;
        }
        unique(keys, key, new Section.Located<>(text, s.get("publicKey"), s.child("publicKey")), "this public key",
                "each peer has its own key; remove the duplicate peer or fix its key");
        return key;
    }

    private List<IpPrefix> allowedAddresses(Section s, String path, String name) {
        String fix = "list the peer's overlay addresses, e.g. [192.0.2.2/32]";
        List<Section.Located<IpPrefix>> list = s.prefixes("allowedAddresses", fix, true);
        // Prefixes that parsed are still checked against the others when a sibling did not.
        boolean ok = s.get("allowedAddresses") != null && list.size() == countItems(s);
        List<IpPrefix> out = new ArrayList<>();
        for (Section.Located<IpPrefix> a : list) {
            IpPrefix p = a.value();
            if (!p.equals(p.network())) {
                problems.at(a.node(), a.key(), p + " has host bits set; write the network " + p.network()
                        + ", or a single address as " + hostPrefix(p));
                ok = false;
                continue;
            }
            ok &= checkAgainstOwn(a) & checkAgainstOtherPeers(a, path, name);
            allowed.add(a);
            allowedOwner.add(path + (name == null ? "" : " '" + name + "'"));
            out.add(p);
        }
        return ok ? out : null;
    }

    private static int countItems(Section s) {
        return s.get("allowedAddresses") instanceof SequenceNode seq
                ? seq.getValue().size() : -1;
    }

    private boolean checkAgainstOwn(Section.Located<IpPrefix> a) {
        for (Section.Located<IpPrefix> own : ownAddresses) {
            IpPrefix host = hostOf(own.value());
            if (a.value().contains(host)) {
                problems.at(a.node(), a.key(), a.value() + " holds this node's own address "
                        + host.inetAddress().getHostAddress() + " (" + own.key() + "); traffic to ourselves would"
                        + " go to the peer: narrow it to the peer's addresses, e.g. a /"
                        + (host.isIpv4() ? 32 : 128));
                return false;
            }
        }
        return true;
    }

    private boolean checkAgainstOtherPeers(Section.Located<IpPrefix> a, String path, String name) {
        for (int i = 0; i < allowed.size(); i++) {
            Section.Located<IpPrefix> b = allowed.get(i);
            if (b.key().startsWith(path + ".")) {
                continue; // the same peer may list nested prefixes; routing still picks this peer
            }
            if (a.value().contains(b.value()) || b.value().contains(a.value())) {
                problems.at(a.node(), a.key(), a.value() + " overlaps " + b.value() + " of " + allowedOwner.get(i)
                        + " (line " + Problems.line(b.node()) + "); an address must route to one peer:"
                        + " narrow one of them");
                return false;
            }
        }
        return true;
    }

    private <K> void unique(Map<K, Section.Located<String>> seen, K k, Section.Located<String> at, String what,
                            String fix) {
        Section.Located<String> first = seen.putIfAbsent(k, at);
        if (first != null) {
            problems.at(at.node(), at.key(), what + " is already used by " + first.key() + " (line "
                    + Problems.line(first.node()) + "); " + fix);
        }
    }

    private static IpPrefix hostOf(IpPrefix p) {
        return IpPrefix.of(p.address(), p.isIpv4() ? 32 : 128);
    }

    private static String hostPrefix(IpPrefix p) {
        return hostOf(p).toString();
    }
}
