package net.ipop.dataplane.session;

import java.util.Arrays;

import net.ipop.dataplane.route.RouteTable;
import net.ipop.ffm.udp.SockAddr;

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
    /** The peers reached through a TURN server, for {@link #relayedPeer}. */
    private final Peer[] relayed;

    private PeerTable(Peer[] peers, RouteTable routes, LocalAddresses local) {
        this.peers = peers;
        this.routes = routes;
        this.sessions = SessionIndex.of(peers);
        this.local = local;
        int n = 0;
        for (Peer p : peers) {
            if (p != null && p.endpoint().relayed()) {
                n++;
            }
        }
        relayed = new Peer[n];
        n = 0;
        for (Peer p : peers) {
            if (p != null && p.endpoint().relayed()) {
                relayed[n++] = p;
            }
        }
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

    /**
     * The peer whose datagrams arrive as ChannelData on {@code channel} from the TURN server {@code source},
     * or {@code null}. A linear scan of the relayed peers (few: most paths are direct); no allocation.
     */
    public Peer relayedPeer(SockAddr source, int channel) {
        for (Peer p : relayed) {
            PeerEndpoint e = p.endpoint();
            if (e.channel() == channel && e.relay().sameEndpoint(source)) {
                return p;
            }
        }
        return null;
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
