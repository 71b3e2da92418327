package net.ipop.control.node;

import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.net.InetSocketAddress;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

import net.ipop.control.config.NodeConfig;
import net.ipop.control.config.PeerConfig;
import net.ipop.control.status.NodeSnapshot;
import net.ipop.crypto.MessageTypes;
import net.ipop.crypto.Suite;
import net.ipop.crypto.cert.IpPrefix;
import net.ipop.crypto.noise.Clock;
import net.ipop.crypto.noise.HandshakeMessages;
import net.ipop.crypto.noise.Handshaker;
import net.ipop.crypto.noise.NoiseKeyPair;
import net.ipop.crypto.noise.Outcome;
import net.ipop.crypto.noise.PeerHandshake;
import net.ipop.crypto.noise.PeerTimers;
import net.ipop.crypto.noise.SessionKeys;
import net.ipop.ipc.sbe.SessionEventKind;

/**
 * The control plane of a node in static mode, as wg-quick runs WireGuard: a fixed list of peers
 * from the configuration, a Noise IKpsk2 handshake with each over the data plane's UDP socket, the
 * resulting keys installed in the data plane, and rekeys on the WireGuard timers.
 *
 * <p>Driven by calls, like an Agrona agent: {@link #start()} once the data plane is reachable,
 * {@link #onPunted} for each handshake message the data plane punts, {@link #onSessionEvent} for
 * each session event, and {@link #doWork()} regularly (every few milliseconds to a second; the
 * timers have 5-second granularity) for retransmissions, rekeys and expiry. Time comes only from
 * the {@link Clock}. No threads; single-threaded: one thread makes every call.
 *
 * <p>Policy, beyond WireGuard's timers in {@link PeerTimers}:
 * <ul>
 * <li>Peers with a configured endpoint are handshaken with at start (the side with the greater
 *     public key defers by {@link #START_DEFER_NANOS} so two nodes started together do not cross
 *     initiations); the others only answer, and
 *     learn their endpoint from the first authenticated message (roaming: any authenticated
 *     initiation or response moves the endpoint to its source).</li>
 * <li>The initiator of the newest session rekeys it after {@code REKEY_AFTER_TIME} even without
 *     traffic (the data plane's {@code REKEY_DUE} triggers a rekey as well): in static mode the
 *     tunnel is kept up, not brought up on demand.</li>
 * <li>A session is retired after {@code REJECT_AFTER_TIME}. The data plane holds two sessions per
 *     peer (the current one, and the previous for receiving across a rekey) and drops the older of
 *     them itself when a third is installed; the node forgets that one then, without a
 *     RetireSession. A retired or dropped session's index is released.</li>
 * <li>A link the node wants is kept up from its side too: with no session left it initiates, and
 *     when the newest session is a responder session {@link #RESPONDER_REKEY_AFTER_NANOS} old (the
 *     initiator, whose job the rekey is, did not rekey: it may not want the link) it rekeys.</li>
 * <li>After an attempt gave up ({@code REKEY_ATTEMPT_TIME} without an answer) the node waits
 *     {@link #RETRY_AFTER_GIVE_UP_NANOS} before it starts a new one, unless the peer initiates or
 *     the data plane reports {@code REKEY_DUE}; it starts one then even if sessions remain (they
 *     are what did not answer).</li>
 * </ul>
 *
 * <p>Refused messages (unknown key, bad mac1, replays...) are counted per reason and logged on the
 * first occurrence and then at most once a minute, never per packet.
 */
public final class StaticNode {
    /** Sessions the data plane holds per peer: the current one and the previous (see its Conductor). */
    static final int MAX_SESSIONS = 2;
    /**
     * A wanted link whose newest session is a responder session rekeys from this side at this age: after the
     * initiator's own REKEY_AFTER_TIME and three of its retransmissions, so the two sides rarely both start.
     */
    static final long RESPONDER_REKEY_AFTER_NANOS = PeerTimers.REKEY_AFTER_TIME_NANOS
            + 3 * PeerTimers.REKEY_TIMEOUT_NANOS;
    /** Pause between a given-up handshake attempt and the next one. */
    public static final long RETRY_AFTER_GIVE_UP_NANOS = 30_000_000_000L;
    /**
     * At start, of two peers that may both know each other's endpoint, the one with the greater
     * public key waits this long before initiating: initiations that cross supersede each other
     * (each side drops its own on receiving the other's), which would cost a REKEY_TIMEOUT.
     */
    public static final long START_DEFER_NANOS = 1_000_000_000L;
    /** More handshake messages than this within one second puts the handshakers under load (cookies). */
    static final int UNDER_LOAD_MESSAGES_PER_SECOND = 512;
    private static final long SECOND = 1_000_000_000L;

    private static final Logger LOG = System.getLogger(StaticNode.class.getName());

