package net.ipop.control.topology;

import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.function.IntFunction;

import net.ipop.control.config.TopologyConfig;

/**
 * The direct links a node adds beyond the plan because it sends much to a member it reaches through forwarding,
 * and the far ends of such links. Decisions only: the {@link TopologyManager} asks it which members to handshake
 * with, route directly to and accept directly from, and re-applies its tables when {@link #doWork} or an event
 * says something changed.
 *
 * <p>A link's life on the node that wants it (the <em>requester</em>):
 * <ol>
 *   <li>a TrafficReport names a prefix of a member the plan does not link to: the member is <em>requested</em>
 *       ({@link #wants}: the node handshakes with it), unless a recent request failed (back-off);</li>
 *   <li>its session is installed: the link is <em>direct</em>; the member's prefixes are routed to it
 *       and accepted from it;</li>
 *   <li>each report for its prefixes keeps it active; {@code onDemandIdleMs} without one and it is torn down:
 *       routes back through the plan, and the node retires its sessions ({@link #takeRetire});</li>
 *   <li>a requested link whose handshake has not completed after {@code downAfterMs} is given up, and the
 *       member is not requested again for {@code onDemandIdleMs}: a member that cannot be reached directly
 *       (a NAT) is still reached through the plan, and is not marked down for it.</li>
 * </ol>
 * The far end (the <em>answerer</em>, with on-demand links enabled too, at any threshold) sees a session installed
 * with a member its plan does not link to and accepts that member's prefixes from it directly until its sessions
 * with it are gone; its own packets keep the
 * planned path unless its own traffic makes it a requester too. When the requester retires the sessions, the
 * answerer's copy expires with its age (no rekey: neither side wants the link).
 *
 * <p>Threading: the node's thread, through the {@link TopologyManager}. Times are the node's clock nanoseconds.
 */
final class OnDemandLinks {
    private static final Logger LOG = System.getLogger(OnDemandLinks.class.getName());

    enum State {
        /** Handshake wanted, no session yet. */
        REQUESTED,
        /** Session installed: routed directly. */
        DIRECT,
        /** The member linked to us: accepted directly, routed as planned. */
        ANSWERED
    }

    private static final class Link {
        State state;
        /** When the request was made (REQUESTED), for the give-up. */
        long sinceNanos;
        /** The last report of traffic to the member. */
        long activeNanos;

        Link(State state, long nowNanos) {
            this.state = state;
            this.sinceNanos = nowNanos;
            this.activeNanos = nowNanos;
        }
    }

    private final long thresholdBytes;
    private final int intervalMs;
    private final long idleNanos;
    private final long giveUpNanos;
    private final Logger logger;
    /** By peer id. */
    private final Map<Integer, Link> links = new HashMap<>();
    /** Peer id -> until when it is not requested again (a failed handshake). */
    private final Map<Integer, Long> backOff = new HashMap<>();
    /** Links torn down whose sessions the node has not retired yet. */
    private final Set<Integer> toRetire = new HashSet<>();
    private long requests;
    private long teardowns;

    OnDemandLinks(TopologyConfig config, Logger logger) {
        this.thresholdBytes = config.onDemandThresholdBytes();
        this.intervalMs = config.onDemandIntervalMs();
        this.idleNanos = config.onDemandIdleMs() * 1_000_000L;
        this.giveUpNanos = config.downAfterMs() * 1_000_000L;
        this.logger = logger == null ? LOG : logger;
    }

    /** Whether on-demand links are configured at all. */
    boolean enabled() {
        return thresholdBytes > 0;
    }

    long thresholdBytes() {
        return thresholdBytes;
    }

    int intervalMs() {
        return intervalMs;
    }

    /** Forgets every link (a data plane (re)start: its sessions are gone). */
    void clear() {
        links.clear();
        backOff.clear();
        toRetire.clear();
    }

    /**
     * Traffic to a member crossed the threshold. {@code planned}: the plan links to it already (nothing to add).
     * Returns whether the tables must be re-applied.
     */
    boolean traffic(int peerId, String name, boolean planned, long bytes, long nowNanos) {
        Link l = links.get(peerId);
        if (l != null && l.state != State.ANSWERED) {
            l.activeNanos = nowNanos;
            return false;
        }
        if (planned || !enabled()) {
            return false;
        }
        Long until = backOff.get(peerId);
        if (until != null && nowNanos - until < 0) {
            return false;
        }
        backOff.remove(peerId);
        links.put(peerId, new Link(State.REQUESTED, nowNanos));
        requests++;
        logger.log(Level.INFO, "on-demand link to {0} (peer {1}): {2} bytes in an interval reached it through"
                + " forwarding; handshaking", name, peerId, bytes);
        return true; // its source entry now; its routes once the session is installed
    }

