package net.ipop.control.overlay;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

import net.ipop.control.config.TopologyConfig;
import net.ipop.control.node.DataPlanePort;
import net.ipop.control.node.LinkPolicy;
import net.ipop.control.topology.Plan;
import net.ipop.control.topology.TopologyManager;
import net.ipop.crypto.cert.IpPrefix;

/**
 * The overlay node's {@link LinkPolicy}: one {@link TopologyManager} per overlay plans that overlay's admitted
 * members (full mesh up to {@code topology.maxMeshSize}, above it a ring with chords and forwarding), and the
 * node's static peers stay linked and routed as in a node without topology (WireGuard's allowed addresses). The
 * plans are per overlay because each overlay's members plan over the same member set only among themselves.
 *
 * <p>Which members get an ICE session follows the plan: {@link #follow} tells the node to link the members the
 * plan now wants (the offerer offers) and to unlink those it no longer wants (the ICE session is closed; the
 * member is reached through its next hop). A member the plan holds as down stays wanted while the plan over all
 * members would link to it, so the node keeps probing it with ICE and handshakes, and it is planned back in when a
 * session with it is installed again.
 *
 * <p>Threading: the node's thread only. Times are the node's clock nanoseconds.
 */
final class OverlayTopology implements LinkPolicy {
    private final String self;
    private final DataPlanePort port;
    private final Map<String, TopologyManager> byOverlay = new LinkedHashMap<>();
    /** The manager of each admitted member, by data-plane peer id. */
    private final Map<Integer, TopologyManager> byPeer = new HashMap<>();
    /** Static peers: always linked, their allowed addresses routed to them. */
    private final Map<Integer, List<IpPrefix>> staticPeers = new LinkedHashMap<>();
    private boolean started;

    /**
     * @param config    the topology settings (the same on every member of the overlays)
     * @param publicKey this node's static public key (its member id is derived from it as on every node)
     * @param port      the data plane as the node's handshakes see it
     * @param overlays  the names of the overlays this node joins
     */
    OverlayTopology(TopologyConfig config, byte[] publicKey, DataPlanePort port, Collection<String> overlays) {
        this.self = TopologyManager.memberId(publicKey);
        this.port = port;
        for (String o : overlays) {
            byOverlay.put(o, new TopologyManager(config, self, port));
        }
    }

    /** A static peer of the configuration (linked to, its prefixes routed to it); call before {@link #start}. */
    void staticPeer(int peerId, List<IpPrefix> prefixes) {
        staticPeers.put(peerId, List.copyOf(prefixes));
    }

    /**
     * An admitted member of {@code overlay}, already added to the node (and the data plane): it is planned in at
     * the next duty cycle, which installs its routes and source entries.
     *
     * @throws IllegalArgumentException if the overlay is unknown, the key is this node's, or another member of
     *                                  the overlay has the key
     */
    void admit(String overlay, int peerId, byte[] publicKey, List<IpPrefix> prefixes, long nowNanos) {
        TopologyManager m = byOverlay.get(overlay);
        if (m == null) {
            throw new IllegalArgumentException("no overlay " + overlay);
        }
        m.addMember(peerId, TopologyManager.memberId(publicKey), prefixes, nowNanos);
        byPeer.put(peerId, m);
    }

    /**
     * A member left and the node removed it (the data plane dropped it with its routes, and with the routes of
     * the members forwarded through it): it is planned around at the next duty cycle.
     */
    void leave(int peerId, long nowNanos) {
        TopologyManager m = byPeer.remove(peerId);
        if (m != null) {
            m.memberRemoved(peerId, nowNanos);
        }
    }

    /**
     * Makes each peer's ICE session follow the plan: a peer the plan now wants is linked ({@code link}), one it
     * no longer wants unlinked ({@code unlink}); {@link OverlayPeer#linked} records what was done. A peer with ICE
     * work under way is left for a later call. Returns the number of changes.
     */
    int follow(Collection<OverlayPeer> peers, Consumer<OverlayPeer> link, Consumer<OverlayPeer> unlink) {
        int changes = 0;
        for (OverlayPeer p : peers) {
            boolean wanted = wantsLink(p.peerId);
            if (wanted != p.linked && !p.busy && !p.gone) {
                p.linked = wanted;
                (wanted ? link : unlink).accept(p);
                changes++;
            }
        }
        return changes;
    }