    private final NodeConfig config;
    private final byte[] localKey;
    private final DataPlanePort port;
    private final Clock clock;
    private final Logger logger;
    private final Map<Suite, Handshaker> handshakers = new EnumMap<>(Suite.class);
    /**
     * Peer id {@code i + 1} is {@code peers[i]}, unless adopted ids differ: ids are never 0 (0 means "no peer" in
     * the data plane). A peer removed by {@link #reconfigure} leaves {@code null} behind, and an added one gets a
     * new id above every id held, so an id is never reused for another peer within this node's life.
     */
    private StaticPeer[] peers;
    /** The highest peer id this node ever used (adopted ids need not follow the array), never reused. */
    private int highestPeerId;
    private final NoiseKeyPair local;
    private final SecureRandom random;
    private LinkListener linkListener = peerId -> { };
    private boolean started;
    private final RejectLog rejects;
    private final byte[] reply = new byte[HandshakeMessages.MAX_LENGTH];
    private final byte[] sourceKey = new byte[18];
    private long loadWindowStartNanos;
    private int loadWindowCount;
    private boolean underLoad;
    private long unknownSessionEvents;
    private NodeObserver observer = NodeObserver.NONE;
    /** Where snapshots for {@code ipop status} go; {@code null} for none. */
    private Consumer<NodeSnapshot> statusListener;
    /** Something {@code ipop status} shows changed since the last snapshot. */
    private boolean statusChanged;
    /** {@code null}: every peer linked, routes from the configuration. */
    private LinkPolicy links;
    /** The running data plane's state for the first {@link #start()}, or null. */
    private Adoption adoption;
    /**
     * Peers an adopted data plane holds that no configured peer matched, kept for members that re-announce
     * themselves ({@link #adoptingOverlay}); empty otherwise. Dropped from the data plane at {@link #heldUntilNanos}.
     */
    private List<DataPlaneState.Peer> held = List.of();
    private long heldUntilNanos;
    /** Where endpoints are kept across data plane restarts ({@link #rememberEndpoints}), or null. */
    private EndpointMemory memory;
    /** Bumped whenever this node moves a peer's endpoint itself ({@link EndpointTracker} compares it). */
    private long endpointChanges;

    /**
     * @param config the parsed configuration; one peer id per peer, {@code index + 1} in file order (an adopting
     *               node keeps the data plane's ids instead)
     * @param local  our static key pair (the one {@code config.privateKeyFile()} holds)
     * @param port   the data plane
     * @param clock  the only time source
     * @param random ephemeral keys, indices, cookie secrets and retransmission jitter
     * @throws IllegalArgumentException if {@code local} is not the configured key, or a peer key is unusable
     */
    public StaticNode(NodeConfig config, NoiseKeyPair local, DataPlanePort port, Clock clock, SecureRandom random) {
        this(config, local, port, clock, random, LOG);
    }

    StaticNode(NodeConfig config, NoiseKeyPair local, DataPlanePort port, Clock clock, SecureRandom random,
               Logger logger) {
        this(config, local, port, clock, random, logger, null);
    }

    /**
     * A node that adopts a running data plane instead of configuring a fresh one: its first {@link #start()}
     * keeps the sessions, endpoints and peer ids {@code state} reports (peers are matched by public key), and
     * applies only what the configuration changed meanwhile ({@link Adoption}). Later {@code start()} calls (a
     * restarted data plane) start over as usual.
     */
    public static StaticNode adopting(NodeConfig config, NoiseKeyPair local, DataPlanePort port, Clock clock,
                                      SecureRandom random, DataPlaneState state) {
        return new StaticNode(config, local, port, clock, random, LOG, state);
    }

    /**
     * As {@link #adopting}, for an overlay node: the data plane's peers that the configuration does not list (its
     * members, admitted through signalling) are not removed but held for {@link #HELD_PEER_GRACE_NANOS}; a member
     * {@link #addPeer added} meanwhile with the same static key takes its peer back, with its id, sessions and path,
     * so its traffic never stops. Held peers no member claimed by then are removed.
     */
    public static StaticNode adoptingOverlay(NodeConfig config, NoiseKeyPair local, DataPlanePort port, Clock clock,
                                             SecureRandom random, DataPlaneState state) {
        StaticNode n = new StaticNode(config, local, port, clock, random, LOG, state);
        n.adoption.holdUnconfigured();
        return n;
    }

    /** How long an adopting overlay node keeps data plane peers for their members to re-announce themselves. */
    public static final long HELD_PEER_GRACE_NANOS = 60_000_000_000L;

    StaticNode(NodeConfig config, NoiseKeyPair local, DataPlanePort port, Clock clock, SecureRandom random,
               Logger logger, DataPlaneState adopt) {
        if (!Arrays.equals(local.publicKey(), config.publicKey().bytes())) {
            throw new IllegalArgumentException("the key pair " + local + " is not the configured key "
                    + config.publicKey());
        }
        this.config = config;
        this.local = local;
        this.random = random;
        this.localKey = local.publicKey();
        this.port = port;
        this.clock = clock;
        this.logger = logger;
        this.rejects = new RejectLog(logger);
        List<PeerConfig> list = config.peers();
        this.peers = new StaticPeer[list.size()];
        int[] ids = adopt == null ? Adoption.configIds(list.size()) : Adoption.ids(list, adopt);
        for (int i = 0; i < peers.length; i++) {
            PeerConfig pc = list.get(i);
            Handshaker h = handshakers.computeIfAbsent(pc.suite(), s -> new Handshaker(s, local, clock, random));
            PeerHandshake ph = h.addPeer(ids[i], pc.publicKey().bytes(), null);
            peers[i] = new StaticPeer(ids[i], pc, h, ph);
            highestPeerId = Math.max(highestPeerId, ids[i]);
        }
        this.adoption = adopt == null ? null : new Adoption(adopt, port, logger);
        if (adopt != null) {
            for (DataPlaneState.Peer p : adopt.peers()) {
                highestPeerId = Math.max(highestPeerId, p.peerId()); // never given to a new peer
            }
        }
        this.loadWindowStartNanos = clock.nanoTime();
    }

    /** Where handshake and link changes are reported from now on (metrics). Call on the node's thread. */
    public void observe(NodeObserver o) {
        this.observer = o;
        o.peersChanged(peerNames());
    }

    /**
     * Publishes a {@link NodeSnapshot} to {@code listener} now and after every change {@code ipop status} shows
     * (a session installed or retired, an endpoint moved), from the node's thread at the end of the duty cycle
     * that made it. {@code listener} must not block (a {@link net.ipop.control.status.StatusBoard}).
     */
    public void setStatusListener(Consumer<NodeSnapshot> listener) {
        this.statusListener = listener;
        this.statusChanged = true;
    }

