package net.ipop.control.topology;

import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.function.IntFunction;
import java.util.function.IntUnaryOperator;
import java.util.Map;
import java.util.Set;

import net.ipop.control.config.NodeConfig;
import net.ipop.control.config.PeerConfig;
import net.ipop.control.config.TopologyConfig;
import net.ipop.control.node.DataPlanePort;
import net.ipop.control.node.LinkPolicy;
import net.ipop.crypto.cert.IpPrefix;
import net.ipop.ipc.sbe.RouteKind;

/**
 * Keeps the overlay's members, their liveness and the current {@link Plan}, and makes the data plane follow it:
 * each live member's prefixes are routed (ROUTE_ONLY) to the plan's next hop and accepted as inner sources
 * (SOURCE_ONLY) from exactly the neighbours the plan's paths deliver them through. Changes go out as
 * differences against what was installed, new source entries before route changes before removals, so a
 * re-plan drops as little as it can.
 *
 * <p>Membership comes from whoever drives the node: {@link #forStaticPeers} takes the configuration's peers;
 * the overlay calls {@link #addMember} and {@link #removeMember} as presence comes and goes. Member ids must be
 * the same on every node (the base64 public key: see {@link #memberId}).
 *
 * <p>Liveness: a member the plan links to is <em>suspect</em> from the moment a handshake with it is wanted (at
 * start, when the link is new, when the data plane sends REKEY_DUE, which it also does when it declares the
 * peer down) until a session with it is installed. A member suspect for {@code topology.downAfterMs} is
 * <em>down</em>: the plan is recomputed without it. It comes back with its next installed session. Handshakes
 * continue with every down member ({@link #wantsLink}), so a member that returns is found again even if it only
 * answers (one that is back and not planned in lets its session expire).
 *
 * <p>On-demand links ({@code topology.onDemandThresholdBytes} above 0): the data plane reports routes that carry
 * more than the threshold per interval ({@link #trafficReport}); a member reached through forwarding that gets
 * such traffic is linked directly as well, and unlinked again when idle. {@link OnDemandLinks} decides; this class
 * puts its routes and source entries over the plan's.
 *
 * <p>Threading: the node's thread only. Re-planning happens in {@link #doWork} (several changes in one duty cycle
 * cost one plan).
 */
public final class TopologyManager implements LinkPolicy {
    private static final Logger LOG = System.getLogger(TopologyManager.class.getName());

    private final TopologyPlanner planner;
    private final long downAfterNanos;
    private final String self;
    private final DataPlanePort port;
    private final Logger logger;
    /** By data-plane peer id. */
    private final Map<Integer, Member> members = new LinkedHashMap<>();
    private final Map<String, Member> byId = new HashMap<>();
    /** What the data plane holds: prefix -> next-hop peer id, and (prefix, peer id) source entries. */
    private final Map<IpPrefix, Integer> installedRoutes = new HashMap<>();
    private final Set<SourceEntry> installedSources = new HashSet<>();
    private Set<Integer> wanted = Set.of();
    private Plan plan;
    /** Direct links beyond the plan for busy forwarded destinations, and their far ends. */
    private final OnDemandLinks onDemand;
    /** A member's id by peer id, for on-demand log lines (made once: doWork runs every duty cycle). */
    private final IntFunction<String> memberName = peerId -> {
        Member m = members.get(peerId);
        return m == null ? String.valueOf(peerId) : m.id;
    };
    private boolean dirty = true;
    private boolean started;
    private long replans;

    /** One member: its data-plane peer id, stable id, prefixes and liveness. */
    private static final class Member {
        final int peerId;
        final String id;
        final List<IpPrefix> prefixes;
        boolean down;
        /** When a wanted handshake began without a session since; -1 when not suspect. */
        long suspectSinceNanos = -1;

        Member(int peerId, String id, List<IpPrefix> prefixes) {
            this.peerId = peerId;
            this.id = id;
            this.prefixes = prefixes;
        }
    }

    private record SourceEntry(IpPrefix prefix, int peerId) {
    }

    /**
     * @param config the topology settings (the same on every node of the overlay)
     * @param self   this node's member id
     * @param port   the data plane
     */
    public TopologyManager(TopologyConfig config, String self, DataPlanePort port) {
        this(config, self, port, LOG);
    }

