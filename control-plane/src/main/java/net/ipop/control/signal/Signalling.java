package net.ipop.control.signal;

import java.security.SecureRandom;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.logging.Level;
import java.util.logging.Logger;

import javax.net.SocketFactory;

import net.ipop.control.config.SignallingConfig;
import net.ipop.crypto.cert.NodeCertificate;

/**
 * A node's signalling over XMPP, for all its overlays: each overlay joined has its own account,
 * connection and room ({@link SignallingConfig}). What is heard (peers present and gone, offers,
 * answers) is queued and handed to a {@link SignallingListener} by {@link #poll}.
 *
 * <p><b>Threads.</b> Smack reads each connection on its own threads; those only check stanzas and
 * put events on one bounded queue (a full queue drops and counts, {@link DropReason#QUEUE_FULL}).
 * The control plane's single thread calls {@link #poll} from its duty cycle and gets every callback
 * there, so its tables keep one writer. {@link #join}, {@link #leave} and the senders may be called
 * from that thread too; {@code join} blocks while it connects (bounded by the configured timeout,
 * a few times over), the senders only write to a socket. Lost connections are re-established by
 * Smack's reconnection manager, after which the room is joined and the announcement sent again.
 *
 * <p><b>Errors.</b> Bad input from the network never throws: it is logged, counted by reason
 * ({@link #dropped}) and dropped. Calls that cannot do their job throw {@link SignallingException}
 * naming the overlay and the cause.
 */