    /**
     * Whether this end offers the ICE session with {@code p}: the steady-state offerer ({@link OverlayPeer#offerer}),
     * or the end that wants an on-demand link (requested, or up and to be restarted) to a member whose plan does
     * not link to it. That member never offers such a link itself, so waiting for its offer would let the request
     * run out after {@code downAfterMs} whenever the requester has the greater node name.
     */
    boolean offers(OverlayPeer p) {
        if (p.offerer) {
            return true;
        }
        TopologyManager m = byPeer.get(p.peerId);
        String state = m == null ? null : m.onDemandState(p.peerId);
        return "REQUESTED".equals(state) || "DIRECT".equals(state);
    }

    /** The current plan of {@code overlay} ({@code null} before {@link #start} or for an unknown overlay). */
    Plan plan(String overlay) {
        TopologyManager m = byOverlay.get(overlay);
        return m == null ? null : m.plan();
    }

    @Override
    public void start(long nowNanos) {
        started = true;
        for (Map.Entry<Integer, List<IpPrefix>> e : staticPeers.entrySet()) {
            routeStatic(e.getKey(), e.getValue());
        }
        for (TopologyManager m : byOverlay.values()) {
            m.start(nowNanos);
        }
    }

    private void routeStatic(int peerId, List<IpPrefix> prefixes) {
        for (IpPrefix prefix : prefixes) {
            port.addRoute(prefix.network(), peerId);
        }
    }

    @Override
    public boolean wantsLink(int peerId) {
        TopologyManager m = byPeer.get(peerId);
        return m == null ? staticPeers.containsKey(peerId) : m.wantsLink(peerId);
    }

    @Override
    public void sessionInstalled(int peerId, long nowNanos) {
        TopologyManager m = byPeer.get(peerId);
        if (m != null) {
            m.sessionInstalled(peerId, nowNanos);
        }
    }

    @Override
    public void rekeyDue(int peerId, long nowNanos) {
        TopologyManager m = byPeer.get(peerId);
        if (m != null) {
            m.rekeyDue(peerId, nowNanos);
        }
    }

    /** Only static peers change this way (a reload); overlay members come through {@link #admit}. */
    @Override
    public void memberChanged(int peerId, byte[] publicKey, List<IpPrefix> prefixes, long nowNanos) {
        TopologyManager m = byPeer.get(peerId);
        if (m != null) {
            m.memberChanged(peerId, publicKey, prefixes, nowNanos);
            return;
        }
        List<IpPrefix> old = staticPeers.put(peerId, List.copyOf(prefixes));
        if (started) {
            List<IpPrefix> gone = new ArrayList<>(old == null ? List.of() : old);
            gone.removeAll(prefixes);
            for (IpPrefix prefix : gone) {
                port.removeRoute(prefix.network());
            }
            routeStatic(peerId, prefixes);
        }
    }

    @Override
    public void memberRemoved(int peerId, long nowNanos) {
        if (staticPeers.remove(peerId) == null) {
            leave(peerId, nowNanos);
        }
    }

    @Override
    public int nextHop(int peerId) {
        TopologyManager m = byPeer.get(peerId);
        return m == null ? peerId : m.nextHop(peerId);
    }

    @Override
    public void linkDown(int peerId, long nowNanos) {
        TopologyManager m = byPeer.get(peerId);
        if (m != null) {
            m.linkDown(peerId, nowNanos);
        }
    }

    /** Passed to the manager of the overlay the next hop belongs to: its plan routed the prefix there. */
    @Override
    public void trafficReport(IpPrefix prefix, int viaPeerId, long bytes, int intervalMs, long nowNanos) {
        TopologyManager m = byPeer.get(viaPeerId);
        if (m != null) {
            m.trafficReport(prefix, viaPeerId, bytes, intervalMs, nowNanos);
        }
    }

    @Override
    public void sessionsGone(int peerId, long nowNanos) {
        TopologyManager m = byPeer.get(peerId);
        if (m != null) {
            m.sessionsGone(peerId, nowNanos);
        }
    }

    @Override
    public boolean retireSessions(int peerId) {
        TopologyManager m = byPeer.get(peerId);
        return m != null && m.retireSessions(peerId);
    }

    @Override
    public int doWork(long nowNanos) {
        int work = 0;
        for (TopologyManager m : byOverlay.values()) {
            work += m.doWork(nowNanos);
        }
        return work;
    }
}