    TopologyManager(TopologyConfig config, String self, DataPlanePort port, Logger logger) {
        this.planner = new TopologyPlanner(config.maxMeshSize(), config.successors());
        this.downAfterNanos = config.downAfterMs() * 1_000_000L;
        this.self = self;
        this.port = port;
        this.logger = logger;
        this.onDemand = new OnDemandLinks(config, logger);
    }

    /**
     * A manager over a static node's configured peers, with the peer ids {@code StaticNode} gives them
     * ({@code index + 1} in file order). Each peer's allowed addresses are its own prefixes: in a planned overlay
     * a peer lists only its own addresses, never those of nodes behind it (the plan finds those paths).
     */
    public static TopologyManager forStaticPeers(NodeConfig config, DataPlanePort port) {
        return forStaticPeers(config, port, index -> index + 1);
    }

    /** As {@link #forStaticPeers(NodeConfig, DataPlanePort)}, with the data plane's peer id of each config index. */
    public static TopologyManager forStaticPeers(NodeConfig config, DataPlanePort port, IntUnaryOperator idOfIndex) {
        TopologyManager m = new TopologyManager(config.topology(), memberId(config.publicKey().bytes()), port);
        List<PeerConfig> peers = config.peers();
        for (int i = 0; i < peers.size(); i++) {
            PeerConfig pc = peers.get(i);
            m.addMember(idOfIndex.applyAsInt(i), memberId(pc.publicKey().bytes()), pc.allowedAddresses(), 0);
        }
        return m;
    }

    /** A member's id: its static public key in base64, the same on every node. */
    public static String memberId(byte[] publicKey) {
        return Base64.getEncoder().encodeToString(publicKey);
    }

    /**
     * A member joins (or its prefixes change). The data plane must already know {@code peerId} (AddPeer).
     *
     * @throws IllegalArgumentException if the id is this node's, or another peer already has it
     */
    public void addMember(int peerId, String id, List<IpPrefix> prefixes, long nowNanos) {
        if (id.equals(self)) {
            throw new IllegalArgumentException("member " + id + " is this node");
        }
        Member existing = byId.get(id);
        if (existing != null && existing.peerId != peerId) {
            throw new IllegalArgumentException("member " + id + " is already peer " + existing.peerId);
        }
        removeQuietly(peerId);
        List<IpPrefix> networks = new ArrayList<>();
        for (IpPrefix p : prefixes) {
            networks.add(p.network());
        }
        Member m = new Member(peerId, id, List.copyOf(networks));
        members.put(peerId, m);
        byId.put(id, m);
        dirty = true;
    }

    /** A member leaves: it is planned around and its routes and source entries go at the next duty cycle. */
    public void removeMember(int peerId, long nowNanos) {
        if (removeQuietly(peerId)) {
            dirty = true;
        }
    }

    @Override
    public int nextHop(int peerId) {
        if (onDemand.direct(peerId)) {
            return peerId;
        }
        Member m = members.get(peerId);
        String hop = m == null || plan == null ? null : plan.nextHop().get(m.id);
        Member h = hop == null ? null : byId.get(hop);
        return h == null ? peerId : h.peerId;
    }

    @Override
    public void memberChanged(int peerId, byte[] publicKey, List<IpPrefix> prefixes, long nowNanos) {
        addMember(peerId, memberId(publicKey), prefixes, nowNanos);
    }

    @Override
    public void memberRemoved(int peerId, long nowNanos) {
        // The data plane dropped the peer with its routes: forget what we installed for it, then re-plan.
        installedRoutes.values().removeIf(id -> id == peerId);
        installedSources.removeIf(e -> e.peerId() == peerId);
        removeMember(peerId, nowNanos);
    }

    private boolean removeQuietly(int peerId) {
        onDemand.forget(peerId);
        Member m = members.remove(peerId);
        if (m != null) {
            byId.remove(m.id);
        }
        return m != null;
    }

    @Override
    public void start(long nowNanos) {
        // After a data plane (re)start nothing is installed there; everything goes out again.
        installedRoutes.clear();
        installedSources.clear();
        onDemand.clear();
        if (onDemand.enabled()) {
            port.setTrafficReport(onDemand.thresholdBytes(), onDemand.intervalMs());
        }
        started = true;
        dirty = true;
        replan(nowNanos);
        for (Member m : members.values()) {
            if (wanted.contains(m.peerId) && !m.down) {
                m.suspectSinceNanos = nowNanos;
            }
        }
    }

    @Override
    public boolean wantsLink(int peerId) {
        return wanted.contains(peerId) || onDemand.wants(peerId);
    }

