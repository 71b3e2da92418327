package net.ipop.dataplane.session;

import java.util.Arrays;

import net.ipop.dataplane.route.RouteTable;

/**
 * One immutable snapshot of what the packet path reads: peers by slot, the overlay routes (next
 * hop = peer slot) and the session index. A pipeline loads the current snapshot once per batch
 * ({@link PeerTableHolder#acquire()}) and uses only that snapshot for the batch, so a batch never
 * sees half of a change.
 *
 * <p>Built and published only by the single writer (the conductor), see {@link Builder}.
 */
public final class PeerTable {
    private static final PeerTable EMPTY = new PeerTable(new Peer[0], RouteTable.empty(), LocalAddresses.NONE);

    private final Peer[] peers;
    private final RouteTable routes;
    private final SessionIndex sessions;
    private final LocalAddresses local;

    private PeerTable(Peer[] peers, RouteTable routes, LocalAddresses local) {
        this.peers = peers;
        this.routes = routes;
        this.sessions = SessionIndex.of(peers);
        this.local = local;
    }

    public static PeerTable empty() {
        return EMPTY;
    }

    /** The peer in {@code slot}, or {@code null} (also for a slot out of range, e.g. NO_ROUTE). */
    public Peer peer(int slot) {
        return slot >= 0 && slot < peers.length ? peers[slot] : null;
    }

    /** One more than the highest slot a peer may be in: iterate {@code peer(0 .. slots() - 1)}. */
    public int slots() {
        return peers.length;
    }

    public RouteTable routes() {
        return routes;
    }

    public SessionIndex sessions() {
        return sessions;
    }

    /** This node's own overlay addresses (the source of ICMP errors it sends). */
    public LocalAddresses local() {
        return local;
    }

    /** Single-writer builder of the next snapshot; allocates freely (control path). */
    public static final class Builder {
        private Peer[] peers;
        private RouteTable routes;
        private LocalAddresses local;

        public Builder() {
            this(EMPTY);
        }

        public Builder(PeerTable from) {
            peers = from.peers.clone();
            routes = from.routes;
            local = from.local;
        }

        /** Adds or replaces the peer in its slot. */
        public Builder put(Peer peer) {
            if (peer.slot() >= peers.length) {
                peers = Arrays.copyOf(peers, Math.max(peer.slot() + 1, peers.length * 2));
            }
            peers[peer.slot()] = peer;
            return this;
        }

        public Builder remove(int slot) {
            if (slot < peers.length) {
                peers[slot] = null;
            }
            return this;
        }

        public Builder routes(RouteTable value) {
            routes = value;
            return this;
        }

        public Builder local(LocalAddresses value) {
            local = value;
            return this;
        }

        /** @throws IllegalArgumentException if two sessions share a local index */
        public PeerTable build() {
            return new PeerTable(peers.clone(), routes, local);
        }
    }
}
