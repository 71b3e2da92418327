package net.ipop.control.ice;

import java.beans.PropertyChangeEvent;
import java.io.IOException;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import org.ice4j.Transport;
import org.ice4j.TransportAddress;
import org.ice4j.ice.Agent;
import org.ice4j.ice.CandidatePair;
import org.ice4j.ice.Component;
import org.ice4j.ice.IceMediaStream;
import org.ice4j.ice.IceProcessingState;
import org.ice4j.ice.KeepAliveStrategy;
import org.ice4j.ice.LocalCandidate;
import org.ice4j.ice.NominationStrategy;
import org.ice4j.ice.RemoteCandidate;
import org.ice4j.ice.harvest.StunCandidateHarvester;

/**
 * ICE (RFC 8445) with one peer over a link: gathers host, server-reflexive and relayed candidates on the
 * shared transport, runs the connectivity checks with nomination once {@link #start} gives it the peer's
 * credentials and candidates, reports the nominated path, and then keeps checking consent on it
 * (RFC 7675). ICE restart ({@link #restart()}) replaces the ice4j agent: new credentials, new candidates,
 * the same transport, so the data plane's socket and the path it uses meanwhile are not disturbed.
 *
 * <p>A probe ({@link #probe()}) is a restart that does not replace anything until it has something better: a
 * second generation gathered next to the current one, with host and server-reflexive candidates only, whose
 * checks run while the current generation keeps its path, its consent checks and its TURN allocation. If it
 * selects a direct pair it becomes the current generation (reported by {@link IceListener#onSelected}) and the
 * old one is freed {@link #LINGER_MS} later, its allocation with it; otherwise it is freed and reported by
 * {@link IceListener#onProbeFailed}, and the current generation goes on as if nothing happened. A probe gathers
 * no relayed candidate because the TURN server holds one allocation per 5-tuple (the data plane's socket), and
 * the current generation's is the one in use: a second Allocate there would be refused (437), and releasing the
 * first to make room would cut the relayed path before a direct one is known to work. The TURN servers are
 * asked for the probe's server-reflexive candidate as STUN servers (a Binding request needs no allocation).
 *
 * <p>Lifecycle: {@link #create} (gathers; blocks up to ice4j's harvest timeout if a server does not
 * answer) → signal {@link #localCredentials()} and {@link #localCandidates()} → {@link #start} → {@link
 * IceListener#onSelected} or {@link IceListener#onFailed} → optionally {@link #restart()} and {@link
 * #start} again → {@link #close()}.
 *
 * <p>Threading: the public methods are thread-safe. Listener calls come from ice4j's threads or the
 * session's consent watchdog thread, never under the session's lock.
 */
public final class IceSession implements AutoCloseable {
    private static final Logger LOG = System.getLogger(IceSession.class.getName());
    private static final String STREAM = "ipop";
    private static final long WATCHDOG_PERIOD_MS = 500;
    private static final long FREE_TIMEOUT_MS = 5000;
    /**
     * How long a generation a probe replaced stays allocated: the peer switches to the direct pair when its own
     * end of the probe completes, a moment later, and may send over the relay until then.
     */
    static final long LINGER_MS = 5000;

    /** One ice4j agent and everything it owns; a restart makes a new one. */
    private final class Generation {
        final Agent agent;
        final IceMediaStream stream;
        final Component component;
        final AgentSockets sockets;
        volatile boolean started;
        volatile boolean reported;
        volatile long selectedAtMs;

        Generation(Agent agent, IceMediaStream stream, Component component, AgentSockets sockets) {
            this.agent = agent;
            this.stream = stream;
            this.component = component;
            this.sockets = sockets;
        }

        void onStateChange(PropertyChangeEvent e) {
            if (!(e.getNewValue() instanceof IceProcessingState state)) {
                return;
            }
            if (probing == this) {
                probeStateChange(this, state);
                return;
            }
            if (current != this) {
                return;
            }
            if (state == IceProcessingState.COMPLETED) {
                CandidatePair pair = component.getSelectedPair();
                if (pair == null) {
                    fail(this, "ICE completed without a selected pair");
                    return;
                }
                selectedAtMs = System.currentTimeMillis();
                SelectedPath path = path(this, pair);
                LOG.log(Level.INFO, "ICE selected {0} path {1} -> {2}", path.kind(), path.local(), path.remote());
                listener.onSelected(path);
            } else if (state == IceProcessingState.FAILED) {
                fail(this, "ICE failed: no candidate pair passed its connectivity checks");
            }
        }