    /**
     * Keeps every peer's endpoint in {@code m} from now on, and starts each peer {@code m} knows at the endpoint
     * remembered there: the address it was last reached at (perhaps learned by roaming, behind a NAT) is newer
     * than the configured one, and a data plane restarted under a new node knows none. Call before {@link #start()}
     * on the node's thread.
     */
    public void rememberEndpoints(EndpointMemory m) {
        this.memory = m;
        for (StaticPeer p : peers) {
            if (p == null) {
                continue;
            }
            InetSocketAddress remembered = m.recall(p.config.publicKey().bytes());
            if (remembered != null && !remembered.equals(p.endpoint)) {
                logger.log(Level.INFO, "{0}: endpoint {1} remembered from before the data plane restart (configured:"
                        + " {2})", p, remembered, p.config.endpoint().map(Object::toString).orElse("none"));
                p.endpoint = remembered;
                p.recalled = true;
            }
        }
    }

    /**
     * Sends the interface, every peer, its routes (unless a link policy owns them) and endpoint again, as
     * {@link #start()} did, without touching sessions or handshakes: for a start whose commands were not all
     * delivered (the data plane treats each as an update of what it holds). Node thread.
     */
    public void repush() {
        port.configureInterface(config.iface().mtu(), config.iface().addresses());
        for (StaticPeer p : peers) {
            if (p != null) {
                push(p);
            }
        }
    }

    /** How many times this node moved an endpoint itself so far. */
    long endpointChanges() {
        return endpointChanges;
    }

    /**
     * The data plane reports {@code endpoint} for a peer (it may have followed the peer there on a data packet): it
     * becomes where this node's initiations go and is remembered. Sends nothing to the data plane. Node thread.
     */
    void dataPlaneEndpoint(int peerId, InetSocketAddress endpoint) {
        StaticPeer p = peerOrNull(peerId);
        if (p == null || p.relayed || endpoint.equals(p.endpoint)) {
            return;
        }
        logger.log(Level.INFO, "{0} is now at {1} (was {2}; the data plane followed it)", p, endpoint, p.endpoint);
        p.endpoint = endpoint;
        statusChanged = true;
        remember(p);
    }

    /** Records a peer's current endpoint in the memory, if any. */
    private void remember(StaticPeer p) {
        if (memory != null && !p.relayed) {
            memory.remember(p.config.publicKey().bytes(), p.endpoint);
        }
    }

    /** This node moved a peer's endpoint (and told the data plane). */
    private void moved(StaticPeer p) {
        endpointChanges++;
        remember(p);
    }

    /** The data plane's id of the peer at {@code index} in the configuration (its own order, or adopted ids). */
    public int peerId(int index) {
        return peers[index].id;
    }

    /**
     * Hands the choice of links and routes to {@code policy} (the topology manager); call before {@link #start()}.
     * Peer ids are {@code index + 1} in the configuration's peer order.
     */
    public void useLinkPolicy(LinkPolicy policy) {
        this.links = policy;
    }

    /**
     * Pushes the interface, every peer, its routes and known endpoint to the data plane, and starts
     * handshakes with the peers whose endpoint is known. Call again after the data plane restarted:
     * sessions tracked so far are forgotten (their indices released) and handshakes start over.
     */
    public void start() {
        port.configureInterface(config.iface().mtu(), config.iface().addresses());
        started = true;
        Adoption a = adoption;
        adoption = null;
        int count = 0;
        if (a != null) {
            a.apply(peers, this::startPeer);
            count = peers.length;
            held = a.held();
            heldUntilNanos = clock.nanoTime() + HELD_PEER_GRACE_NANOS;
            logger.log(Level.INFO, "node {0} adopted the running data plane: {1}", config.name(), a);
        } else {
            for (StaticPeer p : peers) {
                if (p == null) {
                    continue;
                }
                count++;
                startPeer(p);
            }
        }
        if (links != null) {
            links.start(clock.nanoTime());
        }
        for (StaticPeer p : peers) {
            if (p != null && p.endpoint != null) {
                remember(p); // an adopted data plane's endpoints, or the configured ones
            }
        }
        if (a == null) {
            logger.log(Level.INFO, "node {0} started with {1} static peers", config.name(), count);
        }
        statusChanged = true;
        doWork();
    }

    /** Pushes one peer, its routes (unless a link policy owns them) and known endpoint, forgets its sessions. */
    private void startPeer(StaticPeer p) {
        PeerConfig pc = p.config;
        push(p);
        for (Session s : p.sessions) {
            p.handshaker.releaseIndex(s.localIndex());
        }
        p.sessions.clear();
        linkChanged(p);
        p.quiet = false;
        p.wanted = links == null || links.wantsLink(p.id);
        if (p.endpoint != null && p.wanted) {
            p.handshake.timers().handshakeWanted();
            // A remembered endpoint means our data plane restarted under a peer that kept its session: it will
            // not initiate (until its dead-peer interval), so no initiations can cross and waiting gains nothing.
            if (Arrays.compareUnsigned(localKey, pc.publicKey().bytes()) > 0 && !p.recalled) {
                // A session derived meanwhile (the peer initiated) clears the wish.
                p.quiet = true;
                p.quietUntilNanos = clock.nanoTime() + START_DEFER_NANOS;
            }
        }
    }

    /** Sends a peer, its routes (unless the link policy owns them) and its known endpoint to the data plane. */
    private void push(StaticPeer p) {
        if (links == null) {
            pushPeer(port, p);
        } else {
            PeerConfig pc = p.config;
            port.addPeer(p.id, pc.name(), pc.suite(), pc.keepaliveIntervalMs(), pc.publicKey().bytes());
        }
        if (p.endpoint != null) {
            port.setEndpoint(p.id, p.endpoint);
        }
    }