    @Override
    public void sessionInstalled(int peerId, long nowNanos) {
        Member m = members.get(peerId);
        if (m == null) {
            return;
        }
        m.suspectSinceNanos = -1;
        if (m.down) {
            m.down = false;
            logger.log(Level.INFO, "member {0} (peer {1}) is back", m.id, m.peerId);
            dirty = true;
            if (started) {
                // Now, not at the next duty cycle: the node sends its handshake response after this call, and
                // the member's first data packet must find its source entry installed.
                replan(nowNanos);
            }
        }
        if (!m.down && onDemand.sessionInstalled(peerId, m.id, wanted.contains(peerId), nowNanos) && started
                && plan != null) {
            // Now as well: an answerer's source entry must be there before the response leaves.
            apply(plan);
        }
    }

    @Override
    public void trafficReport(IpPrefix prefix, int viaPeerId, long bytes, int intervalMs, long nowNanos) {
        Member m = owner(prefix);
        if (m != null && !m.down && onDemand.traffic(m.peerId, m.id, wanted.contains(m.peerId), bytes, nowNanos)
                && started && plan != null) {
            apply(plan);
        }
    }

    @Override
    public void sessionsGone(int peerId, long nowNanos) {
        if (onDemand.sessionsGone(peerId, nowNanos) && started && plan != null) {
            apply(plan);
        }
    }

    @Override
    public boolean retireSessions(int peerId) {
        return onDemand.takeRetire(peerId);
    }

    /** The member one of whose prefixes is exactly {@code prefix}, or {@code null}. */
    private Member owner(IpPrefix prefix) {
        IpPrefix network = prefix.network();
        for (Member m : members.values()) {
            if (m.prefixes.contains(network)) {
                return m;
            }
        }
        return null;
    }

    @Override
    public void rekeyDue(int peerId, long nowNanos) {
        Member m = members.get(peerId);
        if (m != null && !m.down && wanted.contains(peerId) && m.suspectSinceNanos < 0) {
            m.suspectSinceNanos = nowNanos;
        }
    }

    /** Down at once (not after {@code downAfterMs}): the overlay tried every path it has, the relay included. */
    @Override
    public void linkDown(int peerId, long nowNanos) {
        Member m = members.get(peerId);
        if (m != null && !m.down && wanted.contains(peerId)) {
            m.down = true;
            m.suspectSinceNanos = -1;
            logger.log(Level.WARNING, "member {0} (peer {1}) has no path (ICE restart failed): planning around it",
                    m.id, m.peerId);
            dirty = true;
        }
    }

    @Override
    public int doWork(long nowNanos) {
        int work = 0;
        for (Member m : members.values()) {
            if (!m.down && m.suspectSinceNanos >= 0 && nowNanos - m.suspectSinceNanos >= downAfterNanos) {
                m.down = true;
                m.suspectSinceNanos = -1;
                logger.log(Level.WARNING, "member {0} (peer {1}) has not completed a handshake for {2} ms: planning"
                        + " around it", m.id, m.peerId, downAfterNanos / 1_000_000);
                dirty = true;
                work++;
            }
        }
        if (onDemand.doWork(nowNanos, memberName) > 0) {
            dirty = true;
            work++;
        }
        if (dirty && started) {
            replan(nowNanos);
            work++;
        }
        return work;
    }

    /** The current plan ({@code null} before {@link #start}). */
    public Plan plan() {
        return plan;
    }

    /** Whether the member with this peer id is planned around as down. */
    public boolean down(int peerId) {
        Member m = members.get(peerId);
        return m != null && m.down;
    }

    /** The state of the member's on-demand link ({@code REQUESTED}, {@code DIRECT}, {@code ANSWERED}), or null. */
    public String onDemandState(int peerId) {
        OnDemandLinks.State st = onDemand.state(peerId);
        return st == null ? null : st.name();
    }

    /** On-demand links requested so far. */
    public long onDemandRequests() {
        return onDemand.requests();
    }

    /** On-demand links torn down for idleness so far. */
    public long onDemandTeardowns() {
        return onDemand.teardowns();
    }

    /** Plans computed so far. */
    public long replans() {
        return replans;
    }