        /**
         * Frees the agent (ice4j stops its checks and keep-alives) for at most {@link #FREE_TIMEOUT_MS}, then closes
         * the sockets, which also wakes any ice4j thread still reading, and gives back its shares of the TURN
         * allocations.
         */
        void free() {
            Thread freeing = Thread.ofPlatform().daemon().name("ice-free").start(agent::free);
            try {
                freeing.join(FREE_TIMEOUT_MS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            if (freeing.isAlive()) {
                LOG.log(Level.WARNING, "ice4j took over {0} ms to free its agent; closing its sockets anyway",
                        FREE_TIMEOUT_MS);
            }
            sockets.close();
        }
    }

    private final IceMux mux;
    private final IceConfig config;
    /** The config's, until a reload changes it ({@link #consentTimeoutMs(long)}); read by the consent watchdog. */
    private volatile long consentTimeoutMs;
    private final IceListener listener;
    private final ScheduledExecutorService watchdog;
    private volatile Generation current;
    /** A probe's generation next to {@link #current}, or null. Changed under the session's lock. */
    private volatile Generation probing;
    /** Generations a probe replaced, freed {@link #LINGER_MS} later (or at {@link #close()}). Guarded by this. */
    private final List<Generation> lingering = new ArrayList<>();
    private boolean closed;

    private IceSession(IceMux mux, IceConfig config, IceListener listener) {
        this.mux = mux;
        this.config = config;
        this.consentTimeoutMs = config.consentTimeoutMs();
        this.listener = listener;
        this.watchdog = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "ice-consent");
            t.setDaemon(true);
            return t;
        });
    }

    /**
     * Makes a session on {@code mux}'s transport and gathers its candidates.
     *
     * @throws IOException if no host candidate could be made (the transport has no usable address)
     */
    public static IceSession create(IceMux mux, IceConfig config, IceListener listener) throws IOException {
        Objects.requireNonNull(listener, "listener");
        Ice4jSettings.apply();
        IceSession session = new IceSession(mux, config, listener);
        try {
            // An allocation a killed control plane left on the 5-tuple would make this gathering's Allocate fail.
            TurnRelease.beforeFirstGathering(mux, config.turnServers());
            session.current = session.gather();
        } catch (IOException | RuntimeException e) {
            session.watchdog.shutdownNow();
            throw e;
        }
        session.watchdog.scheduleWithFixedDelay(session::checkConsent, WATCHDOG_PERIOD_MS, WATCHDOG_PERIOD_MS,
                TimeUnit.MILLISECONDS);
        return session;
    }

    /**
     * A new ice4j agent with its candidates: host candidates on the shared transport, server-reflexive ones from
     * the STUN servers, and from each TURN server a server-reflexive and a relayed candidate on the node's one
     * allocation there, shared with the other sessions ({@link SharedTurnHarvester}). Blocks while gathering.
     */
    private Generation gather() throws IOException {
        return gather(true);
    }

    /**
     * As {@link #gather()}; without {@code relay}, the TURN servers are asked as STUN servers only (a probe's
     * generation: see {@link #probe()}).
     */
    private Generation gather(boolean relay) throws IOException {
        Agent agent = new Agent();
        AgentSockets sockets = AgentSockets.open(mux, agent.getLocalUfrag());
        try {
            agent.setUseDynamicPorts(false);
            agent.setPerformConsentFreshness(true);
            // ice4j nominates the first pair that validates by default, which may be a relayed one although a
            // direct pair works a moment later (seen on a LAN: host -> the peer's relay). Relayed pairs are
            // nominated only when no host or reflexive pair has validated for a while.
            agent.setNominationStrategy(NominationStrategy.NOMINATE_FIRST_HOST_OR_REFLEXIVE_VALID);
            agent.addCandidateHarvester(new TransportHostHarvester(sockets));
            for (InetSocketAddress stun : config.stunServers()) {
                agent.addCandidateHarvester(new StunCandidateHarvester(new TransportAddress(stun, Transport.UDP)));
            }
            for (IceConfig.TurnServer turn : config.turnServers()) {
                if (relay) {
                    agent.addCandidateHarvester(new SharedTurnHarvester(sockets, turn));
                } else if (!config.stunServers().contains(turn.address())) {
                    agent.addCandidateHarvester(new StunCandidateHarvester(
                            new TransportAddress(turn.address(), Transport.UDP)));
                }
            }
            IceMediaStream stream = agent.createMediaStream(STREAM);
            Component component = agent.createComponent(stream, KeepAliveStrategy.SELECTED_ONLY, true);
            if (component.getLocalCandidateCount() == 0) {
                throw new IOException("no host candidate on " + mux.transport().hostAddresses());
            }
            Generation g = new Generation(agent, stream, component, sockets);
            agent.addStateChangeListener(g::onStateChange);
            return g;
        } catch (IOException | RuntimeException e) {
            agent.free();
            sockets.close();
            throw e;
        }
    }

    /** This end's credentials for the current ICE generation (fresh from {@code SecureRandom} each time). */
    public IceCredentials localCredentials() {
        Generation g = current;
        return new IceCredentials(g.agent.getLocalUfrag(), g.agent.getLocalPassword());
    }

    /** This end's candidates for the current generation, highest priority first. */
    public List<IceCandidate> localCandidates() {
        return candidates(current);
    }

    private static List<IceCandidate> candidates(Generation g) {
        List<IceCandidate> out = new ArrayList<>();
        for (LocalCandidate c : g.component.getLocalCandidates()) {
            out.add(Candidates.fromIce4j(c));
        }
        out.sort((a, b) -> Long.compare(b.priority(), a.priority()));
        return out;
    }

    /**
     * Starts the connectivity checks against the peer's credentials and candidates. The controlling
     * side nominates; the two ends must agree on who controls (ice4j resolves a conflict by tie-breaker).
     *
     * @throws IllegalStateException if this generation was already started (call {@link #restart()} first)
     */
    public synchronized void start(IceCredentials remote, List<IceCandidate> remoteCandidates, boolean controlling) {
        if (closed) {
            throw new IllegalStateException("the ICE session is closed");
        }
        begin(current, remote, remoteCandidates, controlling);
    }

    private void begin(Generation g, IceCredentials remote, List<IceCandidate> remoteCandidates,
            boolean controlling) {
        if (g.started) {
            throw new IllegalStateException("ICE already started for this generation; restart() first");
        }
        g.started = true;
        g.stream.setRemoteUfrag(remote.ufrag());
        g.stream.setRemotePassword(remote.password());
        List<RemoteCandidate> added = new ArrayList<>();
        for (IceCandidate c : remoteCandidates) {
            if (c.component() != g.component.getComponentID()) {
                continue;
            }
            RemoteCandidate r = Candidates.toIce4j(c, g.component, added);
            added.add(r);
        }
        g.component.addRemoteCandidates(added);
        g.agent.setControlling(controlling);
        g.agent.startConnectivityEstablishment();
    }

    /**
     * ICE restart (RFC 8445 section 9): frees the current agent (its checks, its shares of the TURN allocations), and
     * a probe's if one is under way, and gathers again with new credentials. Signal the new credentials and
     * candidates and call {@link #start} again; until then nothing is selected and no consent is checked. The new
     * agent shares the node's TURN allocations again (an allocation outlives its last share by a few seconds, {@link
     * SharedAllocation}), so its relayed candidate is the same address. Blocks while gathering: call it on a thread
     * that may wait.
     */
    public synchronized void restart() throws IOException {
        if (closed) {
            throw new IllegalStateException("the ICE session is closed");
        }
        Generation old = current;
        old.reported = true; // its checks and consent end here: no failure to report for it
        Generation probe = probing;
        probing = null;
        if (probe != null) {
            probe.free();
        }
        old.free();
        current = gather();
    }

    /**
     * Gathers a probe generation (host and server-reflexive candidates, no allocation) next to the current one,
     * which goes on undisturbed; a probe still under way is freed first. Signal {@link #probeCredentials()} and
     * {@link #probeCandidates()} and call {@link #startProbe}. Blocks while gathering (STUN round trips): call it on
     * a thread that may wait.
     */
    public synchronized void probe() throws IOException {
        if (closed) {
            throw new IllegalStateException("the ICE session is closed");
        }
        Generation old = probing;
        probing = null;
        if (old != null) {
            old.free();
        }
        probing = gather(false);
    }

    /** The probe generation's credentials. @throws IllegalStateException if no probe is under way */
    public IceCredentials probeCredentials() {
        Generation g = probeGeneration();
        return new IceCredentials(g.agent.getLocalUfrag(), g.agent.getLocalPassword());
    }

    /** The probe generation's candidates, highest priority first. @throws IllegalStateException if no probe */
    public List<IceCandidate> probeCandidates() {
        return candidates(probeGeneration());
    }

    /**
     * Starts the probe's checks, as {@link #start} does the current generation's.
     *
     * @throws IllegalStateException if no probe is under way, or it was started already
     */
    public synchronized void startProbe(IceCredentials remote, List<IceCandidate> remoteCandidates,
            boolean controlling) {
        if (closed) {
            throw new IllegalStateException("the ICE session is closed");
        }
        begin(probeGeneration(), remote, remoteCandidates, controlling);
    }

    /** Whether a probe generation exists (gathered, maybe started, not yet promoted or ended). */
    public boolean probing() {
        return probing != null;
    }

    /** Whether the probe generation's checks were started (false also when there is none). */
    public boolean probeStarted() {
        Generation g = probing;
        return g != null && g.started;
    }

    /**
     * Ends the probe under way, if any, without a report: its agent is freed (no allocation, so no round trip to
     * wait for). The current generation is not touched. Call it on a thread that may wait a moment.
     */
    public void abandonProbe() {
        Generation g;
        synchronized (this) {
            g = probing;
            probing = null;
        }
        if (g != null) {
            g.free();
        }
    }

    private Generation probeGeneration() {
        Generation g = probing;
        if (g == null) {
            throw new IllegalStateException("no ICE probe under way");
        }
        return g;
    }

    /** ice4j's thread: the probe finished; a direct pair takes over, anything else ends it. */
    private void probeStateChange(Generation g, IceProcessingState state) {
        if (state == IceProcessingState.FAILED) {
            endProbe(g, "no direct pair passed its connectivity checks");
            return;
        }
        if (state != IceProcessingState.COMPLETED) {
            return;
        }
        CandidatePair pair = g.component.getSelectedPair();
        if (pair == null) {
            endProbe(g, "completed without a selected pair");
            return;
        }
        SelectedPath path = path(g, pair);
        if (path.kind() != PathKind.DIRECT) {
            endProbe(g, "selected only a relayed pair, " + path.local().socketAddress() + " -> "
                    + path.remote().socketAddress());
            return;
        }
        Generation old;
        synchronized (this) {
            if (probing != g || closed) {
                return;
            }
            probing = null;
            old = current;
            old.reported = true; // its consent no longer matters: no failure to report for it
            g.selectedAtMs = System.currentTimeMillis();
            current = g;
            lingering.add(old);
        }
        LOG.log(Level.INFO, "ICE probe selected {0} path {1} -> {2}; the previous path is freed in {3} ms",
                path.kind(), path.local(), path.remote(), Long.toString(LINGER_MS));
        try {
            watchdog.schedule(() -> retire(old), LINGER_MS, TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            retire(old); // closing: close() frees what is still lingering
        }
        listener.onSelected(path);
    }

    private void endProbe(Generation g, String reason) {
        synchronized (this) {
            if (probing != g) {
                return;
            }
            probing = null;
        }
        LOG.log(Level.INFO, "ICE probe ended: {0}; the current path stays", reason);
        // Not on ice4j's thread that reports the state: freeing the agent waits for its threads.
        Thread.ofPlatform().daemon().name("ice-free").start(g::free);
        listener.onProbeFailed(reason);
    }

    /** The watchdog's thread: frees a generation a probe replaced, unless {@link #close()} did. */
    private void retire(Generation g) {
        synchronized (this) {
            if (!lingering.remove(g)) {
                return;
            }
        }
        Thread.ofPlatform().daemon().name("ice-free").start(g::free);
    }

    /** Whether {@link #start} was called for the current generation (false: fresh, its candidates unused). */
    public boolean started() {
        return current.started;
    }

    /** The nominated path of the current generation, with the TURN channel as known now, if any. */
    public Optional<SelectedPath> selectedPath() {
        Generation g = current;
        CandidatePair pair = g.component.getSelectedPair();
        return pair == null ? Optional.empty() : Optional.of(path(g, pair));
    }

    /**
     * Sends one byte over the selected pair, so that a relayed local candidate's shared allocation binds (or
     * renews) a TURN channel to the peer and {@link SelectedPath#channel()} becomes known: the checks normally
     * have bound it already, and the data itself flows in the data plane, never through ice4j. The byte goes as
     * a Send indication while the channel is being bound; the peer's data plane drops it as malformed, or its ICE
     * agent ignores it. Does nothing when no pair is selected.
     *
     * @throws IOException if ice4j cannot send on the pair
     */
    public void bindRelayChannel() throws IOException {
        Generation g = current;
        if (g.component.getSelectedPair() != null) {
            g.component.send(CHANNEL_PROBE, 0, CHANNEL_PROBE.length);
        }
    }

    private static final byte[] CHANNEL_PROBE = {0};

    /** ice4j's component, for sending data over the selected pair without a data plane (tests). */
    Component component() {
        return current.component;
    }

    private SelectedPath path(Generation g, CandidatePair pair) {
        LocalCandidate local = pair.getLocalCandidate();
        IceCandidate l = Candidates.fromIce4j(local);
        IceCandidate r = Candidates.fromIce4j(pair.getRemoteCandidate());
        InetSocketAddress remote = r.socketAddress();
        boolean localRelay = l.type() == IceCandidate.Type.RELAYED;
        PathKind kind = localRelay || r.type() == IceCandidate.Type.RELAYED ? PathKind.RELAYED : PathKind.DIRECT;
        if (!localRelay) {
            LocalCandidate base = local.getBase() == null ? local : local.getBase();
            InetSocketAddress from = plain(base.getTransportAddress());
            return new SelectedPath(l, r, kind, from, remote, null, -1);
        }
        InetSocketAddress server = plain(local.getRelayServerAddress());
        InetSocketAddress from = mux.transport().hostAddresses().getFirst();
        int channel = -1;
        if (local instanceof SharedRelayCandidate shared) {
            from = shared.user().allocation().host();
            channel = shared.user().channel(remote);
        }
        return new SelectedPath(l, r, kind, from, server == null ? remote : server, server, channel);
    }

    private static InetSocketAddress plain(TransportAddress a) {
        return a == null ? null : new InetSocketAddress(a.getAddress(), a.getPort());
    }

    /** Changes how long the selected path may stay silent before it counts as failed (a reload). Any thread. */
    public void consentTimeoutMs(long ms) {
        if (ms < 1000) {
            throw new IllegalArgumentException("consentTimeoutMs must be at least 1000: " + ms);
        }
        consentTimeoutMs = ms;
    }

    private void checkConsent() {
        try {
            Generation g = current;
            if (g.reported || g.selectedAtMs == 0) {
                return;
            }
            CandidatePair pair = g.component.getSelectedPair();
            if (pair == null) {
                return;
            }
            long last = Math.max(g.selectedAtMs, pair.getConsentFreshness());
            long silentMs = System.currentTimeMillis() - last;
            if (silentMs > consentTimeoutMs) {
                fail(g, "consent lost: no answer on the selected path for " + silentMs + " ms");
            }
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "consent watchdog failed", e);
        }
    }

    private void fail(Generation g, String reason) {
        if (current != g || g.reported) {
            return;
        }
        g.reported = true;
        LOG.log(Level.INFO, "ICE session failed: {0}", reason);
        listener.onFailed(reason);
    }

    /** Frees the agents (releasing TURN allocations; a probe's too) and stops the watchdog. Idempotent. */
    @Override
    public void close() {
        Generation g;
        Generation probe;
        List<Generation> old;
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            g = current;
            probe = probing;
            probing = null;
            old = new ArrayList<>(lingering);
            lingering.clear();
        }
        watchdog.shutdownNow();
        if (probe != null) {
            probe.free();
        }
        for (Generation o : old) {
            o.free();
        }
        g.free();
    }
}