    /** AddPeer and AddRoute for a peer's configuration: both leave a peer the data plane already holds intact. */
    static void pushPeer(DataPlanePort port, StaticPeer p) {
        PeerConfig pc = p.config;
        port.addPeer(p.id, pc.name(), pc.suite(), pc.keepaliveIntervalMs(), pc.publicKey().bytes());
        for (IpPrefix prefix : pc.allowedAddresses()) {
            port.addRoute(prefix.network(), p.id);
        }
    }

    /**
     * Applies a reloaded peer list without touching the other peers' sessions: a peer whose name is gone (or
     * whose key or suite changed) is removed with its sessions, a new one is added and handshaken with if its
     * endpoint is known, and for a peer kept, a changed endpoint, keepalive or allowed-address list is sent to
     * the data plane (the new endpoint also becomes where handshakes go). Node thread. Returns one line per
     * change, for the log.
     */
    public List<String> reconfigure(List<PeerConfig> wanted) {
        return reconfigure(wanted, id -> false);
    }

    /**
     * As {@link #reconfigure(List)}, leaving alone the peers {@code foreign} names by peer id: those added with
     * {@link #addPeer} (overlay members), which are not the config's to remove.
     */
    public List<String> reconfigure(List<PeerConfig> wanted, java.util.function.IntPredicate foreign) {
        List<String> changes = new java.util.ArrayList<>();
        Map<String, PeerConfig> byName = new java.util.LinkedHashMap<>();
        for (PeerConfig pc : wanted) {
            byName.put(pc.name(), pc);
        }
        for (int i = 0; i < peers.length; i++) {
            StaticPeer p = peers[i];
            if (p == null || foreign.test(p.id)) {
                continue;
            }
            PeerConfig next = byName.get(p.config.name());
            if (next == null || !Arrays.equals(next.publicKey().bytes(), p.config.publicKey().bytes())
                    || next.suite() != p.config.suite()) {
                for (Session s : p.sessions) {
                    p.handshaker.releaseIndex(s.localIndex());
                }
                p.sessions.clear();
                linkChanged(p);
                p.handshaker.removePeer(p.handshake);
                port.removePeer(p.id);
                if (links != null) {
                    links.memberRemoved(p.id, clock.nanoTime());
                }
                peers[i] = null;
                changes.add("peer " + p + " removed" + (next == null ? "" : " (its key or suite changed)"));
            } else {
                update(p, next, changes);
                byName.remove(next.name());
            }
        }
        for (PeerConfig pc : byName.values()) {
            StaticPeer[] grown = Arrays.copyOf(peers, peers.length + 1);
            Handshaker h = handshakers.computeIfAbsent(pc.suite(), s -> new Handshaker(s, local, clock, random));
            int id = ++highestPeerId;
            StaticPeer p = new StaticPeer(id, pc, h, h.addPeer(id, pc.publicKey().bytes(), null));
            grown[grown.length - 1] = p;
            peers = grown;
            push(p);
            if (links != null) {
                links.memberChanged(p.id, pc.publicKey().bytes(), pc.allowedAddresses(), clock.nanoTime());
            }
            if (p.endpoint != null) {
                p.handshake.timers().handshakeWanted();
            }
            changes.add("peer " + p + " added");
        }
        if (!changes.isEmpty()) {
            observer.peersChanged(peerNames());
        }
        return changes;
    }

    private void update(StaticPeer p, PeerConfig next, List<String> changes) {
        PeerConfig old = p.config;
        p.config = next;
        if (old.keepaliveIntervalMs() != next.keepaliveIntervalMs()) {
            port.addPeer(p.id, next.name(), next.suite(), next.keepaliveIntervalMs(), next.publicKey().bytes());
            changes.add("peer " + p + ": keepaliveIntervalMs " + old.keepaliveIntervalMs() + " -> "
                    + next.keepaliveIntervalMs());
        }
        if (!old.allowedAddresses().equals(next.allowedAddresses()) && links != null) {
            links.memberChanged(p.id, next.publicKey().bytes(), next.allowedAddresses(), clock.nanoTime());
            changes.add("peer " + p + ": allowedAddresses " + old.allowedAddresses() + " -> "
                    + next.allowedAddresses());
        } else if (!old.allowedAddresses().equals(next.allowedAddresses())) {
            for (IpPrefix prefix : old.allowedAddresses()) {
                if (!next.allowedAddresses().contains(prefix)) {
                    port.removeRoute(prefix.network());
                }
            }
            for (IpPrefix prefix : next.allowedAddresses()) {
                if (!old.allowedAddresses().contains(prefix)) {
                    port.addRoute(prefix.network(), p.id);
                }
            }
            changes.add("peer " + p + ": allowedAddresses " + old.allowedAddresses() + " -> "
                    + next.allowedAddresses());
        }
        if (!old.endpoint().equals(next.endpoint()) && next.endpoint().isPresent()) {
            p.endpoint = next.endpoint().get();
            port.setEndpoint(p.id, p.endpoint);
            moved(p);
            if (p.sessions.isEmpty()) {
                p.quiet = false;
                p.handshake.timers().handshakeWanted();
            }
            changes.add("peer " + p + ": endpoint " + old.endpoint().map(Object::toString).orElse("none") + " -> "
                    + p.endpoint);
        }
    }

    /** The names of the configured peers, in id order. */
    public List<String> peerNames() {
        List<String> names = new java.util.ArrayList<>();
        for (StaticPeer p : peers) {
            if (p != null) {
                names.add(p.config.name());
            }
        }
        return names;
    }

