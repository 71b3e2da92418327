package net.ipop.control.overlay;

import java.io.IOException;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.net.InetSocketAddress;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;

import net.ipop.control.config.NodeConfig;
import net.ipop.control.config.PeerConfig;
import net.ipop.control.config.SignallingConfig;
import net.ipop.control.config.StaticPublicKey;
import net.ipop.control.ice.DataPlaneIceTransport;
import net.ipop.control.ice.IceConfig;
import net.ipop.control.ice.IceCredentials;
import net.ipop.control.ice.IceListener;
import net.ipop.control.ice.IceMux;
import net.ipop.control.ice.IceSession;
import net.ipop.control.ice.PathKind;
import net.ipop.control.ice.SelectedPath;
import net.ipop.control.node.DataPlanePort;
import net.ipop.control.node.StaticNode;
import net.ipop.control.signal.Answer;
import net.ipop.control.signal.Offer;
import net.ipop.control.signal.Signalling;
import net.ipop.control.signal.SignallingException;
import net.ipop.control.signal.SignallingListener;
import net.ipop.crypto.cert.MembershipResult;
import net.ipop.crypto.cert.NodeCertificate;
import net.ipop.crypto.noise.Clock;
import net.ipop.crypto.noise.NoiseKeyPair;

/**
 * A node of one or more overlays: it joins each overlay's room, admits the peers whose certificates its
 * {@link Membership} accepts, runs one {@link IceSession} per admitted peer on the data plane's UDP socket,
 * and hands the path ICE selects to the {@link StaticNode}, which runs the Noise handshake over it. Static
 * peers of the same node keep working alongside (they are the {@link StaticNode}'s own).
 *
 * <p>Policy:
 * <ul>
 * <li><b>Admission.</b> A peer's announced certificate must pass the overlay's {@code MembershipVerifier}
 *     (chain, validity, revocation, allowed groups). A refused peer gets one log line naming it and the reason
 *     (again only if its certificate changes) and never a session; its offers are ignored. An admitted peer's
 *     static key and allowed addresses are those its certificate binds.</li>
 * <li><b>Roles.</b> Of two peers, the one with the lower node name offers, the other answers (an on-demand link
 *     is offered by the end that wants it, whatever its name: the other end's plan does not want it); the offerer
 *     starts over (an ICE restart: new credentials, new candidates, same socket) when a first connection fails,
 *     or when its offer is not answered within {@link #OFFER_TIMEOUT_NANOS}. Retries back off from {@link
 *     #FIRST_RETRY_NANOS} to {@link #MAX_RETRY_NANOS}.</li>
 * <li><b>Broken links.</b> When a link in use breaks (the data plane's PEER_DOWN, lost consent, an unanswered
 *     handshake) either end restarts ICE at once, TURN candidates included; see {@link LinkHealth}.</li>
 * <li><b>Back to direct.</b> A link that fell back to the relay probes for a direct path every so often, next to
 *     the relayed one, and moves back to it when one works; see {@link DirectProbes}.</li>
 * <li><b>Paths.</b> A {@link PathKind#DIRECT} path becomes the peer's endpoint and a handshake starts over it.
 *     A {@link PathKind#RELAYED} path needs TURN ChannelData framing in the data plane, which it has not yet:
 *     such a path is logged and not used.</li>
 * <li><b>Topology.</b> The admitted members of each overlay are planned as a static node's peers are
 *     ({@link OverlayTopology}, {@code topology:} in the config): up to {@code maxMeshSize} a full mesh, above it
 *     ICE sessions and handshakes only with the planned neighbours, the other members routed through their next
 *     hop and accepted from the neighbours the planned paths deliver them through. Presence re-plans; a member
 *     that stops answering is planned around after {@code downAfterMs} and back in with its next session.</li>
 * <li><b>Leaving.</b> A peer that leaves the room loses its session, routes and ICE session.</li>
 * </ul>
 *
 * <p>Threading: one thread (the agent's) makes every call. ICE work that blocks (gathering waits for STUN and
 * TURN answers, which only arrive once this thread has injected the requests and fed back the punted answers)
 * runs on one ICE thread of its own; its results and ice4j's callbacks come back through an inbox drained by
 * {@link #doWork()}, so the tables here have one writer.
 */
