package net.ipop.control.node;

import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.net.InetSocketAddress;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

import net.ipop.control.config.NodeConfig;
import net.ipop.control.config.PeerConfig;
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
 * <li>A session is retired after {@code REJECT_AFTER_TIME}, or when a fourth one is installed (the
 *     data plane keeps the previous session for receiving across a rekey, and an unconfirmed
 *     responder session next to them). Its index is then released.</li>
 * <li>After an attempt gave up ({@code REKEY_ATTEMPT_TIME} without an answer) the node waits
 *     {@link #RETRY_AFTER_GIVE_UP_NANOS} before it starts a new one, unless the peer initiates or
 *     the data plane reports {@code REKEY_DUE}.</li>
 * </ul>
 *
 * <p>Refused messages (unknown key, bad mac1, replays...) are counted per reason and logged on the
 * first occurrence and then at most once a minute, never per packet.
 */
public final class StaticNode {
    /** Sessions kept per peer: previous, current, and an unconfirmed next. */
    static final int MAX_SESSIONS = 3;
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
     * Peer id {@code i + 1} is {@code peers[i]}: ids are never 0 (0 means "no peer" in the data plane). A removed
     * peer leaves a null slot: its id is not given out again, so a late event for it cannot reach a newcomer.
     */
    private StaticPeer[] peers;
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

    /**
     * @param config the parsed configuration; one peer id per peer, {@code index + 1} in file order
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
        for (int i = 0; i < peers.length; i++) {
            PeerConfig pc = list.get(i);
            Handshaker h = handshakers.computeIfAbsent(pc.suite(), s -> new Handshaker(s, local, clock, random));
            PeerHandshake ph = h.addPeer(i + 1, pc.publicKey().bytes(), null);
            peers[i] = new StaticPeer(i + 1, pc, h, ph);
        }
        this.loadWindowStartNanos = clock.nanoTime();
    }

    /**
     * Pushes the interface, every peer, its routes and known endpoint to the data plane, and starts
     * handshakes with the peers whose endpoint is known. Call again after the data plane restarted:
     * sessions tracked so far are forgotten (their indices released) and handshakes start over.
     */
    public void start() {
        port.configureInterface(config.iface().mtu(), config.iface().addresses());
        started = true;
        for (StaticPeer p : peers) {
            if (p == null) {
                continue;
            }
            PeerConfig pc = p.config;
            port.addPeer(p.id, pc.name(), pc.suite(), pc.keepaliveIntervalMs(), pc.publicKey().bytes());
            for (IpPrefix prefix : pc.allowedAddresses()) {
                port.addRoute(prefix.network(), p.id);
            }
            if (p.endpoint != null) {
                port.setEndpoint(p.id, p.endpoint);
            }
            for (Session s : p.sessions) {
                p.handshaker.releaseIndex(s.localIndex());
            }
            p.sessions.clear();
            p.quiet = false;
            if (p.endpoint != null) {
                p.handshake.timers().handshakeWanted();
                if (Arrays.compareUnsigned(localKey, pc.publicKey().bytes()) > 0) {
                    // A session derived meanwhile (the peer initiated) clears the wish.
                    p.quiet = true;
                    p.quietUntilNanos = clock.nanoTime() + START_DEFER_NANOS;
                }
            }
        }
        logger.log(Level.INFO, "node {0} started with {1} static peers", config.name(), peers.length);
        doWork();
    }

    /**
     * One duty cycle: retransmissions, rekeys, give-ups and expiries due now. Returns the number of
     * actions taken (0 when idle), as an Agrona agent's {@code doWork}.
     */
    public int doWork() {
        long now = clock.nanoTime();
        int work = 0;
        for (StaticPeer p : peers) {
            if (p != null) {
                work += service(p, now);
            }
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
            }
            case RESPONSE_ACCEPTED -> {
                StaticPeer p = peer(h.lastPeer().peerId());
                roam(p, from);
                install(p, h.lastKeys(), now);
                p.quiet = false;
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
     * {@code EXPIRED}: the data plane dropped the session; its index is released. Other events for
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
            }
            case EXPIRED -> {
                Session s = find(p, localIndex);
                if (s == null) {
                    unknownSessionEvents++;
                } else {
                    p.sessions.remove(s);
                    p.handshaker.releaseIndex(localIndex);
                }
            }
            case NULL_VAL, SBE_UNKNOWN -> unknownSessionEvents++;
        }
    }

    /** Told when a handshake with a peer went unanswered (a sign the path to it is broken). */
    @FunctionalInterface
    public interface LinkListener {
        /** {@code REKEY_ATTEMPT_TIME} passed without an answer from the peer; called on the node's thread. */
        void onHandshakeGaveUp(int peerId);
    }

    /** Sets who hears of unanswered handshakes (an overlay node restarts ICE then). */
    public void linkListener(LinkListener listener) {
        this.linkListener = java.util.Objects.requireNonNull(listener, "listener");
    }

    /**
     * Adds a peer found at run time (an overlay member whose certificate checked out) and, once started, pushes
     * it and its routes to the data plane. Its endpoint comes later through {@link #setEndpoint}, or from its
     * first authenticated handshake. Returns its peer id, never one used before.
     *
     * @throws IllegalArgumentException if the peer's key is unusable (low order)
     */
    public int addPeer(PeerConfig pc) {
        int id = peers.length + 1;
        Handshaker h = handshakers.computeIfAbsent(pc.suite(), s -> new Handshaker(s, local, clock, random));
        PeerHandshake ph = h.addPeer(id, pc.publicKey().bytes(), null);
        StaticPeer p = new StaticPeer(id, pc, h, ph);
        peers = Arrays.copyOf(peers, id);
        peers[id - 1] = p;
        if (started) {
            port.addPeer(id, pc.name(), pc.suite(), pc.keepaliveIntervalMs(), pc.publicKey().bytes());
            for (IpPrefix prefix : pc.allowedAddresses()) {
                port.addRoute(prefix.network(), id);
            }
            if (p.endpoint != null) {
                port.setEndpoint(id, p.endpoint);
            }
        }
        logger.log(Level.INFO, "peer {0} added", p);
        return id;
    }

    /** Removes a peer added by {@link #addPeer}: its sessions, routes and handshake state go. */
    public void removePeer(int peerId) {
        StaticPeer p = peer(peerId);
        for (Session s : p.sessions) {
            p.handshaker.releaseIndex(s.localIndex());
        }
        p.sessions.clear();
        p.handshaker.removePeer(p.handshake);
        peers[peerId - 1] = null;
        if (started) {
            port.removePeer(peerId);
        }
        logger.log(Level.INFO, "peer {0} removed", p);
    }

    /**
     * Points a peer at a new path (ICE selected it) and starts a handshake over it; the side with the greater
     * public key defers by {@link #START_DEFER_NANOS}, as at start, so the two ends do not cross initiations.
     */
    public void setEndpoint(int peerId, InetSocketAddress endpoint) {
        StaticPeer p = peer(peerId);
        p.endpoint = endpoint;
        port.setEndpoint(peerId, endpoint);
        p.handshake.timers().handshakeWanted();
        p.quiet = Arrays.compareUnsigned(localKey, p.config.publicKey().bytes()) > 0;
        p.quietUntilNanos = clock.nanoTime() + START_DEFER_NANOS;
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
        PeerTimers timers = p.handshake.timers();
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
            p.quietUntilNanos = now + RETRY_AFTER_GIVE_UP_NANOS;
            logger.log(Level.WARNING, "no handshake answer from {0} at {1} for {2} s; retrying in {3} s", p,
                    p.endpoint, PeerTimers.REKEY_ATTEMPT_TIME_NANOS / SECOND, RETRY_AFTER_GIVE_UP_NANOS / SECOND);
            linkListener.onHandshakeGaveUp(p.id);
            work++;
        }
        if (p.quiet && now - p.quietUntilNanos >= 0) {
            p.quiet = false;
            if (p.sessions.isEmpty()) {
                timers.handshakeWanted();
            }
        }
        Session newest = p.newest();
        if (!p.quiet && newest != null && newest.initiator() && !timers.handshaking()
                && now - newest.createdNanos() >= PeerTimers.REKEY_AFTER_TIME_NANOS) {
            timers.handshakeWanted();
        }
        if (p.endpoint != null && !p.quiet && timers.shouldInitiate(now)) {
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
        while (p.sessions.size() > MAX_SESSIONS) {
            retire(p, p.sessions.get(0), "superseded");
        }
        logger.log(Level.DEBUG, "session {0} with {1} installed as {2}", Integer.toUnsignedString(keys.localIndex()),
                p, keys.initiator() ? "initiator" : "responder");
    }

    private void retire(StaticPeer p, Session s, String why) {
        port.retireSession(p.id, s.localIndex());
        p.handshaker.releaseIndex(s.localIndex());
        p.sessions.remove(s);
        logger.log(Level.DEBUG, "session {0} with {1} retired: {2}", Integer.toUnsignedString(s.localIndex()), p,
                why);
    }

    /** The endpoint follows the peer: an authenticated handshake from a new address moves it there. */
    private void roam(StaticPeer p, InetSocketAddress from) {
        if (!from.equals(p.endpoint)) {
            logger.log(Level.INFO, "{0} is now at {1} (was {2})", p, from, p.endpoint);
            p.endpoint = from;
            port.setEndpoint(p.id, from);
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
        return peerId >= 1 && peerId <= peers.length ? peers[peerId - 1] : null;
    }

    private StaticPeer peer(int peerId) {
        StaticPeer p = peerOrNull(peerId);
        if (p == null) {
            throw new IllegalArgumentException("no peer " + Integer.toUnsignedString(peerId));
        }
        return p;
    }
}
