package net.ipop.control.node;

import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;

import net.ipop.control.config.PeerConfig;

/**
 * How a restarted control plane takes over a data plane that kept running without it: nothing that carries
 * traffic is replaced. Peers are matched by public key and keep the data plane's ids, their sessions (whose
 * indices are reserved again, so no new handshake reuses them) and their current endpoint (which roaming may
 * have moved away from the configured one). Their routes and settings are sent again, which the data plane
 * treats as updates (AddPeer of a known id updates it; AddRoute of a known route is a no-op), so configuration
 * changes made meanwhile take effect. Configured peers the data plane lacks start as on a fresh start; data
 * plane peers the configuration no longer lists are removed.
 *
 * <p>Timers resume from the sessions' ages: the data plane reports when each session's keys were derived, on
 * the host's monotonic clock that both processes read, so the initiator's rekey after 120 s and the expiry after
 * 180 s fall when they would have without the restart. A peer without a session wants a handshake at once.
 *
 * <p>Not carried over: routes the configuration dropped meanwhile stay in the data plane (QueryState does not
 * report routes) until it restarts; a handshake that was half done is started again.
 *
 * <p>Threading: the node's thread, from {@link StaticNode#start()}.
 */
final class Adoption {
    private final DataPlaneState state;
    private final DataPlanePort port;
    private final Logger logger;
    private int kept;
    private int sessions;
    private int added;
    private int removed;
    /** Keep data plane peers the configuration lacks (an overlay's members come later, from signalling). */
    private boolean hold;
    private final List<DataPlaneState.Peer> held = new java.util.ArrayList<>();

    Adoption(DataPlaneState state, DataPlanePort port, Logger logger) {
        this.state = state;
        this.port = port;
        this.logger = logger;
    }

    /**
     * Makes {@link #apply} keep the data plane's peers that the configuration does not list, instead of removing
     * them: an overlay node learns its members from signalling after the start, and a member that re-announces
     * itself takes its peer back ({@link #held()}).
     */
    void holdUnconfigured() {
        this.hold = true;
    }

    /** The peers {@link #apply} kept for later (only with {@link #holdUnconfigured()}). */
    List<DataPlaneState.Peer> held() {
        return List.copyOf(held);
    }

    /** The ids of a fresh start: {@code index + 1}. */
    static int[] configIds(int count) {
        int[] ids = new int[count];
        for (int i = 0; i < count; i++) {
            ids[i] = i + 1;
        }
        return ids;
    }

    /**
     * One id per configured peer: the data plane's id for a peer it holds with the same public key, otherwise
     * the smallest id the data plane does not use and no other configured peer got.
     */
    static int[] ids(List<PeerConfig> configs, DataPlaneState state) {
        int[] ids = new int[configs.size()];
        Set<Integer> taken = new HashSet<>();
        for (DataPlaneState.Peer p : state.peers()) {
            taken.add(p.peerId());
        }
        for (int i = 0; i < ids.length; i++) {
            DataPlaneState.Peer match = match(configs.get(i), state);
            ids[i] = match == null ? 0 : match.peerId();
        }
        int next = 1;
        for (int i = 0; i < ids.length; i++) {
            if (ids[i] == 0) {
                while (taken.contains(next)) {
                    next++;
                }
                ids[i] = next;
                taken.add(next);
            }
        }
        return ids;
    }

    private static DataPlaneState.Peer match(PeerConfig config, DataPlaneState state) {
        for (DataPlaneState.Peer p : state.peers()) {
            if (p.hasKey(config.publicKey().bytes())) {
                return p;
            }
        }
        return null;
    }

    /**
     * Adopts what the data plane holds into {@code peers} (built with {@link #ids}); {@code fresh} starts a peer
     * the data plane lacks, as {@link StaticNode#start()} would.
     */
    void apply(StaticPeer[] peers, Consumer<StaticPeer> fresh) {
        Set<Integer> configured = new HashSet<>();
        for (StaticPeer p : peers) {
            configured.add(p.id);
            DataPlaneState.Peer running = match(p.config, state);
            if (running == null || running.peerId() != p.id) {
                fresh.accept(p);
                added++;
                continue;
            }
            StaticNode.pushPeer(port, p);
            if (running.endpoint() != null) {
                p.endpoint = running.endpoint();
            } else if (p.endpoint != null) {
                port.setEndpoint(p.id, p.endpoint);
            }
            for (Session s : running.sessions()) {
                if (p.handshaker.claimIndex(s.localIndex(), p.handshake)) {
                    p.sessions.add(s);
                    sessions++;
                } else {
                    // Two sessions of one data plane never share an index; if they did, ours must not track it twice.
                    logger.log(Level.WARNING, "session {0} of {1} has an index already in use; not adopted",
                            Integer.toUnsignedString(s.localIndex()), p);
                }
            }
            p.quiet = false;
            if (p.sessions.isEmpty() && p.endpoint != null) {
                p.handshake.timers().handshakeWanted();
            }
            kept++;
            logger.log(Level.INFO, "adopted {0}: {1} session(s), endpoint {2}", p, p.sessions.size(), p.endpoint);
        }
        for (DataPlaneState.Peer p : state.peers()) {
            if (!configured.contains(p.peerId()) && hold) {
                held.add(p);
                logger.log(Level.INFO, "peer {0} of the data plane kept until its member announces itself: {1}"
                        + " session(s), endpoint {2}{3}", Integer.toUnsignedString(p.peerId()), p.sessions().size(),
                        p.endpoint(), p.relayed() ? " (relayed)" : "");
            } else if (!configured.contains(p.peerId())) {
                port.removePeer(p.peerId());
                removed++;
                logger.log(Level.INFO, "peer {0} of the data plane is no longer configured; removed",
                        Integer.toUnsignedString(p.peerId()));
            }
        }
    }

    @Override
    public String toString() {
        return kept + " peers and " + sessions + " sessions kept, " + added + " peers added, " + removed + " removed"
                + (hold ? ", " + held.size() + " held for their members" : "");
    }
}