public final class OverlayNode implements SignallingListener, AutoCloseable {
    static final long FIRST_RETRY_NANOS = 2_000_000_000L;
    static final long MAX_RETRY_NANOS = 30_000_000_000L;
    /** An offer unanswered this long is sent again (the peer may have been busy or restarting). */
    static final long OFFER_TIMEOUT_NANOS = 15_000_000_000L;
    /** A signalling server that could not be joined is tried again after this long. */
    static final long JOIN_RETRY_NANOS = 10_000_000_000L;
    static final int SIGNAL_EVENTS_PER_CYCLE = 64;
    static final long CHANNEL_POLL_NANOS = 50_000_000L;
    static final long CHANNEL_WAIT_NANOS = 10_000_000_000L;
    static final long CHANNEL_PROBE_NANOS = 1_000_000_000L;
    private static final long KEEPALIVE_MS = 25_000;
    /**
     * A member that left the room keeps its peer (sessions, path) this long: a node whose control plane restarts
     * (killed, or its data plane restarted) leaves and comes back while its data plane may still forward.
     */
    static final long LEFT_GRACE_NANOS = 60_000_000_000L;

    private static final Logger LOG = System.getLogger(OverlayNode.class.getName());

    /** The start's, with the reloadable keys of the latest reload ({@link OverlayReload}). */
    private NodeConfig config;
    private final StaticNode node;
    private final DataPlanePort port;
    private final RelayingPort relays;
    private final Signalling signalling;
    /** Per overlay; replaced by a reload that reads a newer revocation list or other allowed groups. */
    private final Map<String, Membership> memberships;
    private volatile IceConfig iceConfig; // read by the ICE thread when it creates a session
    private final DataPlaneIceTransport transport;
    private final IceMux mux;
    private final Clock clock;
    private final ExecutorService iceThread = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "overlay-ice");
        t.setDaemon(true);
        return t;
    });
    private final Queue<Runnable> inbox = new ConcurrentLinkedQueue<>();
    private final Map<String, OverlayPeer> peers = new HashMap<>();
    private final Map<Integer, OverlayPeer> byPeerId = new HashMap<>();
    /** Which members get an ICE session and how the others are reached. */
    private final OverlayTopology topology;
    /** Refusals already logged, as overlay/peer/fingerprint: each is logged once. */
    private final Set<String> refusalsLogged = new HashSet<>();
    /** Peers in a room whose certificates were refused, by overlay/peer: a reload may admit them. */
    private final Map<String, NodeCertificate> refusedPresent = new HashMap<>();
    private final LinkHealth health;
    private final DirectProbes probes;
    private final List<SignallingConfig> unjoined = new ArrayList<>();
    private long joinRetryAtNanos;
    private boolean closed;

    /**
     * @param config      the node's configuration (its {@code signalling} entries carry their membership)
     * @param node        the handshakes and sessions, talking to the data plane through {@code relays}; this node
     *                    adds and removes its overlay peers there
     * @param relays      the data plane as the handshakes see it (relayed peers framed as ChannelData)
     * @param port        the data plane, for ICE's injected datagrams
     * @param signalling  where the rooms are joined (not yet joined; {@link #start()} joins)
     * @param memberships per overlay name, its membership files loaded
     * @param iceConfig   STUN and TURN servers
     * @param hosts       the host candidates: the node's addresses with the data plane's port
     * @param clock       the only time source
     */
    OverlayNode(NodeConfig config, StaticNode node, RelayingPort relays, DataPlanePort port, Signalling signalling,
            Map<String, Membership> memberships, IceConfig iceConfig, List<InetSocketAddress> hosts, Clock clock) {
        this.config = config;
        this.node = node;
        this.port = port;
        this.relays = relays;
        this.signalling = signalling;
        this.memberships = new HashMap<>(memberships);
        this.iceConfig = iceConfig;
        this.topology = new OverlayTopology(config.topology(), config.publicKey().bytes(), relays,
                config.signalling().stream().map(SignallingConfig::overlay).toList());
        for (int i = 0; i < config.peers().size(); i++) {
            topology.staticPeer(node.peerId(i), config.peers().get(i).allowedAddresses());
        }
        node.useLinkPolicy(topology);
        this.transport = new DataPlaneIceTransport(hosts);
        this.mux = new IceMux(transport);
        this.clock = clock;
        this.health = new LinkHealth(new LinkHealth.Links() {
            @Override
            public OverlayPeer byPeerId(int peerId) {
                return byPeerId.get(peerId);
            }

            @Override
            public void restart(OverlayPeer p) {
                offer(p);
            }

            @Override
            public void reportDown(OverlayPeer p) {
                node.linkDown(p.peerId);
            }
        }, clock);
        node.linkListener(health);
        this.probes = new DirectProbes(new DirectProbes.Links() {
            @Override
            public void probe(OverlayPeer p) {
                probeOffer(p);
            }

            @Override
            public void abandon(OverlayPeer p) {
                abandonProbe(p);
            }
        }, clock, config.ice().directProbeMs() * 1_000_000L, config.ice().directProbeMaxMs() * 1_000_000L);
    }

    /**
     * Loads the membership files and the TURN password of {@code config} and makes the node, with a
     * {@link StaticNode} of its own for the handshakes (static peers included).
     *
     * @param keys   this node's static key pair (the one {@code config.privateKeyFile()} holds)
     * @param port   the data plane
     * @param clock  the only time source
     * @param random ephemeral keys, indices, cookie secrets
     * @throws IOException if a file cannot be read, or no host candidate address exists
     */
    public static OverlayNode create(NodeConfig config, NoiseKeyPair keys, DataPlanePort port, Clock clock,
            SecureRandom random) throws IOException {
        return create(config, keys, port, clock, random, null);
    }

    /**
     * As {@link #create(NodeConfig, NoiseKeyPair, DataPlanePort, Clock, SecureRandom)}, adopting the running data
     * plane whose state is {@code adopt} when not null ({@link StaticNode#adoptingOverlay}: members that announce
     * themselves take back their peers, sessions and paths).
     */
    public static OverlayNode create(NodeConfig config, NoiseKeyPair keys, DataPlanePort port, Clock clock,
            SecureRandom random, net.ipop.control.node.DataPlaneState adopt) throws IOException {
        RelayingPort relays = new RelayingPort(port);
        StaticNode node = adopt == null ? new StaticNode(config, keys, relays, clock, random)
                : StaticNode.adoptingOverlay(config, keys, relays, clock, random, adopt);
        Map<String, Membership> memberships = new HashMap<>();
        for (SignallingConfig s : config.signalling()) {
            memberships.put(s.overlay(), Membership.load(s.membership().orElseThrow(
                    () -> new IOException("overlay " + s.overlay() + " has no certificateFile and caFile"))));
        }
        List<IceConfig.TurnServer> turn = new ArrayList<>();
        if (config.ice().turn().isPresent()) {
            var t = config.ice().turn().get();
            char[] password = net.ipop.control.config.SecretFiles.readPassword(t.passwordFile());
            turn.add(new IceConfig.TurnServer(t.server(), t.username(), new String(password)));
            java.util.Arrays.fill(password, '\0');
        }
        IceConfig ice = new IceConfig(config.ice().stunServers(), turn, config.ice().consentTimeoutMs());
        List<InetSocketAddress> hosts = HostCandidates.of(config.listen().address().orElse(null),
                config.listen().port(), config.iface().name());
        return new OverlayNode(config, node, relays, port, new Signalling(Signalling.Options.defaults()), memberships, ice,
                hosts, clock);
    }

    /** The ICE transport, fed by the data plane's punted STUN (see {@link OverlayEvents}). */
    DataPlaneIceTransport transport() {
        return transport;
    }

    /** The relayed peers, to attribute a handshake arriving as ChannelData. */
    RelayingPort relays() {
        return relays;
    }

    /** The handshakes' node, fed by the data plane's other punts and session events. */
    public StaticNode node() {
        return node;
    }

    /**
     * Starts the static part (interface, static peers) and joins every overlay's room; an overlay whose server
     * cannot be reached now is tried again every {@link #JOIN_RETRY_NANOS}.
     */
    public void start() {
        node.start();
        unjoined.addAll(config.signalling());
        joinPending();
    }

    /** One duty cycle; returns the work done (0 when idle). */
    public int doWork() {
        long now = clock.nanoTime();
        int work = 0;
        for (Runnable r; (r = inbox.poll()) != null; work++) {
            r.run();
        }
        work += signalling.poll(this, SIGNAL_EVENTS_PER_CYCLE);
        work += transport.flush(port::inject);
        List<OverlayPeer> left = null;
        for (OverlayPeer p : peers.values()) {
            if (p.leftAtNanos != 0 && now - p.leftAtNanos >= LEFT_GRACE_NANOS) {
                if (left == null) {
                    left = new ArrayList<>(); // drop() changes the map: after the loop
                }
                left.add(p);
            }
            if (p.awaitingChannel != null && now - p.channelPollNanos >= CHANNEL_POLL_NANOS) {
                p.channelPollNanos = now;
                work += awaitChannel(p, now);
            }
            if (!p.busy && p.retryAtNanos != 0 && now - p.retryAtNanos >= 0) {
                p.retryAtNanos = 0;
                offer(p);
                work++;
            } else if (p.offerSessionId != null && !p.probing && now - p.offerSentNanos >= OFFER_TIMEOUT_NANOS) {
                LOG.log(Level.INFO, "{0}: no answer to the offer within {1} s; offering again", p,
                        OFFER_TIMEOUT_NANOS / 1_000_000_000L);
                p.offerSessionId = null;
                offer(p);
                work++;
            }
        }
        if (left != null) {
            for (OverlayPeer p : left) {
                drop(p, "it left the room " + LEFT_GRACE_NANOS / 1_000_000_000L + " s ago");
                work++;
            }
        }
        work += health.doWork(peers.values(), now);
        work += probes.doWork(peers.values(), now);
        if (!unjoined.isEmpty() && now - joinRetryAtNanos >= 0) {
            joinPending();
            work++;
        }
        work += node.doWork();
        return work + topology.follow(peers.values(), this::link, this::unlink);
    }

    /**
     * The plan (or an on-demand link) wants a link to {@code p} now: the end that offers starts ICE, the other
     * waits for the offer ({@link OverlayTopology#offers}).
     */
    private void link(OverlayPeer p) {
        boolean offers = topology.offers(p);
        LOG.log(Level.INFO, "{0}: a link is wanted{1}", p, !offers ? "; awaiting its offer"
                : p.offerer ? "; offering" : "; offering (on demand: its plan does not link to us)");
        if (offers) {
            offer(p);
        }
    }

    /**
     * The plan no longer links to {@code p}: its ICE session goes (its packets take the planned next hop). Its
     * data-plane sessions stay until they expire, and an offer from it is still answered: its plan may want the
     * link for a while yet.
     */
    private void unlink(OverlayPeer p) {
        LOG.log(Level.INFO, "{0}: no longer a planned neighbour; closing its ICE session", p);
        p.retryAtNanos = 0;
        p.offerSessionId = null;
        p.path = null;
        p.awaitingChannel = null;
        probes.cancelled(p);
        if (p.ice != null) {
            closeLater(p.ice);
            p.ice = null;
        }
        node.iceState(p.peerId, "unlinked");
    }

    private void joinPending() {
        for (var it = unjoined.iterator(); it.hasNext(); ) {
            SignallingConfig s = it.next();
            try {
                signalling.join(s, memberships.get(s.overlay()).certificate());
                LOG.log(Level.INFO, "joined overlay {0} in {1} as {2}", s.overlay(), s.room(), config.name());
                it.remove();
            } catch (SignallingException e) {
                LOG.log(Level.WARNING, "cannot join overlay {0} ({1}); trying again in {2} s", s.overlay(),
                        e.getMessage(), JOIN_RETRY_NANOS / 1_000_000_000L);
            }
        }
        joinRetryAtNanos = clock.nanoTime() + JOIN_RETRY_NANOS;
    }

    @Override
    public void onPeerPresent(String overlay, String peerId, NodeCertificate certificate) {
        String key = overlay + "/" + peerId;
        OverlayPeer known = peers.get(key);
        if (known != null && known.certificate.fingerprint().equals(certificate.fingerprint())) {
            if (known.leftAtNanos != 0) {
                // Back after leaving: its control plane may have restarted and lost its ICE state.
                known.leftAtNanos = 0;
                LOG.log(Level.INFO, "peer {0} is back in the room", known);
                if (known.offerer && !known.busy) {
                    known.offerSessionId = null;
                    offer(known);
                }
            }
            return; // re-announced (a reconnection): nothing changed
        }
        if (known != null) {
            drop(known, "it announced a new certificate");
        }
        Membership m = memberships.get(overlay);
        MembershipResult r = m.verifier().verify(certificate, certificate.publicKey(), Instant.now());
        if (!r.ok()) {
            refusedPresent.put(key, certificate);
            if (refusalsLogged.add(key + "/" + certificate.fingerprint())) {
                LOG.log(Level.WARNING, "refused peer {0} in overlay {1}: {2} ({3})", peerId, overlay, r.detail(),
                        r.reason());
            }
            return;
        }
        PeerConfig pc = new PeerConfig(peerId, StaticPublicKey.of(certificate.publicKey()), Optional.empty(),
                certificate.addresses(), (int) KEEPALIVE_MS, config.suite());
        int id;
        try {
            id = node.addPeer(pc);
        } catch (IllegalArgumentException e) {
            LOG.log(Level.WARNING, "refused peer {0} in overlay {1}: {2}", peerId, overlay, e.getMessage());
            return;
        }
        try {
            topology.admit(overlay, id, certificate.publicKey(), certificate.addresses(), clock.nanoTime());
        } catch (IllegalArgumentException e) {
            node.removePeer(id);
            LOG.log(Level.WARNING, "refused peer {0} in overlay {1}: {2}", peerId, overlay, e.getMessage());
            return;
        }
        refusedPresent.remove(key);
        OverlayPeer p = new OverlayPeer(overlay, peerId, certificate, id, config.name().compareTo(peerId) < 0);
        peers.put(key, p);
        byPeerId.put(id, p);
        // The offer waits for the plan (the next duty cycle): above the mesh size most members are not neighbours.
        LOG.log(Level.INFO, "admitted peer {0} in overlay {1}: {2}; this node {3}", peerId, overlay, r.detail(),
                p.offerer ? "offers" : "answers");
    }

    @Override
    public void onPeerGone(String overlay, String peerId) {
        refusedPresent.remove(overlay + "/" + peerId);
        OverlayPeer p = peers.get(overlay + "/" + peerId);
        if (p != null && p.leftAtNanos == 0) {
            long now = clock.nanoTime();
            p.leftAtNanos = now == 0 ? 1 : now;
            LOG.log(Level.INFO, "peer {0} left the room; its link stays for {1} s in case it comes back", p,
                    LEFT_GRACE_NANOS / 1_000_000_000L);
        }
    }

    /** It said it stops: no grace period, so the topology plans around it at once. */
    @Override
    public void onPeerLeft(String overlay, String peerId) {
        refusedPresent.remove(overlay + "/" + peerId);
        OverlayPeer p = peers.get(overlay + "/" + peerId);
        if (p != null) {
            drop(p, "it left the room (stopped)");
        }
    }

    @Override
    public void onOffer(String overlay, String peerId, Offer offer) {
        OverlayPeer p = peers.get(overlay + "/" + peerId);
        if (p == null) {
            LOG.log(Level.DEBUG, "offer from {0} in {1} ignored: not an admitted peer", peerId, overlay);
            return;
        }
        if (!p.busy && !health.acceptOffer(p, isProbe(p, offer))) {
            return;
        }
        if (p.busy) {
            p.pendingOffer = offer;
            return;
        }
        answer(p, offer);
    }

    @Override
    public void onAnswer(String overlay, String peerId, Answer answer) {
        OverlayPeer p = peers.get(overlay + "/" + peerId);
        if (p == null || p.offerSessionId == null || !p.offerSessionId.equals(answer.sessionId())) {
            LOG.log(Level.DEBUG, "answer from {0} in {1} ignored: no offer of ours awaits it", peerId, overlay);
            return;
        }
        p.offerSessionId = null;
        IceSession session = p.ice;
        IceCredentials remote = new IceCredentials(answer.credentials().ufrag(), answer.credentials().password());
        var candidates = CandidateCodec.toIce(answer.candidates());
        p.busy = true;
        if (p.probing) {
            submit(p, () -> {
                session.startProbe(remote, candidates, true);
                post(() -> done(p));
            }, e -> probes.failed(p, "cannot start its checks: " + e));
            return;
        }
        submit(p, () -> {
            session.start(remote, candidates, true);
            post(() -> done(p));
        });
    }

    /** The offerer's side: gathers (a new session, or an ICE restart of the current one) and offers. */
    private void offer(OverlayPeer p) {
        if (!p.linked) {
            return; // not a planned neighbour (any more): its retries and restarts end here
        }
        p.busy = true;
        probes.cancelled(p);
        node.iceState(p.peerId, "checking");
        IceSession existing = p.ice;
        submit(p, () -> {
            IceSession s = gatherOrRestart(p, existing);
            IceCredentials creds = s.localCredentials();
            var candidates = CandidateCodec.toSignal(s.localCandidates());
            post(() -> {
                if (p.gone) {
                    closeLater(s);
                    return;
                }
                p.ice = s;
                try {
                    Offer o = signalling.sendOffer(p.overlay, p.name, new net.ipop.control.signal.IceCredentials(
                            creds.ufrag(), creds.password()), candidates);
                    p.offerSessionId = o.sessionId();
                    p.offerSentNanos = clock.nanoTime();
                    LOG.log(Level.INFO, "{0}: offered {1} candidates ({2})", p, candidates.size(),
                            CandidateCodec.types(candidates));
                } catch (SignallingException | RuntimeException e) {
                    LOG.log(Level.WARNING, "{0}: cannot send the offer ({1})", p, e.getMessage());
                    scheduleRetry(p);
                }
                done(p);
            });
        });
    }

    /** The answerer's side: a fresh generation for every offer, started at once, then answered. */
    private void answer(OverlayPeer p, Offer offer) {
        if (isProbe(p, offer)) {
            probeAnswer(p, offer);
            return;
        }
        p.busy = true;
        probes.cancelled(p);
        node.iceState(p.peerId, "checking");
        IceSession existing = p.ice;
        IceCredentials remote = new IceCredentials(offer.credentials().ufrag(), offer.credentials().password());
        var remoteCandidates = CandidateCodec.toIce(offer.candidates());
        submit(p, () -> {
            // A generation gathered for an offer of ours that was withdrawn (crossed offers) is still fresh: no second
            // restart, which would release and allocate on the TURN server again.
            IceSession s = existing != null && !existing.started() ? existing : gatherOrRestart(p, existing);
            s.start(remote, remoteCandidates, false);
            IceCredentials creds = s.localCredentials();
            var candidates = CandidateCodec.toSignal(s.localCandidates());
            post(() -> {
                if (p.gone) {
                    closeLater(s);
                    return;
                }
                p.ice = s;
                try {
                    signalling.sendAnswer(p.overlay, p.name, offer.sessionId(),
                            new net.ipop.control.signal.IceCredentials(creds.ufrag(), creds.password()), candidates);
                    LOG.log(Level.INFO, "{0}: answered with {1} candidates ({2})", p, candidates.size(),
                            CandidateCodec.types(candidates));
                } catch (SignallingException | RuntimeException e) {
                    LOG.log(Level.WARNING, "{0}: cannot send the answer ({1})", p, e.getMessage());
                }
                done(p);
            });
        });
    }

    /** Whether an offer from {@code p} is its probe for a direct path, answered next to the path in use. */
    private boolean isProbe(OverlayPeer p, Offer offer) {
        boolean relayed = false;
        for (var c : offer.candidates()) {
            relayed |= c.type() == net.ipop.control.signal.Candidate.Type.RELAYED;
        }
        return p.ice != null && probes.answerAsProbe(p, relayed);
    }

    /**
     * {@link DirectProbes}: gathers a probe generation next to the relayed one and offers it. The path in use, its
     * ICE state and its TURN allocation stay as they are; a failure here only ends the probe.
     */
    private void probeOffer(OverlayPeer p) {
        IceSession s = p.ice;
        if (s == null) {
            probes.failed(p, "no ICE session");
            return;
        }
        p.busy = true;
        submit(p, () -> {
            s.probe();
            IceCredentials creds = s.probeCredentials();
            var candidates = CandidateCodec.toSignal(s.probeCandidates());
            post(() -> {
                if (!p.gone && p.probing) {
                    try {
                        Offer o = signalling.sendOffer(p.overlay, p.name, new net.ipop.control.signal.IceCredentials(
                                creds.ufrag(), creds.password()), candidates);
                        p.offerSessionId = o.sessionId();
                        p.offerSentNanos = clock.nanoTime();
                        LOG.log(Level.INFO, "{0}: offered a probe for a direct path, {1} candidates ({2})", p,
                                candidates.size(), CandidateCodec.types(candidates));
                    } catch (SignallingException | RuntimeException e) {
                        abandonProbe(p);
                        probes.failed(p, "cannot send the offer: " + e.getMessage());
                    }
                }
                done(p);
            });
        }, e -> probes.failed(p, "cannot gather: " + e));
    }

    /** The member's probe: answered by a probe generation of this end's own, next to the relayed one. */
    private void probeAnswer(OverlayPeer p, Offer offer) {
        p.busy = true;
        probes.answering(p);
        IceSession s = p.ice;
        IceCredentials remote = new IceCredentials(offer.credentials().ufrag(), offer.credentials().password());
        var remoteCandidates = CandidateCodec.toIce(offer.candidates());
        submit(p, () -> {
            // A probe gathered for an offer of ours that was withdrawn (crossed probes) is still fresh: use it.
            if (!s.probing() || s.probeStarted()) {
                s.probe();
            }
            s.startProbe(remote, remoteCandidates, false);
            IceCredentials creds = s.probeCredentials();
            var candidates = CandidateCodec.toSignal(s.probeCandidates());
            post(() -> {
                if (!p.gone) {
                    try {
                        signalling.sendAnswer(p.overlay, p.name, offer.sessionId(),
                                new net.ipop.control.signal.IceCredentials(creds.ufrag(), creds.password()),
                                candidates);
                        LOG.log(Level.INFO, "{0}: answered its probe for a direct path with {1} candidates ({2})", p,
                                candidates.size(), CandidateCodec.types(candidates));
                    } catch (SignallingException | RuntimeException e) {
                        abandonProbe(p);
                        probes.failed(p, "cannot send the answer: " + e.getMessage());
                    }
                }
                done(p);
            });
        }, e -> probes.failed(p, "cannot answer it: " + e));
    }

    /** Frees the probe generation on the ICE thread (after any work queued there) and forgets its offer. */
    private void abandonProbe(OverlayPeer p) {
        if (p.probing) {
            p.offerSessionId = null;
        }
        IceSession s = p.ice;
        if (s != null) {
            try {
                iceThread.execute(s::abandonProbe);
            } catch (RejectedExecutionException e) {
                // closing: the session's close frees it
            }
        }
    }

    /** On the ICE thread: a new session for the peer, or a restart of its current one. */
    private IceSession gatherOrRestart(OverlayPeer p, IceSession existing) throws IOException {
        if (existing == null) {
            return IceSession.create(mux, iceConfig, listener(p));
        }
        existing.restart();
        return existing;
    }

    /** ICE work for {@code p} finished: take an offer that came meanwhile. */
    private void done(OverlayPeer p) {
        p.busy = false;
        Offer pending = p.pendingOffer;
        p.pendingOffer = null;
        if (pending != null && !p.gone && health.acceptOffer(p, isProbe(p, pending))) {
            answer(p, pending);
        }
    }

    private IceListener listener(OverlayPeer p) {
        return new IceListener() {
            @Override
            public void onSelected(SelectedPath path) {
                post(() -> selected(p, path));
            }

            @Override
            public void onFailed(String reason) {
                post(() -> failed(p, reason));
            }

            @Override
            public void onProbeFailed(String reason) {
                post(() -> probes.failed(p, reason));
            }
        };
    }

    private void selected(OverlayPeer p, SelectedPath path) {
        if (p.gone) {
            return;
        }
        p.retryDelayNanos = FIRST_RETRY_NANOS;
        InetSocketAddress remote = path.remote().socketAddress();
        if (path.locallyRelayed()) {
            if (path.relayServer() == null || path.channel() < 0) {
                // The shared allocation has not confirmed the channel yet; the data plane cannot frame without it.
                p.awaitingChannel = path;
                p.channelSinceNanos = clock.nanoTime();
                p.channelProbeNanos = p.channelSinceNanos - CHANNEL_PROBE_NANOS;
                return;
            }
            relays.relay(remote, path.relayServer(), path.channel());
            p.path = path;
            LOG.log(Level.INFO, "link to {0}: {1} path {2} -> {3} through TURN server {4} channel 0x{5};"
                    + " handshaking over it", p, path.kind(), path.local().socketAddress(), remote,
                    path.relayServer(), Integer.toHexString(path.channel()));
            node.setEndpoint(p.peerId, remote, true);
            node.iceState(p.peerId, "relayed");
            health.selected(p);
            probes.selected(p);
            return;
        }
        relays.direct(remote);
        p.path = path;
        LOG.log(Level.INFO, "link to {0}: {1} path {2} -> {3}; handshaking over it", p, path.kind(),
                path.localBase(), path.nextHop());
        // The peer's relayed candidate: plain UDP from here, but through its TURN server all the same.
        boolean relayed = path.kind() == PathKind.RELAYED;
        node.setEndpoint(p.peerId, path.nextHop(), relayed);
        node.iceState(p.peerId, relayed ? "relayed" : "direct");
        health.selected(p);
        probes.selected(p);
    }

    /** A relayed path was selected before its channel was known: look again, give up after a while. */
    private int awaitChannel(OverlayPeer p, long now) {
        Optional<SelectedPath> current = p.ice == null ? Optional.empty() : p.ice.selectedPath();
        if (current.isPresent() && current.get().channel() >= 0) {
            p.awaitingChannel = null;
            selected(p, current.get());
            return 1;
        }
        if (p.ice != null && now - p.channelProbeNanos >= CHANNEL_PROBE_NANOS) {
            p.channelProbeNanos = now;
            try {
                p.ice.bindRelayChannel();
            } catch (IOException e) {
                LOG.log(Level.DEBUG, "{0}: cannot ask ice4j to bind a channel ({1})", p, e.getMessage());
            }
        }
        if (now - p.channelSinceNanos >= CHANNEL_WAIT_NANOS) {
            SelectedPath path = p.awaitingChannel;
            p.awaitingChannel = null;
            failed(p, "no TURN channel bound for the relayed path via " + path.relayServer() + " within "
                    + CHANNEL_WAIT_NANOS / 1_000_000_000L + " s");
            return 1;
        }
        return 0;
    }

    private void failed(OverlayPeer p, String reason) {
        if (p.gone) {
            return;
        }
        p.awaitingChannel = null;
        node.iceState(p.peerId, "failed");
        if (health.failed(p, reason)) {
            return;
        }
        p.path = null;
        if (topology.offers(p)) {
            LOG.log(Level.INFO, "link to {0} failed ({1}); ICE restart in {2} ms", p, reason,
                    p.retryDelayNanos / 1_000_000);
            scheduleRetry(p);
        } else {
            LOG.log(Level.INFO, "link to {0} failed ({1}); waiting for its new offer", p, reason);
        }
    }

    private void scheduleRetry(OverlayPeer p) {
        p.retryAtNanos = clock.nanoTime() + p.retryDelayNanos;
        if (p.retryAtNanos == 0) {
            p.retryAtNanos = 1;
        }
        p.retryDelayNanos = Math.min(p.retryDelayNanos * 2, MAX_RETRY_NANOS);
    }

    // Hooks for OverlayReload (node thread).

    NodeConfig config() {
        return config;
    }

    void config(NodeConfig next) {
        config = next;
    }

    Membership membership(String overlay) {
        return memberships.get(overlay);
    }

    void membership(String overlay, Membership m) {
        memberships.put(overlay, m);
    }

    IceConfig iceConfig() {
        return iceConfig;
    }

    /** New ICE sessions get {@code ice}; the running ones get its consent timeout. */
    void iceConfig(IceConfig ice) {
        iceConfig = ice;
        for (OverlayPeer p : peers.values()) {
            if (p.ice != null) {
                p.ice.consentTimeoutMs(ice.consentTimeoutMs());
            }
        }
    }

    /** The admitted members, a copy. */
    List<OverlayPeer> admitted() {
        return new ArrayList<>(peers.values());
    }

    /** The refused peers still in their rooms, a copy keyed by overlay/peer. */
    Map<String, NodeCertificate> refusedPresent() {
        return new HashMap<>(refusedPresent);
    }

    /** Disconnects an admitted member its overlay now refuses; its announcement is kept for a later reload. */
    void refuse(OverlayPeer p, String why) {
        drop(p, why);
        refusedPresent.put(p.overlay + "/" + p.name, p.certificate);
        refusalsLogged.add(p.overlay + "/" + p.name + "/" + p.certificate.fingerprint());
    }

    /** Runs {@code r} on the node's thread at its next duty cycle. Any thread. */
    void runOnNodeThread(Runnable r) {
        post(r);
    }

    private void drop(OverlayPeer p, String why) {
        p.gone = true;
        peers.remove(p.overlay + "/" + p.name);
        byPeerId.remove(p.peerId);
        node.removePeer(p.peerId);
        topology.leave(p.peerId, clock.nanoTime());
        if (p.ice != null) {
            closeLater(p.ice);
        }
        LOG.log(Level.INFO, "peer {0} removed: {1}", p, why);
    }

    /** Closing frees TURN allocations, a round trip: not on this thread. */
    private void closeLater(IceSession s) {
        try {
            iceThread.execute(s::close);
        } catch (RejectedExecutionException e) {
            s.close();
        }
    }

    /** A task that may throw, for the ICE thread. */
    private interface IceWork {
        void run() throws IOException;
    }

    private void submit(OverlayPeer p, IceWork work) {
        submit(p, work, e -> {
            if (!p.gone && topology.offers(p)) {
                scheduleRetry(p);
            }
        });
    }

    /** As {@link #submit(OverlayPeer, IceWork)}, with what to do on the node's thread when the work fails. */
    private void submit(OverlayPeer p, IceWork work, java.util.function.Consumer<Exception> onFailure) {
        try {
            iceThread.execute(() -> {
                try {
                    work.run();
                } catch (IOException | RuntimeException e) {
                    post(() -> {
                        LOG.log(Level.WARNING, "{0}: ICE work failed ({1})", p, String.valueOf(e));
                        p.busy = false;
                        onFailure.accept(e);
                    });
                }
            });
        } catch (RejectedExecutionException e) {
            p.busy = false; // closing
        }
    }

    private void post(Runnable r) {
        if (!closed) {
            inbox.add(r);
        }
    }

    /** Leaves the rooms and frees every ICE session (TURN allocations included), waiting a few seconds at most. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        signalling.close();
        for (OverlayPeer p : peers.values()) {
            if (p.ice != null) {
                iceThread.execute(p.ice::close);
            }
        }
        iceThread.shutdown();
        try {
            if (!iceThread.awaitTermination(10, TimeUnit.SECONDS)) {
                iceThread.shutdownNow();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        mux.close();
        transport.flush(port::inject); // the shared TURN allocations' releases
        transport.close();
    }
}