public final class Signalling implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(Signalling.class.getName());
    /** Enough for a burst from a full room of a few hundred peers re-announcing at once. */
    public static final int DEFAULT_QUEUE_CAPACITY = 4096;
    private static final int LOGGED_IN_FULL = 16;

    private final Options options;
    private final SecureRandom random = new SecureRandom();
    private final BlockingQueue<SignalEvent> queue;
    private final AtomicLongArray drops = new AtomicLongArray(DropReason.values().length);
    private final Map<String, OverlayClient> overlays = new ConcurrentHashMap<>();
    private final OverlayClient.EventSink sink = new OverlayClient.EventSink() {
        @Override
        public void post(SignalEvent event) {
            if (!queue.offer(event)) {
                drop(DropReason.QUEUE_FULL, event.overlay(), event.getClass().getSimpleName() + " from "
                        + event.peerId());
            }
        }

        @Override
        public void drop(DropReason reason, String overlay, String detail) {
            long n = drops.incrementAndGet(reason.ordinal());
            // The first few in full, then at powers of two: a peer sending garbage cannot flood the log.
            if (n <= LOGGED_IN_FULL || Long.bitCount(n) == 1) {
                LOG.warning(() -> overlay + ": dropped (" + reason.name().toLowerCase(Locale.ROOT) + ", " + n
                        + " so far): " + detail);
            }
        }
    };

    /**
     * How the connections are made.
     *
     * @param socketFactory         makes the TCP sockets; the default one, or one that opens them elsewhere
     *                              (tests open them inside a network namespace)
     * @param reconnectDelaySeconds fixed delay between reconnection attempts, or 0 for Smack's random,
     *                              increasing delay (the default: servers restarted under many nodes are not
     *                              hit by all of them at once)
     * @param queueCapacity         events held for {@link #poll} before new ones are dropped
     */
    public record Options(SocketFactory socketFactory, int reconnectDelaySeconds, int queueCapacity) {
        public Options {
            if (reconnectDelaySeconds < 0 || queueCapacity < 1) {
                throw new IllegalArgumentException("reconnectDelaySeconds >= 0 and queueCapacity >= 1");
            }
        }

        public static Options defaults() {
            return new Options(SocketFactory.getDefault(), 0, DEFAULT_QUEUE_CAPACITY);
        }
    }

    public Signalling(Options options) {
        this.options = options;
        this.queue = new ArrayBlockingQueue<>(options.queueCapacity());
        SignalProvider.register();
    }

    /**
     * Connects to the overlay's server, logs in with its account and joins its room, announcing
     * {@code certificate} (the node's certificate from that overlay's CA; its name is the node's nick).
     *
     * @throws SignallingException if the password file, server, login or room fail; nothing is left open
     * @throws IllegalStateException if this overlay is joined already
     */
    public void join(SignallingConfig config, NodeCertificate certificate) throws SignallingException {
        if (overlays.containsKey(config.overlay())) {
            throw new IllegalStateException("overlay " + config.overlay() + " is joined already");
        }
        OverlayClient client = new OverlayClient(config, certificate, options.socketFactory(), sink, random,
                options.reconnectDelaySeconds());
        try {
            client.start();
        } catch (SignallingException | RuntimeException e) {
            client.close();
            throw e;
        }
        overlays.put(config.overlay(), client);
    }

    /** Leaves the overlay's room and closes its connection; nothing happens if it is not joined. */
    public void leave(String overlay) {
        OverlayClient c = overlays.remove(overlay);
        if (c != null) {
            c.close();
        }
    }

    /** Re-announces with a renewed certificate (same node name) in {@code overlay}. */
    public void announce(String overlay, NodeCertificate certificate) throws SignallingException {
        client(overlay).announce(certificate);
    }

    /**
     * Sends an offer with fresh random ICE credentials and a fresh session id to a peer present in
     * {@code overlay}, and returns it: the caller's ICE agent uses the credentials it holds.
     */
    public Offer sendOffer(String overlay, String peerId, List<Candidate> candidates) throws SignallingException {
        return client(overlay).sendOffer(peerId, candidates);
    }

    /**
     * Sends an offer carrying {@code credentials}, the ones the caller's ICE agent drew for this session
     * (ice4j draws fresh ones from a {@code SecureRandom} per agent, and checks arrive for its own), with a
     * fresh session id.
     */
    public Offer sendOffer(String overlay, String peerId, IceCredentials credentials, List<Candidate> candidates)
            throws SignallingException {
        return client(overlay).sendOffer(peerId, credentials, candidates);
    }

    /** Answers the offer {@code sessionId} with the credentials of the caller's ICE agent for this session. */
    public Answer sendAnswer(String overlay, String peerId, String sessionId, IceCredentials credentials,
            List<Candidate> candidates) throws SignallingException {
        return client(overlay).sendAnswer(peerId, sessionId, credentials, candidates);
    }

    /** Answers the offer {@code sessionId} of a peer with fresh random ICE credentials; returns the answer sent. */
    public Answer sendAnswer(String overlay, String peerId, String sessionId, List<Candidate> candidates)
            throws SignallingException {
        return client(overlay).sendAnswer(peerId, sessionId, candidates);
    }

    /**
     * Delivers up to {@code limit} queued events to {@code listener} on the calling thread, in the
     * order they arrived per overlay, and returns how many (0 when idle: an agent's work count).
     */
    public int poll(SignallingListener listener, int limit) {
        int n = 0;
        SignalEvent e;
        while (n < limit && (e = queue.poll()) != null) {
            n++;
            try {
                e.deliverTo(listener);
            } catch (RuntimeException ex) {
                LOG.log(Level.WARNING, "signalling listener failed on " + e, ex);
            }
        }
        return n;
    }

    /** As {@link #poll}, but waits up to {@code timeoutMs} for the first event; for a thread that has nothing else to do. */
    public int poll(SignallingListener listener, int limit, long timeoutMs) throws InterruptedException {
        if (limit <= 0) {
            return 0;
        }
        SignalEvent first = queue.poll(timeoutMs, TimeUnit.MILLISECONDS);
        if (first == null) {
            return 0;
        }
        try {
            first.deliverTo(listener);
        } catch (RuntimeException ex) {
            LOG.log(Level.WARNING, "signalling listener failed on " + first, ex);
        }
        return 1 + poll(listener, limit - 1);
    }

    /** Peers present in {@code overlay} now (seen from Smack's side; the listener may not have heard of them yet). */
    public Set<String> peers(String overlay) {
        OverlayClient c = overlays.get(overlay);
        return c == null ? Set.of() : c.peers();
    }

    /** The overlays joined. */
    public Set<String> overlays() {
        return Set.copyOf(overlays.keySet());
    }

    /** How many received stanzas were dropped for {@code reason}, over all overlays, since this was made. */
    public long dropped(DropReason reason) {
        return drops.get(reason.ordinal());
    }

    /** All drop counters, by reason. */
    public Map<DropReason, Long> dropped() {
        Map<DropReason, Long> m = new EnumMap<>(DropReason.class);
        for (DropReason r : DropReason.values()) {
            m.put(r, drops.get(r.ordinal()));
        }
        return m;
    }

    /** How many times {@code overlay}'s room has been joined: 1, plus one per reconnection. */
    public int joins(String overlay) {
        return client(overlay).joins();
    }

    private OverlayClient client(String overlay) {
        OverlayClient c = overlays.get(overlay);
        if (c == null) {
            throw new IllegalStateException("overlay " + overlay + " is not joined");
        }
        return c;
    }

    /** Leaves every overlay. */
    @Override
    public void close() {
        for (String o : Set.copyOf(overlays.keySet())) {
            leave(o);
        }
    }
}