    /**
     * One duty cycle: retransmissions, rekeys, give-ups and expiries due now. Returns the number of
     * actions taken (0 when idle), as an Agrona agent's {@code doWork}.
     */
    public int doWork() {
        long now = clock.nanoTime();
        int work = links == null ? 0 : links.doWork(now);
        if (work > 0) {
            statusChanged = true; // a re-plan may have moved paths
        }
        work += expireHeld(now);
        for (StaticPeer p : peers) {
            if (p != null) {
                work += service(p, now);
            }
        }
        if (statusChanged && statusListener != null) {
            statusChanged = false;
            statusListener.accept(NodeStatus.snapshot(config, peers, links, now, clock.epochNanos() / 1_000_000));
        }
        return work;
    }

    /**
     * Handles a packet the data plane punted: {@code bytes[off, off + len)} arrived from {@code from}.
     * Borrowed for the call. Handshake messages are consumed, answered through
     * {@link DataPlanePort#inject} and may install a session; everything else is counted and dropped.
     */
    public void onPunted(InetSocketAddress from, byte[] bytes, int off, int len) {
        long now = clock.nanoTime();
        accountLoad(now);
        if (len < 4) {
            rejects.refused(RejectLog.Reason.NOT_HANDSHAKE, from, now);
            return;
        }
        byte type = bytes[off];
        Suite suite = MessageTypes.suiteOf(type);
        if (suite == null || type == MessageTypes.data(suite)) {
            rejects.refused(RejectLog.Reason.NOT_HANDSHAKE, from, now);
            return;
        }
        Handshaker h = handshakers.get(suite);
        if (h == null) {
            rejects.refused(RejectLog.Reason.NO_SUITE, from, now);
            return;
        }
        int keyLength = sourceKey(from);
        Outcome outcome = h.consume(bytes, off, len, sourceKey, 0, keyLength, reply, 0);
        switch (outcome) {
            case INITIATION_ACCEPTED -> {
                StaticPeer p = peer(h.lastPeer().peerId());
                roam(p, from);
                // Installed before the response leaves: the initiator's first data packet may follow at once.
                install(p, h.lastKeys(), now);
                port.inject(from, reply, 0, h.replyLength());
                p.quiet = false;
                p.gaveUp = false;
                observer.handshakeCompleted(p.config.name(), -1);
            }
            case RESPONSE_ACCEPTED -> {
                StaticPeer p = peer(h.lastPeer().peerId());
                roam(p, from);
                install(p, h.lastKeys(), now);
                // Several initiations may be in flight: the round trip is the answered one's.
                long rtt = now - h.answeredInitiationNanos();
                p.rttNanos = rtt;
                p.quiet = false;
                p.gaveUp = false;
                observer.handshakeCompleted(p.config.name(), rtt);
            }
            case COOKIE_REPLY_SENT -> port.inject(from, reply, 0, h.replyLength());
            case COOKIE_ACCEPTED -> logger.log(Level.DEBUG, "cookie from {0} accepted; retransmission carries mac2",
                    from);
            case REJECTED_MALFORMED -> rejects.refused(RejectLog.Reason.MALFORMED, from, now);
            case REJECTED_MAC1 -> rejects.refused(RejectLog.Reason.BAD_MAC1, from, now);
            case REJECTED_DECRYPT -> rejects.refused(RejectLog.Reason.DECRYPT, from, now);
            case REJECTED_UNKNOWN_PEER -> rejects.refused(RejectLog.Reason.UNKNOWN_PEER, from, now);
            case REJECTED_UNKNOWN_INDEX -> rejects.refused(RejectLog.Reason.UNKNOWN_INDEX, from, now);
            case REJECTED_REPLAY -> rejects.refused(RejectLog.Reason.REPLAY, from, now);
            case REJECTED_RATE_LIMITED -> rejects.refused(RejectLog.Reason.RATE_LIMITED, from, now);
        }
    }

    /**
     * Handles a session event of the data plane. {@code CONFIRMED}: the peer sent data on our
     * responder keys, so the handshake is complete. {@code REKEY_DUE}: a rekey is started (whichever
     * session it names: a needless handshake costs little, a missed rekey a dead tunnel).
     * {@code EXPIRED}: the data plane dropped the session; its index is released. {@code PEER_DOWN}: a handshake
     * is wanted at once and the link listener is told (an overlay restarts ICE); {@code PEER_UP}: the listener is
     * told. Other events for
     * unknown peers or sessions (e.g. from before a restart) are counted and ignored.
     */
    public void onSessionEvent(int peerId, int localIndex, SessionEventKind kind) {
        long now = clock.nanoTime();
        StaticPeer p = peerOrNull(peerId);
        if (p == null) {
            unknownSessionEvents++;
            return;
        }
        PeerTimers timers = p.handshake.timers();
        switch (kind) {
            case CONFIRMED -> {
                // A late confirmation of a session already gone must not end a handshake in progress.
                if (find(p, localIndex) == null) {
                    unknownSessionEvents++;
                } else {
                    timers.keysConfirmed(now);
                }
            }
            case REKEY_DUE -> {
                timers.handshakeWanted();
                p.quiet = false;
                if (links != null) {
                    links.rekeyDue(p.id, now);
                }
            }
            case EXPIRED -> {
                Session s = find(p, localIndex);
                if (s == null) {
                    unknownSessionEvents++;
                } else {
                    p.sessions.remove(s);
                    p.handshaker.releaseIndex(localIndex);
                    linkChanged(p);
                    statusChanged = true;
                }
            }
            case PEER_DOWN -> {
                // The data plane sends REKEY_DUE with it when a session exists; without one, handshake now too.
                timers.handshakeWanted();
                p.quiet = false;
                linkListener.onPeerDown(p.id);
            }
            case PEER_UP -> linkListener.onPeerUp(p.id);
            case NULL_VAL, SBE_UNKNOWN -> unknownSessionEvents++;
        }
    }

