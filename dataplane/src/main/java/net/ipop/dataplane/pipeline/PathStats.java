package net.ipop.dataplane.pipeline;

/**
 * Plain per-pipeline counters of the packet path. Written only by the pipeline's thread; other
 * threads may read them after stopping it (or accept stale values). They move to the shared
 * counters file later; until then they are plain longs so counting costs an increment.
 */
public final class PathStats {
    private static final DropReason[] REASONS = DropReason.values();

    /** Inner packets (or super-packets) read from the TUN. */
    long tunReads;
    /** Encrypted datagrams handed to the UDP socket. */
    long datagramsSent;
    /** Send slots handed to the socket: datagramsSent / slotsSent is the GSO batching factor. */
    long slotsSent;
    /** Receive slots filled by the socket: datagramsReceived / slotsReceived is the GRO factor. */
    long slotsReceived;
    /** Bytes of datagrams handed to the socket (failed sends included). */
    long bytesSent;
    /** Datagrams taken from the UDP socket (after GRO splitting). */
    long datagramsReceived;
    /** Data messages that decrypted (keepalives included). */
    long messagesOpened;
    /** Inner packets written to the TUN. */
    long packetsDelivered;
    /** TUN writes of the inbound coalescer: packetsDelivered / tunWrites is its merge factor. */
    long tunWrites;
    /** Authenticated zero-length data messages. */
    long keepalives;
    /** Non-data messages handed to the control plane. */
    long punted;
    /** Peer endpoints changed by the roaming rule. */
    long roams;
    /** ICMP errors sent: too-big written back toward the TUN, time-exceeded sealed back to a peer. */
    long icmpSent;
    /** Inner packets received from one peer and sealed for another (never through the TUN). */
    long forwarded;
    /** Keepalives (empty data messages) sent, persistent and passive. */
    long keepalivesSent;
    private final long[] drops = new long[REASONS.length];
    /** Where per-peer traffic is counted (the counters file), or null: set before the pipeline starts. */
    private PeerTraffic peers;

    /**
     * Per-peer traffic sink, called on the pipeline thread for every sealed datagram and every
     * delivered inner packet; must not allocate or block.
     */
    public interface PeerTraffic {
        void sent(int peerSlot, int bytes);

        void received(int peerSlot, int bytes);

        /**
         * One packet of the peer in {@code peerSlot} dropped for {@code reason}; the per-reason total counts it
         * too. Only drops where the packet path knows the peer (after the route lookup, or once the receiver
         * index found a session) come here.
         */
        default void dropped(int peerSlot, DropReason reason) {
        }
    }

    /** Counts per-peer traffic into {@code sink} from now on; call before the pipeline's thread starts. */
    public void countPeersInto(PeerTraffic sink) {
        peers = sink;
    }

    void peerSent(int peerSlot, int bytes) {
        if (peers != null) {
            peers.sent(peerSlot, bytes);
        }
    }

    void peerReceived(int peerSlot, int bytes) {
        if (peers != null) {
            peers.received(peerSlot, bytes);
        }
    }

    void drop(DropReason reason) {
        drops[reason.ordinal()]++;
    }

    /** A drop of the peer in {@code peerSlot}: counted per reason and, if a sink is set, for that peer. */
    void peerDrop(int peerSlot, DropReason reason) {
        drops[reason.ordinal()]++;
        if (peers != null) {
            peers.dropped(peerSlot, reason);
        }
    }

    void drop(DropReason reason, int count) {
        drops[reason.ordinal()] += count;
    }

    public long drops(DropReason reason) {
        return drops[reason.ordinal()];
    }

    public long totalDrops() {
        long sum = 0;
        for (long d : drops) {
            sum += d;
        }
        return sum;
    }

    public long tunReads() {
        return tunReads;
    }

    public long datagramsSent() {
        return datagramsSent;
    }

    public long slotsSent() {
        return slotsSent;
    }

    public long slotsReceived() {
        return slotsReceived;
    }

    public long bytesSent() {
        return bytesSent;
    }

    public long datagramsReceived() {
        return datagramsReceived;
    }

    public long messagesOpened() {
        return messagesOpened;
    }

    public long packetsDelivered() {
        return packetsDelivered;
    }

    public long tunWrites() {
        return tunWrites;
    }

    public long keepalives() {
        return keepalives;
    }

    public long punted() {
        return punted;
    }

    public long roams() {
        return roams;
    }

    public long icmpSent() {
        return icmpSent;
    }

    public long forwarded() {
        return forwarded;
    }

    public long keepalivesSent() {
        return keepalivesSent;
    }

    /** For logs and test failure messages (allocates). */
    @Override
    public String toString() {
        StringBuilder b = new StringBuilder()
                .append("tunReads=").append(tunReads).append(" sent=").append(datagramsSent)
                .append(" sentBytes=").append(bytesSent).append(" sentSlots=").append(slotsSent).append(" received=").append(datagramsReceived).append(" receivedSlots=").append(slotsReceived)
                .append(" opened=").append(messagesOpened).append(" delivered=").append(packetsDelivered)
                .append(" tunWrites=").append(tunWrites)
                .append(" keepalives=").append(keepalives).append(" punted=").append(punted)
                .append(" roams=").append(roams).append(" icmp=").append(icmpSent)
                .append(" forwarded=").append(forwarded).append(" keepalivesSent=").append(keepalivesSent);
        for (DropReason r : REASONS) {
            if (drops[r.ordinal()] != 0) {
                b.append(' ').append(r.name()).append('=').append(drops[r.ordinal()]);
            }
        }
        return b.toString();
    }
}
