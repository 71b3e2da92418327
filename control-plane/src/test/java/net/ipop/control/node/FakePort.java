package net.ipop.control.node;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;

import net.ipop.crypto.Suite;
import net.ipop.crypto.cert.IpPrefix;
import net.ipop.crypto.noise.SessionKeys;

/**
 * An in-memory data plane for one node: records every command (keys copied, since the node wipes
 * them) and hands injected packets to its {@link FakeLink}.
 */
final class FakePort implements DataPlanePort {
    /** An installed session with copies of its keys. */
    record Installed(int peerId, int localIndex, int remoteIndex, boolean initiator, Suite suite, byte[] send,
                     byte[] receive) {
    }

    /** A retired session. */
    record Retired(int peerId, int localIndex) {
    }

    final List<String> commands = new ArrayList<>();
    final List<Installed> installed = new ArrayList<>();
    final List<Retired> retired = new ArrayList<>();
    final List<InetSocketAddress> endpoints = new ArrayList<>();
    /**
     * What the data plane holds per peer, kept as its conductor does: an install makes the new session current
     * and the old current previous (the old previous is dropped); retiring the previous drops it, retiring the
     * current drops both, retiring anything else is refused.
     */
    final java.util.Map<Integer, Installed> current = new java.util.HashMap<>();
    final java.util.Map<Integer, Installed> previous = new java.util.HashMap<>();
    /** RetireSession commands the data plane would refuse (no such session held). */
    int refusedRetires;
    FakeLink link;
    /** When set, injected packets (copied) go here instead of to {@link #link}: {@code (to, bytes)}. */
    java.util.function.BiConsumer<InetSocketAddress, byte[]> wire;
    InetSocketAddress address;
    int injected;

    FakePort(InetSocketAddress address) {
        this.address = address;
    }

    @Override
    public void configureInterface(int mtu, List<IpPrefix> addresses) {
        commands.add("interface " + mtu + " " + addresses);
    }

    @Override
    public void addPeer(int peerId, String name, Suite suite, int keepaliveMs, byte[] staticKey) {
        commands.add("peer " + peerId + " " + name + " " + suite + " " + keepaliveMs);
    }

    @Override
    public void removePeer(int peerId) {
        commands.add("remove " + peerId);
        current.remove(peerId);
        previous.remove(peerId);
    }

    @Override
    public void setEndpoint(int peerId, InetSocketAddress endpoint) {
        commands.add("endpoint " + peerId + " " + endpoint);
        endpoints.add(endpoint);
    }

    @Override
    public void setRelayedEndpoint(int peerId, InetSocketAddress turnServer, int channel,
            InetSocketAddress peerRelayed) {
        commands.add("relayed endpoint " + peerId + " " + peerRelayed + " via " + turnServer + " channel "
                + Integer.toHexString(channel));
        endpoints.add(peerRelayed);
    }

    @Override
    public void addRoute(IpPrefix prefix, int peerId) {
        commands.add("route " + prefix + " " + peerId);
    }

    @Override
    public void removeRoute(IpPrefix prefix) {
        commands.add("unroute " + prefix);
    }

    /** Routes by kind (a topology manager's): prefix -> next-hop peer, and (prefix, peer) source entries. */
    final java.util.Map<IpPrefix, Integer> routes = new java.util.HashMap<>();
    final java.util.Set<List<Object>> sources = new java.util.HashSet<>();

    @Override
    public void addRoute(IpPrefix prefix, int peerId, net.ipop.ipc.sbe.RouteKind kind) {
        commands.add("route " + prefix + " " + peerId + " " + kind);
        switch (kind) {
            case ROUTE_ONLY -> routes.put(prefix, peerId);
            case SOURCE_ONLY -> sources.add(List.of(prefix, peerId));
            default -> addRoute(prefix, peerId);
        }
    }

    @Override
    public void removeRoute(IpPrefix prefix, net.ipop.ipc.sbe.RouteKind kind, int peerId) {
        commands.add("unroute " + prefix + " " + kind + " " + peerId);
        if (kind == net.ipop.ipc.sbe.RouteKind.SOURCE_ONLY) {
            sources.remove(List.of(prefix, peerId));
        } else {
            routes.remove(prefix);
        }
    }

    @Override
    public void setTrafficReport(long thresholdBytes, int intervalMs) {
        commands.add("traffic report " + thresholdBytes + " " + intervalMs);
    }

    @Override
    public void installSession(int peerId, SessionKeys keys) {
        Installed s = new Installed(peerId, keys.localIndex(), keys.remoteIndex(), keys.initiator(), keys.suite(),
                keys.sendKey().clone(), keys.receiveKey().clone());
        installed.add(s);
        Installed old = current.put(peerId, s);
        if (old == null) {
            previous.remove(peerId);
        } else {
            previous.put(peerId, old);
        }
    }

    @Override
    public void retireSession(int peerId, int localIndex) {
        retired.add(new Retired(peerId, localIndex));
        Installed p = previous.get(peerId);
        Installed c = current.get(peerId);
        if (p != null && p.localIndex() == localIndex) {
            previous.remove(peerId);
        } else if (c != null && c.localIndex() == localIndex) {
            current.remove(peerId);
            previous.remove(peerId);
        } else {
            refusedRetires++;
        }
    }

    @Override
    public void inject(InetSocketAddress to, byte[] bytes, int off, int len) {
        injected++;
        if (wire != null) {
            wire.accept(to, java.util.Arrays.copyOfRange(bytes, off, off + len));
        } else {
            link.send(this, to, bytes, off, len);
        }
    }

    /** The data plane's SessionWatch expired a session: it left the table (a current one takes the previous). */
    void expired(int peerId, int localIndex) {
        Installed p = previous.get(peerId);
        Installed c = current.get(peerId);
        if (p != null && p.localIndex() == localIndex) {
            previous.remove(peerId);
        } else if (c != null && c.localIndex() == localIndex) {
            current.remove(peerId);
            previous.remove(peerId);
        }
    }

    Installed last() {
        return installed.get(installed.size() - 1);
    }
}
