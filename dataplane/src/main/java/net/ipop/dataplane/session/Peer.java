package net.ipop.dataplane.session;

import java.util.List;

import net.ipop.dataplane.route.Prefix;
import net.ipop.dataplane.route.RouteTable;

/**
 * One peer as the packet path sees it in a snapshot: its slot (the next-hop value routes point
 * at), name, the inner source prefixes it may send from, its endpoint, and its current and
 * previous sessions.
 *
 * <p>Immutable except for the {@link PeerEndpoint} memory, which is shared by every version of the
 * peer: a session change makes a new {@code Peer} ({@link #withSession}) and a new snapshot, while
 * roaming updates the endpoint in place. The {@link PeerLiveness} is shared the same way. Sending uses
 * {@link #sender(long)}; receiving accepts either session (the previous one covers packets in flight across a rekey).
 */
public final class Peer {
    private final int slot;
    private final String name;
    private final RouteTable allowedSources;
    private final PeerEndpoint endpoint;
    private final PeerLiveness liveness;
    private final Session current;
    private final Session previous;

    private Peer(int slot, String name, RouteTable allowedSources, PeerEndpoint endpoint, PeerLiveness liveness,
                 Session current, Session previous) {
        if (slot < 0) {
            throw new IllegalArgumentException("peer '" + name + "': slot " + slot + " is negative");
        }
        this.slot = slot;
        this.name = name;
        this.allowedSources = allowedSources;
        this.endpoint = endpoint;
        this.liveness = liveness;
        this.current = current;
        this.previous = previous;
    }

    /**
     * A peer without sessions and keepalives ({@link PeerLiveness#standard}); {@code allowedSources}
     * are the inner source prefixes it may use.
     */
    public static Peer create(int slot, String name, List<Prefix> allowedSources, PeerEndpoint endpoint) {
        return create(slot, name, allowedSources, endpoint, PeerLiveness.standard(System.nanoTime()));
    }

    /** As {@link #create(int, String, List, PeerEndpoint)}, with the peer's long-lived liveness record. */
    public static Peer create(int slot, String name, List<Prefix> allowedSources, PeerEndpoint endpoint,
                              PeerLiveness liveness) {
        RouteTable.Builder b = new RouteTable.Builder();
        for (Prefix p : allowedSources) {
            b.add(p, slot);
        }
        return new Peer(slot, name, b.build(), endpoint, liveness, null, null);
    }

    /** This peer with {@code session} as current and the old current as previous. */
    public Peer withSession(Session session) {
        return new Peer(slot, name, allowedSources, endpoint, liveness, session, current);
    }

    public int slot() {
        return slot;
    }

    public String name() {
        return name;
    }

    public PeerEndpoint endpoint() {
        return endpoint;
    }

    /** Keepalive timers and the down flag; shared by every version of the peer. */
    public PeerLiveness liveness() {
        return liveness;
    }

    /** The session to send with, or {@code null} before the first handshake completes. */
    public Session current() {
        return current;
    }

    /**
     * How long a session we answered waits for the initiator's first packet before it sends anyway. The initiator
     * installs the keys some time after the response arrives (its control plane, then IPC: seconds on a loaded
     * host) and then sends data or a keepalive under them at once ({@link Session#announcing()}), so the wait
     * normally ends with that packet; the bound (WireGuard's REKEY_TIMEOUT) covers a lost one, and a peer that
     * lost the previous session (its data plane restarted) can only be reached on the new one.
     */
    public static final long CONFIRMATION_GRACE_NANOS = 5_000_000_000L;

    /**
     * The session to send with at {@code nowNanos} ({@link System#nanoTime()}): the current one, unless we answered
     * it less than {@link #CONFIRMATION_GRACE_NANOS} ago, the peer has not used it yet and the previous one can
     * still send; then the previous one. A packet sealed under a session the initiator has not installed yet would
     * be dropped there as having no session (WireGuard's rule: a responder sends on new keys only after the
     * initiator's first packet under them; the grace bounds it, for a lost one).
     * {@code null} before the first handshake completes. Packet path: no allocation.
     */
    public Session sender(long nowNanos) {
        Session c = current;
        Session p = previous;
        if (c != null && p != null && !c.confirmed() && nowNanos - c.createdNanos() < CONFIRMATION_GRACE_NANOS
                && !p.signals().exhausted()) {
            return p;
        }
        return c;
    }

    /** The session replaced by the last rekey, or {@code null}. */
    public Session previous() {
        return previous;
    }

    /** Whether the peer may send from this IPv4 source (host byte order int, as {@link RouteTable#lookup4}). */
    public boolean allowsSource4(int address) {
        return allowedSources.lookup4(address) != RouteTable.NO_ROUTE;
    }

    /** Whether the peer may send from this IPv6 source. */
    public boolean allowsSource6(long hi, long lo) {
        return allowedSources.lookup6(hi, lo) != RouteTable.NO_ROUTE;
    }

    @Override
    public String toString() {
        return "peer " + slot + " '" + name + "'";
    }
}