    /**
     * Handles a TrafficReport of the data plane: {@code bytes} inner bytes went to {@code prefix} through peer
     * {@code viaPeerId} in {@code intervalMs}. The link policy decides (on-demand links); without one it is ignored.
     */
    public void onTrafficReport(IpPrefix prefix, int viaPeerId, long bytes, int intervalMs) {
        if (links != null) {
            links.trafficReport(prefix, viaPeerId, bytes, intervalMs, clock.nanoTime());
        }
    }

    /** Told when a handshake with a peer went unanswered, or the data plane's liveness of a peer changed. */
    @FunctionalInterface
    public interface LinkListener {
        /** {@code REKEY_ATTEMPT_TIME} passed without an answer from the peer; called on the node's thread. */
        void onHandshakeGaveUp(int peerId);

        /** The data plane declared the peer down (PEER_DOWN: data to it unanswered); node's thread. */
        default void onPeerDown(int peerId) {
        }

        /** A peer declared down answers again (PEER_UP); node's thread. */
        default void onPeerUp(int peerId) {
        }
    }

    /** Sets who hears of unanswered handshakes (an overlay node restarts ICE then). */
    public void linkListener(LinkListener listener) {
        this.linkListener = java.util.Objects.requireNonNull(listener, "listener");
    }

    /**
     * Adds a peer found at run time (an overlay member whose certificate checked out) and, once started, pushes
     * it and its routes (unless a link policy owns them: the caller plans it in there) to the data plane. Its endpoint comes later through {@link #setEndpoint}, or from its
     * first authenticated handshake. Returns its peer id, never one used before.
     *
     * @throws IllegalArgumentException if the peer's key is unusable (low order)
     */
    public int addPeer(PeerConfig pc) {
        DataPlaneState.Peer kept = takeHeld(pc.publicKey().bytes());
        int id = kept != null ? kept.peerId() : ++highestPeerId;
        Handshaker h = handshakers.computeIfAbsent(pc.suite(), s -> new Handshaker(s, local, clock, random));
        PeerHandshake ph = h.addPeer(id, pc.publicKey().bytes(), null);
        StaticPeer p = new StaticPeer(id, pc, h, ph);
        peers = Arrays.copyOf(peers, peers.length + 1);
        peers[peers.length - 1] = p;
        if (kept != null) {
            resume(p, kept);
            port.addPeer(id, pc.name(), pc.suite(), pc.keepaliveIntervalMs(), pc.publicKey().bytes());
            for (IpPrefix prefix : pc.allowedAddresses()) {
                port.addRoute(prefix.network(), id);
            }
            statusChanged = true;
            observer.peersChanged(peerNames());
            return id;
        }
        if (started) {
            port.addPeer(id, pc.name(), pc.suite(), pc.keepaliveIntervalMs(), pc.publicKey().bytes());
            for (IpPrefix prefix : links == null ? pc.allowedAddresses() : List.<IpPrefix>of()) {
                port.addRoute(prefix.network(), id); // a link policy routes its members itself
            }
            if (p.endpoint != null) {
                port.setEndpoint(id, p.endpoint);
            }
        }
        logger.log(Level.INFO, "peer {0} added", p);
        statusChanged = true;
        observer.peersChanged(peerNames());
        return id;
    }

    /** The held data plane peer with {@code key}, taken out of the held list, or null. */
    private DataPlaneState.Peer takeHeld(byte[] key) {
        for (int i = 0; i < held.size(); i++) {
            if (held.get(i).hasKey(key)) {
                List<DataPlaneState.Peer> rest = new java.util.ArrayList<>(held);
                DataPlaneState.Peer p = rest.remove(i);
                held = List.copyOf(rest);
                return p;
            }
        }
        return null;
    }

    /**
     * A member took back its held peer: its sessions are tracked again (indices reserved, timers from their ages).
     * Its path is left as the data plane has it (no SetEndpoint): a direct one becomes where initiations go, a
     * relayed one is not known well enough to frame handshakes on (the TURN server and channel), so none go out
     * until ICE selects a path again.
     */
    private void resume(StaticPeer p, DataPlaneState.Peer kept) {
        for (Session s : kept.sessions()) {
            if (p.handshaker.claimIndex(s.localIndex(), p.handshake)) {
                p.sessions.add(s);
                p.handshaken = true;
                p.lastHandshakeNanos = s.createdNanos();
            }
        }
        p.endpoint = kept.relayed() ? null : kept.endpoint();
        p.relayed = kept.relayed();
        linkChanged(p);
        logger.log(Level.INFO, "peer {0} added: took back the running data plane''s peer with its key, {1}"
                + " session(s), {2} path", p, p.sessions.size(), kept.relayed() ? "relayed" : "direct");
    }

    /** Removes the held peers no member claimed within the grace period. */
    private int expireHeld(long now) {
        if (held.isEmpty() || now - heldUntilNanos < 0) {
            return 0;
        }
        for (DataPlaneState.Peer p : held) {
            port.removePeer(p.peerId());
            logger.log(Level.INFO, "peer {0} of the adopted data plane removed: no member with its key announced"
                    + " itself within {1} s", Integer.toUnsignedString(p.peerId()), HELD_PEER_GRACE_NANOS / SECOND);
        }
        int n = held.size();
        held = List.of();
        return n;
    }