    /** A session with the member was installed. {@code planned}: the plan links to it. Returns: re-apply. */
    boolean sessionInstalled(int peerId, String name, boolean planned, long nowNanos) {
        Link l = links.get(peerId);
        if (l == null) {
            if (planned || !enabled()) {
                return false; // a node without on-demand links keeps exactly the plan's source entries
            }
            links.put(peerId, new Link(State.ANSWERED, nowNanos));
            logger.log(Level.INFO, "{0} (peer {1}) linked to us on demand: accepting its packets directly", name,
                    peerId);
            return true;
        }
        if (l.state == State.REQUESTED) {
            l.state = State.DIRECT;
            l.activeNanos = nowNanos;
            logger.log(Level.INFO, "on-demand link to {0} (peer {1}) up: routing to it directly", name, peerId);
            return true;
        }
        return false;
    }

    /** The node holds no session with the member any more. Returns: re-apply. */
    boolean sessionsGone(int peerId, long nowNanos) {
        Link l = links.get(peerId);
        if (l == null) {
            return false;
        }
        if (l.state == State.ANSWERED) {
            links.remove(peerId);
            return true;
        }
        if (l.state == State.DIRECT) {
            // Expired under us (the data plane dropped it): back to the plan while a new handshake runs.
            l.state = State.REQUESTED;
            l.sinceNanos = nowNanos;
            return true;
        }
        return false;
    }

    /**
     * The plan now links to the member, or it left or is down: the on-demand state goes (no retire: the plan
     * owns the sessions now, or they go with the peer). Returns: re-apply.
     */
    boolean forget(int peerId) {
        toRetire.remove(peerId);
        backOff.remove(peerId);
        return links.remove(peerId) != null;
    }

    /** Gives up handshakes that did not complete and tears idle links down. Returns the links changed. */
    int doWork(long nowNanos, IntFunction<String> names) {
        int changed = 0;
        for (var it = links.entrySet().iterator(); it.hasNext(); ) {
            Map.Entry<Integer, Link> e = it.next();
            Link l = e.getValue();
            int peerId = e.getKey();
            if (l.state == State.REQUESTED && nowNanos - l.sinceNanos >= giveUpNanos) {
                it.remove();
                backOff.put(peerId, nowNanos + idleNanos);
                toRetire.add(peerId); // a late session is of no use
                logger.log(Level.WARNING, "on-demand link to {0} (peer {1}): no handshake in {2} ms; staying on the"
                        + " planned path", names.apply(peerId), peerId, giveUpNanos / 1_000_000);
                changed++;
            } else if (l.state == State.DIRECT && nowNanos - l.activeNanos >= idleNanos) {
                it.remove();
                toRetire.add(peerId);
                teardowns++;
                logger.log(Level.INFO, "on-demand link to {0} (peer {1}) idle for {2} ms: back to the planned path",
                        names.apply(peerId), peerId, idleNanos / 1_000_000);
                changed++;
            }
        }
        return changed;
    }

    /** Whether the node should handshake with the member for an on-demand link. */
    boolean wants(int peerId) {
        Link l = links.get(peerId);
        return l != null && l.state != State.ANSWERED;
    }

    /** Whether the member's prefixes are routed to it directly. */
    boolean direct(int peerId) {
        Link l = links.get(peerId);
        return l != null && l.state == State.DIRECT;
    }

    /**
     * Whether the member's prefixes are accepted from it directly: in every state, so a far end that already
     * sends directly (an answered link that this node now requests too) is not dropped during the handshake.
     */
    boolean acceptsDirectly(int peerId) {
        return links.containsKey(peerId);
    }

    /** The state of the member's on-demand link, or {@code null} if it has none. */
    State state(int peerId) {
        Link l = links.get(peerId);
        return l == null ? null : l.state;
    }

    /** True once after the member's on-demand link was torn down: the node retires its sessions with it. */
    boolean takeRetire(int peerId) {
        return toRetire.remove(peerId);
    }

    long requests() {
        return requests;
    }

    long teardowns() {
        return teardowns;
    }
}
