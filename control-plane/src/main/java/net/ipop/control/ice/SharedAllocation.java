package net.ipop.control.ice;

import java.io.IOException;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.net.InetSocketAddress;
import java.net.SocketException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * One TURN allocation (RFC 8656) on one server from the shared transport's socket, shared by every ICE agent of
 * the node. A server grants one allocation per 5-tuple, and all agents send from the data plane's one socket, so
 * an allocation per agent would get a relayed candidate for the first agent only (437 Allocation Mismatch for the
 * others). Here each agent is a {@link User}: its relayed candidate is this allocation's relayed address, its
 * datagrams to a peer leave through the allocation, and what the server relays back is handed to the right
 * agent.
 *
 * <ul>
 *   <li><b>Peers.</b> The first datagram a user sends to a peer address takes the next free channel number and
 *       asks the maintenance thread to bind it (ChannelBind, which also installs the permission for the peer's IP
 *       address); until the binding is confirmed datagrams go as Send indications, then as ChannelData, which the
 *       data plane also uses for the relayed data ({@link User#channel}). A channel is never reused for another
 *       peer (RFC 8656 section 12: not for 5 minutes after it lapses), so an allocation binds at most 4096 peers;
 *       past that a peer gets a CreatePermission and Send indications.</li>
 *   <li><b>Demultiplexing.</b> What arrives (Data indications, ChannelData) carries the peer's address: a STUN
 *       request (a check) goes to the user whose agent's ufrag it names, a response to the user that sent the
 *       request, anything else to the user that last sent to that peer, or to every user if none did.</li>
 *   <li><b>Upkeep</b> ({@link #maintain}): the allocation is refreshed at half its granted lifetime, and each
 *       binding every {@link #BIND_REFRESH_NANOS} while a user has sent to its peer within {@link
 *       #PEER_IDLE_NANOS} (ICE consent checks do, every few seconds, while a relayed path is in use).</li>
 *   <li><b>Release.</b> When the last user is released the allocation lingers for {@link #LINGER_NANOS}, so that
 *       an ICE restart (which frees its agent before gathering again) finds it still there; then it is
 *       deleted (Refresh with lifetime 0).</li>
 * </ul>
 *
 * <p>Threading: {@link #send} from ice4j's threads, {@link #received} from the transport's receiving thread
 * (never blocks), {@link #maintain} and {@link #verify} block on exchanges with the server and run on the
 * maintenance or gathering threads. State is guarded by this object's lock, never held during an exchange.
 */
final class SharedAllocation {
    private static final Logger LOG = System.getLogger(SharedAllocation.class.getName());
    /** The lifetime asked for (RFC 8656's default). */
    static final int LIFETIME_SECONDS = 600;
    /** Permissions last 300 s, channels 600 s; a ChannelBind refreshes both. */
    static final long BIND_REFRESH_NANOS = 240_000_000_000L;
    /** How long a channel may be used after its binding was confirmed (its permission's lifetime). */
    static final long BIND_VALID_NANOS = 300_000_000_000L;
    /** A peer not sent to for this long is no longer kept bound. */
    static final long PEER_IDLE_NANOS = 300_000_000_000L;
    /** How long after a failed or unanswered request it is tried again. */
    static final long RETRY_NANOS = 2_000_000_000L;
    /** How long the allocation outlives its last user. */
    static final long LINGER_NANOS = 10_000_000_000L;
    static final int FIRST_CHANNEL = 0x4000;
    static final int LAST_CHANNEL = 0x4FFF;
    private static final int MAX_TRANSACTIONS = 1024;

    /** The server refused a request with an ERROR-CODE. */
    static final class RefusedException extends IOException {
        private static final long serialVersionUID = 1L;
        final int code;

        RefusedException(String what, int code) {
            super(what + " refused with " + code);
            this.code = code;
        }
    }

    /** One ICE agent's share of the allocation: the socket its relayed candidate sends and receives on. */
    final class User {
        private final String ufrag;
        final TransportDatagramSocket socket;
        private boolean released;

        private User(String ufrag) throws SocketException {
            this.ufrag = ufrag;
            this.socket = new TransportDatagramSocket(this::send, relayed);
        }

        private void send(InetSocketAddress peer, byte[] b, int off, int len) throws IOException {
            SharedAllocation.this.send(this, peer, b, off, len);
        }

        SharedAllocation allocation() {
            return SharedAllocation.this;
        }

        /** The channel bound for {@code peer}, or -1 if none is (yet). */
        int channel(InetSocketAddress peer) {
            return SharedAllocation.this.channel(peer);
        }

        /** Gives the user's share back (closes its socket); the last release starts the linger. Idempotent. */
        void release() {
            socket.close();
            SharedAllocation.this.release(this);
        }
    }

    private static final class Peer {
        final InetSocketAddress address;
        /** -1 when the channel numbers ran out: permission and Send indications only. */
        final int channel;
        long confirmedNanos = Long.MIN_VALUE;
        long lastUseNanos;
        long nextTryNanos;

        Peer(InetSocketAddress address, int channel, long now) {
            this.address = address;
            this.channel = channel;
            this.lastUseNanos = now;
            this.nextTryNanos = now;
        }

        boolean bound(long now) {
            return channel >= 0 && confirmedNanos != Long.MIN_VALUE && now - confirmedNanos < BIND_VALID_NANOS;
        }
    }

    private final TurnClient client;
    private final InetSocketAddress host;
    private final LongSupplier clock;
    private final Runnable wake;
    private InetSocketAddress relayed;
    private InetSocketAddress mapped;
    private long refreshAtNanos;
    private long confirmedNanos;
    private final List<User> users = new ArrayList<>();
    private long idleSinceNanos;
    private final Map<InetSocketAddress, Peer> peers = new HashMap<>();
    private final Map<Integer, Peer> byChannel = new HashMap<>();
    private int nextChannel = FIRST_CHANNEL;
    private final Map<InetSocketAddress, User> lastSender = new HashMap<>();
    private final Map<StunPackets.TransactionKey, User> transactions = new LinkedHashMap<>(64, 0.75f, false) {
        private static final long serialVersionUID = 1L;

        @Override
        protected boolean removeEldestEntry(Map.Entry<StunPackets.TransactionKey, User> eldest) {
            return size() > MAX_TRANSACTIONS;
        }
    };
    /** Deleted, or found gone on the server: no new users, nothing more sent. */
    private boolean ended;
    private long unrouted;

    private SharedAllocation(IceConfig.TurnServer server, InetSocketAddress host, TurnLink link, LongSupplier clock,
            Runnable wake) {
        this.client = new TurnClient(server, link);
        this.host = host;
        this.clock = clock;
        this.wake = wake;
    }

    /**
     * Allocates a UDP relay on {@code server} (blocking for the exchange).
     *
     * @param host  the local address the allocation is made from (the shared socket's)
     * @param clock nanoTime
     * @param wake  asks the maintenance thread to run {@link #maintain} soon (a peer waits for its binding)
     * @throws RefusedException if the server refused (437: the 5-tuple holds another allocation)
     * @throws IOException      if it did not answer or its answer lacks the relayed address
     */
    static SharedAllocation allocate(IceConfig.TurnServer server, InetSocketAddress host, TurnLink link,
            LongSupplier clock, Runnable wake) throws IOException, InterruptedException {
        SharedAllocation a = new SharedAllocation(server, host, link, clock, wake);
        byte[] answer = a.client.request(() -> TurnMessage.allocate(LIFETIME_SECONDS));
        if (answer == null) {
            throw new IOException("no answer to an Allocate from TURN server " + server.address());
        }
        if (StunPackets.type(answer, 0) != TurnMessage.ALLOCATE_SUCCESS) {
            throw new RefusedException("Allocate on " + server.address(), TurnRefresh.errorCode(answer, 0,
                    answer.length));
        }
        InetSocketAddress relayed = TurnMessage.xorAddress(answer, 0, answer.length,
                TurnMessage.ATTR_XOR_RELAYED_ADDRESS);
        InetSocketAddress mapped = TurnMessage.xorAddress(answer, 0, answer.length,
                TurnMessage.ATTR_XOR_MAPPED_ADDRESS);
        if (relayed == null || mapped == null) {
            throw new IOException("an Allocate success from " + server.address() + " without its addresses");
        }
        long now = clock.getAsLong();
        synchronized (a) {
            a.relayed = relayed;
            a.mapped = mapped;
            a.confirmedNanos = now;
            a.refreshAtNanos = now + refreshIn(answer);
            a.idleSinceNanos = now;
        }
        LOG.log(Level.INFO, "TURN allocation {0} on {1}, shared by this node''s ICE sessions", relayed,
                server.address());
        return a;
    }

    /** Half the granted lifetime (the asked one if the answer has none). */
    private static long refreshIn(byte[] answer) {
        long s = TurnMessage.lifetime(answer, 0, answer.length);
        return (s > 0 ? s : LIFETIME_SECONDS) * 500_000_000L;
    }

    IceConfig.TurnServer server() {
        return client.server();
    }

    /** The local address the allocation was made from (a relayed path's base on the shared socket). */
    InetSocketAddress host() {
        return host;
    }

    synchronized InetSocketAddress relayed() {
        return relayed;
    }

    /** This socket's address as the server saw it (a server-reflexive candidate). */
    synchronized InetSocketAddress mapped() {
        return mapped;
    }

    synchronized int users() {
        return users.size();
    }

    synchronized boolean ended() {
        return ended;
    }

    /** Datagrams from the server that no user took (unknown channel, unmatched check or response). */
    synchronized long unrouted() {
        return unrouted;
    }

    /**
     * A new share for the agent whose local ufrag is {@code ufrag}, or null if the allocation has ended
     * (make a new one).
     */
    User acquire(String ufrag) throws SocketException {
        synchronized (this) {
            if (ended) {
                return null;
            }
        }
        User u = new User(ufrag);
        synchronized (this) {
            if (ended) {
                u.socket.close();
                return null;
            }
            users.add(u);
        }
        return u;
    }

    private synchronized void release(User u) {
        if (u.released) {
            return;
        }
        u.released = true;
        users.remove(u);
        lastSender.values().removeIf(x -> x == u);
        transactions.values().removeIf(x -> x == u);
        if (users.isEmpty()) {
            idleSinceNanos = clock.getAsLong();
        }
    }

    /**
     * Whether the allocation may be shared further: if it was confirmed within {@code withinNanos} yes, else a
     * Refresh asks (blocking). A 437 (the server no longer knows it: restarted) ends it; no answer does not (the
     * server may be busy, and if it lost the allocation the next upkeep's refresh finds out).
     */
    boolean verify(long withinNanos) throws InterruptedException {
        synchronized (this) {
            if (ended) {
                return false;
            }
            if (clock.getAsLong() - confirmedNanos < withinNanos) {
                return true;
            }
        }
        refresh();
        return !ended();
    }

    /** A Refresh with {@link #LIFETIME_SECONDS}; true if granted. Blocks. */
    private boolean refresh() throws InterruptedException {
        byte[] answer;
        try {
            answer = client.request(() -> TurnMessage.refresh(LIFETIME_SECONDS));
        } catch (IOException e) {
            return false;
        }
        long now = clock.getAsLong();
        if (answer != null && StunPackets.type(answer, 0) == TurnRefresh.REFRESH_SUCCESS) {
            synchronized (this) {
                confirmedNanos = now;
                refreshAtNanos = now + refreshIn(answer);
            }
            return true;
        }
        int code = answer == null ? -1 : TurnRefresh.errorCode(answer, 0, answer.length);
        LOG.log(Level.WARNING, "TURN Refresh of {0} on {1}: {2}", relayed(), client.server().address(),
                answer == null ? "no answer" : "refused with " + code);
        synchronized (this) {
            if (code == TurnRefresh.ALLOCATION_MISMATCH) {
                ended = true; // the server lost it (restarted): users' paths fail and their restarts allocate anew
            } else {
                refreshAtNanos = now + RETRY_NANOS;
            }
        }
        return false;
    }

    /** Sends a user's datagram to {@code peer} through the relay. */
    private void send(User u, InetSocketAddress peer, byte[] b, int off, int len) throws IOException {
        long now = clock.getAsLong();
        Peer p;
        boolean fresh = false;
        boolean bound;
        synchronized (this) {
            if (ended || u.released) {
                throw new SocketException("the TURN allocation " + relayed + " is no longer this socket's");
            }
            if (StunPackets.isStun(b, off, len) && StunPackets.messageClass(b, off) == StunPackets.CLASS_REQUEST) {
                transactions.put(StunPackets.transaction(b, off), u);
            }
            lastSender.put(peer, u);
            p = peers.get(peer);
            if (p == null) {
                p = new Peer(peer, nextChannel <= LAST_CHANNEL ? nextChannel++ : -1, now);
                peers.put(peer, p);
                if (p.channel >= 0) {
                    byChannel.put(p.channel, p);
                }
                fresh = true;
            }
            if (now - p.lastUseNanos >= PEER_IDLE_NANOS) {
                fresh = true; // its binding may have lapsed: renew it now
                p.nextTryNanos = now;
            }
            p.lastUseNanos = now;
            bound = p.bound(now);
        }
        if (fresh) {
            wake.run();
        }
        client.send(bound ? TurnMessage.channelData(p.channel, b, off, len) : TurnMessage.send(peer, b, off, len));
    }

    /**
     * A datagram from this allocation's server; hands what it relays to a user's socket. The bytes are borrowed
     * for the call. Never blocks.
     *
     * @return false if it is not relayed data (a response, or not TURN at all): the caller routes it
     */
    boolean received(byte[] b, int off, int len) {
        InetSocketAddress peer;
        int data;
        int dataLength;
        List<User> targets;
        synchronized (this) {
            if (StunPackets.isChannelData(b, off, len)) {
                Peer p = byChannel.get(StunPackets.uint16(b, off));
                if (p == null) {
                    unrouted++;
                    return true;
                }
                peer = p.address;
                data = off + StunPackets.CHANNEL_DATA_HEADER;
                dataLength = StunPackets.uint16(b, off + 2);
            } else if (StunPackets.isStun(b, off, len) && StunPackets.type(b, off) == TurnMessage.DATA_INDICATION) {
                peer = TurnMessage.xorAddress(b, off, len, StunPackets.ATTR_XOR_PEER_ADDRESS);
                data = StunPackets.findAttribute(b, off, len, TurnMessage.ATTR_DATA);
                if (peer == null || data < 0) {
                    unrouted++;
                    return true;
                }
                dataLength = StunPackets.uint16(b, data - 2);
            } else {
                return false;
            }
            targets = route(peer, b, data, dataLength);
            if (targets.isEmpty()) {
                unrouted++;
                return true;
            }
        }
        for (User u : targets) {
            u.socket.enqueue(peer, b, data, dataLength);
        }
        return true;
    }

    private List<User> route(InetSocketAddress peer, byte[] b, int off, int len) {
        if (StunPackets.isStun(b, off, len)) {
            int cls = StunPackets.messageClass(b, off);
            if (cls == StunPackets.CLASS_REQUEST) {
                String ufrag = StunPackets.checkedUfrag(b, off, len);
                for (User u : users) {
                    if (u.ufrag.equals(ufrag)) {
                        return List.of(u);
                    }
                }
                return List.of();
            }
            if (cls == StunPackets.CLASS_SUCCESS || cls == StunPackets.CLASS_ERROR) {
                User u = transactions.remove(StunPackets.transaction(b, off));
                return u == null ? List.of() : List.of(u);
            }
        }
        User last = lastSender.get(peer);
        return last != null ? List.of(last) : List.copyOf(users);
    }

    /** The channel bound (and confirmed, still valid) for {@code peer}, or -1. */
    synchronized int channel(InetSocketAddress peer) {
        Peer p = peers.get(peer);
        return p != null && p.bound(clock.getAsLong()) ? p.channel : -1;
    }

    /**
     * Does what is due: deletes the allocation once it has lingered without users, refreshes it, binds new peers
     * and refreshes the bindings of peers in use. Blocks on the exchanges; call it from one thread at a time.
     *
     * @return false once the allocation has ended (deleted, or lost on the server)
     */
    boolean maintain() throws InterruptedException {
        long now = clock.getAsLong();
        boolean delete;
        boolean refreshDue;
        List<Peer> due = new ArrayList<>();
        synchronized (this) {
            if (ended) {
                return false;
            }
            delete = users.isEmpty() && now - idleSinceNanos >= LINGER_NANOS;
            if (delete) {
                ended = true;
            }
            refreshDue = now - refreshAtNanos >= 0;
            for (Peer p : peers.values()) {
                if (now - p.nextTryNanos >= 0 && now - p.lastUseNanos < PEER_IDLE_NANOS
                        && (p.confirmedNanos == Long.MIN_VALUE || now - p.confirmedNanos >= BIND_REFRESH_NANOS)) {
                    due.add(p);
                }
            }
        }
        if (delete) {
            deallocate();
            return false;
        }
        if (refreshDue && !refresh()) {
            return !ended();
        }
        for (Peer p : due) {
            bind(p);
        }
        return true;
    }

    /** ChannelBind (or CreatePermission past the last channel) for {@code p}; blocks. */
    private void bind(Peer p) throws InterruptedException {
        byte[] answer;
        try {
            answer = client.request(() -> p.channel >= 0 ? TurnMessage.channelBind(p.channel, p.address)
                    : TurnMessage.createPermission(p.address));
        } catch (IOException e) {
            answer = null;
        }
        long now = clock.getAsLong();
        int type = answer == null ? -1 : StunPackets.type(answer, 0);
        synchronized (this) {
            if (type == TurnMessage.CHANNEL_BIND_SUCCESS || type == TurnMessage.CREATE_PERMISSION_SUCCESS) {
                p.confirmedNanos = now;
            } else {
                p.nextTryNanos = now + RETRY_NANOS;
            }
        }
        if (type != TurnMessage.CHANNEL_BIND_SUCCESS && type != TurnMessage.CREATE_PERMISSION_SUCCESS) {
            LOG.log(Level.DEBUG, "TURN {0} for {1} on {2}: {3}", p.channel >= 0 ? "ChannelBind" : "CreatePermission",
                    p.address, client.server().address(), answer == null ? "no answer"
                            : "refused with " + TurnRefresh.errorCode(answer, 0, answer.length));
        }
    }

    /** Deletes the allocation on the server (Refresh with lifetime 0), waiting for the answer. */
    private void deallocate() throws InterruptedException {
        try {
            byte[] answer = client.request(() -> TurnMessage.refresh(0));
            LOG.log(Level.INFO, "TURN allocation {0} on {1} deleted after its last user: {2}", relayed(),
                    client.server().address(), answer == null ? "no answer" : StunPackets.type(answer, 0)
                            == TurnRefresh.REFRESH_SUCCESS ? "done" : "refused");
        } catch (IOException e) {
            LOG.log(Level.WARNING, "cannot delete TURN allocation {0}: {1}", relayed(), e.getMessage());
        }
    }

    /**
     * Ends the allocation now, without waiting: one authenticated Refresh with lifetime 0 is sent (if the nonce
     * has gone stale the server keeps the allocation until it expires, and the next node's first gathering frees
     * it, {@link TurnRelease}). For a node that is shutting down. Idempotent.
     */
    void endNow() {
        synchronized (this) {
            if (ended) {
                return;
            }
            ended = true;
        }
        try {
            client.sendOnce(TurnMessage.refresh(0));
        } catch (IOException e) {
            LOG.log(Level.DEBUG, "cannot send the release of TURN allocation {0}: {1}", relayed(), e.getMessage());
        }
    }
}