    /** Removes a peer added by {@link #addPeer}: its sessions, routes and handshake state go. */
    public void removePeer(int peerId) {
        StaticPeer p = peer(peerId);
        for (Session s : p.sessions) {
            p.handshaker.releaseIndex(s.localIndex());
        }
        p.sessions.clear();
        p.handshaker.removePeer(p.handshake);
        for (int i = 0; i < peers.length; i++) {
            if (peers[i] == p) {
                peers[i] = null;
            }
        }
        if (started) {
            port.removePeer(peerId);
        }
        logger.log(Level.INFO, "peer {0} removed", p);
        statusChanged = true;
        observer.peersChanged(peerNames());
    }

    /**
     * Points a peer at a new path (ICE selected it) and starts a handshake over it; the side with the greater
     * public key defers by {@link #START_DEFER_NANOS}, as at start, so the two ends do not cross initiations.
     */
    public void setEndpoint(int peerId, InetSocketAddress endpoint) {
        setEndpoint(peerId, endpoint, false);
    }

    /**
     * As {@link #setEndpoint(int, InetSocketAddress)}; {@code relayed} says the path goes through a TURN server (the
     * port frames it), which {@code ipop status} shows.
     */
    public void setEndpoint(int peerId, InetSocketAddress endpoint, boolean relayed) {
        StaticPeer p = peer(peerId);
        p.endpoint = endpoint;
        p.relayed = relayed;
        statusChanged = true;
        port.setEndpoint(peerId, endpoint);
        moved(p);
        p.handshake.timers().handshakeWanted();
        p.quiet = Arrays.compareUnsigned(localKey, p.config.publicKey().bytes()) > 0;
        p.quietUntilNanos = clock.nanoTime() + START_DEFER_NANOS;
    }

    /**
     * The overlay's ICE state for the peer changed ({@link NodeObserver#iceState} lists the states): reported to the
     * observer (metrics). Node thread.
     */
    public void iceState(int peerId, String state) {
        StaticPeer p = peerOrNull(peerId);
        if (p != null) {
            observer.iceState(p.config.name(), state);
        }
    }

    /**
     * The overlay found no path to the peer for now (an ICE restart failed): the link policy, if any, plans
     * around it until a session with it is installed again. Node thread.
     */
    public void linkDown(int peerId) {
        if (links != null && peerOrNull(peerId) != null) {
            links.linkDown(peerId, clock.nanoTime());
        }
    }

    /** Whether the peer has a session installed now. */
    public boolean hasSession(int peerId) {
        StaticPeer p = peerOrNull(peerId);
        return p != null && !p.sessions.isEmpty();
    }

    /** Refused handshake messages of a reason so far (tests, stats). */
    long refused(RejectLog.Reason reason) {
        return rejects.count(reason);
    }

    /** Session events naming no known peer or session so far. */
    long unknownSessionEvents() {
        return unknownSessionEvents;
    }

    /** The sessions installed for a peer, oldest first (a copy). */
    List<Session> sessions(int peerId) {
        return List.copyOf(peer(peerId).sessions);
    }

    /** Where a peer's initiations go now, or {@code null}. */
    InetSocketAddress endpoint(int peerId) {
        return peer(peerId).endpoint;
    }

    /** Whether the handshakers answer with cookies now. */
    boolean underLoad() {
        return underLoad;
    }

    private int service(StaticPeer p, long now) {
        int work = 0;
        if (links != null && links.retireSessions(p.id)) {
            for (Session s : List.copyOf(p.sessions)) {
                retire(p, s, "link torn down");
                work++;
            }
        }
        PeerTimers timers = p.handshake.timers();
        boolean wanted = links == null || links.wantsLink(p.id);
        if (links != null && wanted && !p.wanted) {
            // A new link: handshake now even over an old session, so the policy sees it alive.
            timers.handshakeWanted();
            p.quiet = false;
        }
        p.wanted = wanted;
        if (!wanted && timers.handshaking()) {
            // The policy stopped wanting the link mid-handshake: nothing is retransmitted any more, so the attempt
            // ends here, not as a give-up REKEY_ATTEMPT_TIME later (a warning and an ICE restart for a peer that
            // was never at fault). Our initiations stay answerable; a wanted link starts a new attempt.
            timers.handshakeAbandoned();
        }
        for (int i = 0; i < p.sessions.size(); ) {
            Session s = p.sessions.get(i);
            if (now - s.createdNanos() >= PeerTimers.REJECT_AFTER_TIME_NANOS) {
                retire(p, s, "expired");
                work++;
            } else {
                i++;
            }
        }
        if (timers.shouldEraseKeys(now)) {
            timers.keysErased();
        }
        if (timers.handshakeTimedOut(now)) {
            timers.handshakeAbandoned();
            p.quiet = true;
            p.gaveUp = true;
            p.quietUntilNanos = now + RETRY_AFTER_GIVE_UP_NANOS;
            logger.log(Level.WARNING, "no handshake answer from {0} at {1} for {2} s; retrying in {3} s", p,
                    p.endpoint, PeerTimers.REKEY_ATTEMPT_TIME_NANOS / SECOND, RETRY_AFTER_GIVE_UP_NANOS / SECOND);
            observer.handshakeFailed(p.config.name());
            linkListener.onHandshakeGaveUp(p.id);
            work++;
        }
        if (p.quiet && now - p.quietUntilNanos >= 0) {
            p.quiet = false;
            // After a give-up, sessions still installed are the ones that stopped answering: try again anyway.
            if (p.sessions.isEmpty() || p.gaveUp) {
                timers.handshakeWanted();
            }
            p.gaveUp = false;
        }
        Session newest = p.newest();
        if (started && wanted && !p.quiet && !timers.handshaking() && (newest == null
                ? p.endpoint != null
                : now - newest.createdNanos() >= (newest.initiator() ? PeerTimers.REKEY_AFTER_TIME_NANOS
                        : RESPONDER_REKEY_AFTER_NANOS))) {
            // Static mode keeps a wanted link up: no session (all expired, or never one) or an old one means a
            // handshake, rate-limited by the timers (one initiation per REKEY_TIMEOUT at most).
            timers.handshakeWanted();
        }
        if (wanted && p.endpoint != null && !p.quiet && timers.shouldInitiate(now)) {
            if (!timers.handshaking()) {
                observer.handshakeStarted(p.config.name());
            }
            int len = p.handshaker.createInitiation(p.handshake, reply, 0);
            port.inject(p.endpoint, reply, 0, len);
            logger.log(Level.DEBUG, "initiation to {0} at {1}", p, p.endpoint);
            work++;
        }
        return work;
    }

