package net.ipop.control.node;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;

import net.ipop.control.config.NodeConfig;
import net.ipop.control.config.PeerConfig;
import net.ipop.control.status.NodeSnapshot;
import net.ipop.control.status.PeerPath;
import net.ipop.control.status.PeerSnapshot;
import net.ipop.crypto.cert.IpPrefix;

/** Builds the {@link NodeSnapshot} of a {@link StaticNode}, on the node's thread. */
final class NodeStatus {
    private static final InetAddress ANY = InetAddress.ofLiteral("0.0.0.0");

    private NodeStatus() {
    }

    /**
     * The node's state now. Clock times become wall-clock times through the pair ({@code nowNanos},
     * {@code nowEpochMs}) read together.
     */
    static NodeSnapshot snapshot(NodeConfig config, StaticPeer[] peers, long nowNanos, long nowEpochMs) {
        return snapshot(config, peers, null, nowNanos, nowEpochMs);
    }

    /** As above, with the paths {@code links} (the topology, or null) plans: a forwarded peer names its relay. */
    static NodeSnapshot snapshot(NodeConfig config, StaticPeer[] peers, LinkPolicy links, long nowNanos,
                                 long nowEpochMs) {
        List<PeerSnapshot> list = new ArrayList<>(peers.length);
        for (StaticPeer p : peers) {
            if (p == null) {
                // An empty slot: ids are never reused, so a peer removed at run time leaves one.
                continue;
            }
            PeerConfig pc = p.config;
            Session newest = p.newest();
            InetSocketAddress endpoint = p.endpoint;
            String via = null;
            if (links != null) {
                int hop = links.nextHop(p.id);
                if (hop != p.id) {
                    for (StaticPeer q : peers) {
                        if (q != null && q.id == hop) {
                            via = q.config.name();
                        }
                    }
                }
            }
            PeerPath path = via != null ? PeerPath.FORWARDED
                    : endpoint == null ? PeerPath.NONE
                    : p.relayed ? PeerPath.RELAYED : PeerPath.DIRECT;
            list.add(new PeerSnapshot(p.id, pc.name(), pc.publicKey().toString(), strings(pc.allowedAddresses()),
                    endpoint == null ? null : hostPort(endpoint), path,
                    via, p.handshaken ? wall(p.lastHandshakeNanos, nowNanos, nowEpochMs) : PeerSnapshot.NEVER,
                    p.rttNanos < 0 ? PeerSnapshot.NOT_MEASURED : p.rttNanos / 1_000,
                    newest == null ? PeerSnapshot.NEVER : wall(newest.createdNanos(), nowNanos, nowEpochMs)));
        }
        return new NodeSnapshot(config.name(), config.iface().name(), strings(config.iface().addresses()),
                config.publicKey().toString(),
                hostPort(new InetSocketAddress(config.listen().address().orElse(ANY), config.listen().port())), list,
                nowEpochMs);
    }

    private static long wall(long eventNanos, long nowNanos, long nowEpochMs) {
        return nowEpochMs - (nowNanos - eventNanos) / 1_000_000;
    }

    private static List<String> strings(List<IpPrefix> prefixes) {
        List<String> out = new ArrayList<>(prefixes.size());
        for (IpPrefix p : prefixes) {
            out.add(p.toString());
        }
        return out;
    }

    static String hostPort(InetSocketAddress a) {
        String host = a.getAddress() == null ? a.getHostString() : a.getAddress().getHostAddress();
        return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + a.getPort();
    }
}