    private void replan(long nowNanos) {
        dirty = false;
        replans++;
        List<String> live = new ArrayList<>();
        List<String> all = new ArrayList<>();
        live.add(self);
        all.add(self);
        for (Member m : members.values()) {
            all.add(m.id);
            if (!m.down) {
                live.add(m.id);
            }
        }
        Plan next = planner.plan(live, self);
        Set<Integer> nextWanted = new HashSet<>();
        for (String id : next.links()) {
            nextWanted.add(byId.get(id).peerId);
        }
        if (all.size() != live.size()) {
            // While members are down, the links of the full plan stay up too: the plan returns to them.
            for (String id : planner.plan(all, self).links()) {
                nextWanted.add(byId.get(id).peerId);
            }
        }
        // Every member down here stays wanted: its handshakes are the only probe that finds it again. Not only
        // those the full plan links: a member that went down as a substitute link (wanted only while another was
        // down) never initiates to this node once it plans with everyone, so without the probe it would stay down
        // here for good, and this node's plan would differ from every other's.
        for (Member m : members.values()) {
            if (m.down) {
                nextWanted.add(m.peerId);
            }
        }
        for (Member m : members.values()) {
            boolean isNew = nextWanted.contains(m.peerId) && !wanted.contains(m.peerId);
            if (isNew && !m.down) {
                m.suspectSinceNanos = nowNanos;
            } else if (!nextWanted.contains(m.peerId)) {
                m.suspectSinceNanos = -1;
            }
        }
        wanted = Set.copyOf(nextWanted);
        for (Member m : members.values()) {
            if (m.down || nextWanted.contains(m.peerId)) {
                onDemand.forget(m.peerId); // planned now, or down: the plan owns it
            }
        }
        if (plan == null || !plan.links().equals(next.links()) || plan.mesh() != next.mesh()) {
            logger.log(Level.INFO, "topology: {0} live of {1} members, {2}, {3} direct links", live.size(),
                    all.size(), next.mesh() ? "full mesh" : "ring", next.links().size());
        }
        plan = next;
        apply(next);
    }

    /** Makes the data plane hold exactly the plan's entries, touching only what differs. */
    private void apply(Plan p) {
        Map<IpPrefix, Integer> routes = new LinkedHashMap<>();
        Set<SourceEntry> sources = new LinkedHashSet<>();
        for (Member m : members.values()) {
            String hop = p.nextHop().get(m.id);
            // A down member keeps a route to itself: without one its packets would leave the TUN device and
            // follow the host's other routes (the underlay's default, in clear text); with it the data plane
            // counts them (no_route while the peer is down, no_session until a handshake) and sends nothing.
            int hopPeer = hop == null ? m.peerId : byId.get(hop).peerId;
            for (IpPrefix prefix : m.prefixes) {
                routes.put(prefix, hopPeer);
                if (hop == null) {
                    continue; // nothing from it is accepted until it is planned in again
                }
                for (String from : p.acceptsFrom(m.id)) {
                    sources.add(new SourceEntry(prefix, byId.get(from).peerId));
                }
            }
        }
        // On-demand links: routed directly once their session is installed, accepted directly at both ends.
        for (Member m : members.values()) {
            if (m.down) {
                continue;
            }
            for (IpPrefix prefix : m.prefixes) {
                if (onDemand.acceptsDirectly(m.peerId)) {
                    sources.add(new SourceEntry(prefix, m.peerId));
                }
                if (onDemand.direct(m.peerId)) {
                    routes.put(prefix, m.peerId);
                }
            }
        }
        for (SourceEntry s : sources) {
            if (installedSources.add(s)) {
                port.addRoute(s.prefix(), s.peerId(), RouteKind.SOURCE_ONLY);
            }
        }
        for (Map.Entry<IpPrefix, Integer> r : routes.entrySet()) {
            Integer was = installedRoutes.put(r.getKey(), r.getValue());
            if (!r.getValue().equals(was)) {
                port.addRoute(r.getKey(), r.getValue(), RouteKind.ROUTE_ONLY);
            }
        }
        for (var it = installedRoutes.entrySet().iterator(); it.hasNext(); ) {
            Map.Entry<IpPrefix, Integer> r = it.next();
            if (!routes.containsKey(r.getKey())) {
                it.remove();
                port.removeRoute(r.getKey(), RouteKind.ROUTE_ONLY, r.getValue());
            }
        }
        for (var it = installedSources.iterator(); it.hasNext(); ) {
            SourceEntry s = it.next();
            if (!sources.contains(s)) {
                it.remove();
                port.removeRoute(s.prefix(), RouteKind.SOURCE_ONLY, s.peerId());
            }
        }
    }
}