    private void install(StaticPeer p, SessionKeys keys, long now) {
        try {
            port.installSession(p.id, keys);
        } finally {
            keys.wipe();
        }
        p.sessions.add(new Session(keys.localIndex(), keys.remoteIndex(), keys.initiator(), keys.createdNanos()));
        p.lastHandshakeNanos = keys.createdNanos();
        p.handshaken = true;
        statusChanged = true;
        if (links != null) {
            links.sessionInstalled(p.id, now);
        }
        while (p.sessions.size() > MAX_SESSIONS) {
            // The data plane dropped it on this install (it keeps the current and previous only): retiring it
            // there would be refused. Its index goes back.
            Session dropped = p.sessions.remove(0);
            p.handshaker.releaseIndex(dropped.localIndex());
            logger.log(Level.DEBUG, "session {0} with {1} superseded", Integer.toUnsignedString(
                    dropped.localIndex()), p);
        }
        if (p.sessions.size() > 1) {
            logger.log(Level.INFO, "rekeyed with {0} (session {1}, {2})", p, Integer.toUnsignedString(
                    keys.localIndex()), keys.initiator() ? "initiator" : "responder");
        }
        linkChanged(p);
        logger.log(Level.DEBUG, "session {0} with {1} installed as {2}", Integer.toUnsignedString(keys.localIndex()),
                p, keys.initiator() ? "initiator" : "responder");
    }

    private void retire(StaticPeer p, Session s, String why) {
        port.retireSession(p.id, s.localIndex());
        p.handshaker.releaseIndex(s.localIndex());
        p.sessions.remove(s);
        statusChanged = true;
        logger.log(Level.DEBUG, "session {0} with {1} retired: {2}", Integer.toUnsignedString(s.localIndex()), p,
                why);
        linkChanged(p);
    }

    /** Logs and reports a link that came up (first session) or went down (no session left). */
    private void linkChanged(StaticPeer p) {
        boolean up = !p.sessions.isEmpty();
        if (up != p.linkUp) {
            p.linkUp = up;
            logger.log(Level.INFO, up ? "link to {0} at {1} up" : "link to {0} at {1} down: no session left", p,
                    p.endpoint);
            observer.linkChanged(p.config.name(), up);
            if (!up && links != null) {
                links.sessionsGone(p.id, clock.nanoTime());
            }
        }
    }

    /** The endpoint follows the peer: an authenticated handshake from a new address moves it there. */
    private void roam(StaticPeer p, InetSocketAddress from) {
        if (!from.equals(p.endpoint)) {
            logger.log(Level.INFO, "{0} is now at {1} (was {2})", p, from, p.endpoint);
            p.endpoint = from;
            port.setEndpoint(p.id, from);
            statusChanged = true;
            moved(p);
        }
    }

    /**
     * Counts handshake messages per second; above {@link #UNDER_LOAD_MESSAGES_PER_SECOND} the
     * handshakers demand cookies (mac2) until a calm second passes, which bounds the DH work a flood
     * from spoofed sources can cause.
     */
    private void accountLoad(long now) {
        if (now - loadWindowStartNanos >= SECOND) {
            setUnderLoad(loadWindowCount > UNDER_LOAD_MESSAGES_PER_SECOND);
            loadWindowStartNanos = now;
            loadWindowCount = 0;
        }
        if (++loadWindowCount > UNDER_LOAD_MESSAGES_PER_SECOND && !underLoad) {
            setUnderLoad(true);
        }
    }

    private void setUnderLoad(boolean load) {
        if (load != underLoad) {
            underLoad = load;
            logger.log(Level.INFO, load ? "handshake load high: answering with cookies" : "handshake load normal");
            for (Handshaker h : handshakers.values()) {
                h.setUnderLoad(load);
            }
        }
    }

    /** Cookies are keyed by the source: its address bytes then the port, big-endian. */
    private int sourceKey(InetSocketAddress from) {
        byte[] address = from.getAddress().getAddress();
        System.arraycopy(address, 0, sourceKey, 0, address.length);
        sourceKey[address.length] = (byte) (from.getPort() >>> 8);
        sourceKey[address.length + 1] = (byte) from.getPort();
        return address.length + 2;
    }

    private static Session find(StaticPeer p, int localIndex) {
        for (Session s : p.sessions) {
            if (s.localIndex() == localIndex) {
                return s;
            }
        }
        return null;
    }

    private StaticPeer peerOrNull(int peerId) {
        if (peerId >= 1 && peerId <= peers.length && peers[peerId - 1] != null && peers[peerId - 1].id == peerId) {
            return peers[peerId - 1];
        }
        // Adopted, reloaded or removed peers leave ids that do not follow the array; peer lists are short.
        for (StaticPeer p : peers) {
            if (p != null && p.id == peerId) {
                return p;
            }
        }
        return null;
    }

    private StaticPeer peer(int peerId) {
        StaticPeer p = peerOrNull(peerId);
        if (p == null) {
            throw new IllegalArgumentException("no peer " + Integer.toUnsignedString(peerId));
        }
        return p;
    }
}
