package net.ipop.dataplane.stats;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Arrays;

import org.agrona.concurrent.AtomicBuffer;

import net.ipop.ipc.counters.DropReason;
import net.ipop.ipc.counters.GlobalCounter;

/**
 * The counters one pipeline (one TUN queue) writes, called on the packet path.
 *
 * <p><b>No contention by construction.</b> A peer's traffic is not confined to one pipeline: the
 * TUN spreads a peer's inner flows over queues, and {@code SO_REUSEPORT} spreads its datagrams over
 * sockets. So every pipeline has its own counter for every (peer, kind), every (peer, drop reason),
 * every drop reason and every global count, and readers sum over pipelines. Each counter then has
 * exactly one writer thread: an increment is a plain load and an opaque store of the mapped long ({@code addLongOpaque}), no
 * lock and no atomic read-modify-write ({@code addLongRelease} would be a locked {@code xadd}).
 * Opaque is enough because readers need an untorn, eventually visible value, not an order relative
 * to other memory. Each Agrona value record is 128 bytes, so two pipelines never share a cache line.
 *
 * <p><b>Threading.</b> Every counting method belongs to this pipeline's thread only. The peer slot
 * table is written by the conductor ({@link CountersFileWriter}) and read here with opaque loads:
 * a slot without counters (never added, or removed) is skipped. A stale read after a peer is
 * removed writes to a counter that is freed but not yet reusable (Agrona's free-to-reuse timeout),
 * so it never lands in another peer's counter or in another pipeline's.
 *
 * <p>No method allocates. Byte counts are inner (plaintext IP) bytes; a {@code peerSlot} outside
 * {@code [0, maxPeers)} throws {@link ArrayIndexOutOfBoundsException} (a caller bug).
 */
public final class PipelineCounters {
    static final int TX_BYTES = 0;
    static final int TX_PACKETS = 1;
    static final int RX_BYTES = 2;
    static final int RX_PACKETS = 3;
    static final int PEER_KINDS = 4;
    static final int NONE = -1;

    /** Drop reasons a peer has counters for: all of them, by ordinal. */
    static final int PEER_DROP_KINDS = DropReason.values().length;

    private static final VarHandle SLOT = MethodHandles.arrayElementVarHandle(int[].class);

    private final int queue;
    private final AtomicBuffer values;
    /** Value offsets by {@code slot * PEER_KINDS + kind}, or {@link #NONE}. Written by the conductor. */
    private final int[] peerOffsets;
    /** Value offsets by {@code slot * PEER_DROP_KINDS + reason ordinal}, or {@link #NONE}; conductor-written. */
    private final int[] peerDropOffsets;
    private final int[] dropOffsets;
    private final int[] globalOffsets;

    PipelineCounters(int queue, AtomicBuffer values, int maxPeers, int[] dropOffsets, int[] globalOffsets) {
        this.queue = queue;
        this.values = values;
        this.peerOffsets = new int[maxPeers * PEER_KINDS];
        Arrays.fill(peerOffsets, NONE);
        this.peerDropOffsets = new int[maxPeers * PEER_DROP_KINDS];
        Arrays.fill(peerDropOffsets, NONE);
        this.dropOffsets = dropOffsets.clone();
        this.globalOffsets = globalOffsets.clone();
    }

    /** The TUN queue this pipeline serves. */
    public int queue() {
        return queue;
    }

    /** One packet of {@code bytes} sent to the peer in {@code peerSlot}. */
    public void peerSent(int peerSlot, int bytes) {
        add(peerSlot * PEER_KINDS + TX_BYTES, bytes, 1);
    }

    /** A batch to one peer ({@code packets} segments of one GSO send, say), {@code bytes} in all. */
    public void peerSent(int peerSlot, int packets, long bytes) {
        add(peerSlot * PEER_KINDS + TX_BYTES, bytes, packets);
    }

    /** One packet of {@code bytes} received from the peer in {@code peerSlot} and accepted. */
    public void peerReceived(int peerSlot, int bytes) {
        add(peerSlot * PEER_KINDS + RX_BYTES, bytes, 1);
    }

    /** A batch received from one peer (a GRO completion, say). */
    public void peerReceived(int peerSlot, int packets, long bytes) {
        add(peerSlot * PEER_KINDS + RX_BYTES, bytes, packets);
    }

    /** One packet dropped for {@code reason}. */
    public void drop(DropReason reason) {
        values.addLongOpaque(dropOffsets[reason.ordinal()], 1);
    }

    /** {@code packets} dropped for {@code reason} (a whole batch refused). */
    public void drop(DropReason reason, int packets) {
        values.addLongOpaque(dropOffsets[reason.ordinal()], packets);
    }

    /**
     * One packet of the peer in {@code peerSlot} dropped for {@code reason}, counted for that peer only: the
     * pipeline counts the same drop once more in its per-reason total ({@link #drop}).
     */
    public void peerDropped(int peerSlot, DropReason reason) {
        int offset = (int) SLOT.getOpaque(peerDropOffsets, peerSlot * PEER_DROP_KINDS + reason.ordinal());
        if (offset != NONE) {
            values.addLongOpaque(offset, 1);
        }
    }

    /** Adds {@code delta} to a global count. */
    public void count(GlobalCounter counter, long delta) {
        values.addLongOpaque(globalOffsets[counter.ordinal()], delta);
    }

    /** Adds one to a global count. */
    public void increment(GlobalCounter counter) {
        values.addLongOpaque(globalOffsets[counter.ordinal()], 1);
    }

    /** Bytes at {@code index}, packets at {@code index + 1}: the layout of {@link #peerOffsets}. */
    private void add(int index, long bytes, int packets) {
        int bytesOffset = (int) SLOT.getOpaque(peerOffsets, index);
        int packetsOffset = (int) SLOT.getOpaque(peerOffsets, index + 1);
        if (bytesOffset != NONE && packetsOffset != NONE) {
            values.addLongOpaque(bytesOffset, bytes);
            values.addLongOpaque(packetsOffset, packets);
        }
    }

    /** Conductor: the peer in {@code slot} now counts into these value offsets (by kind). */
    void publish(int slot, int[] offsetsByKind) {
        for (int kind = 0; kind < PEER_KINDS; kind++) {
            SLOT.setRelease(peerOffsets, slot * PEER_KINDS + kind, offsetsByKind[kind]);
        }
    }

    /** Conductor: the peer in {@code slot} now counts its drops into these value offsets (by reason ordinal). */
    void publishDrops(int slot, int[] offsetsByReason) {
        for (int r = 0; r < PEER_DROP_KINDS; r++) {
            SLOT.setRelease(peerDropOffsets, slot * PEER_DROP_KINDS + r, offsetsByReason[r]);
        }
    }

    /** Conductor: the peer in {@code slot} is gone; called before its counters are freed. */
    void unpublish(int slot) {
        for (int kind = 0; kind < PEER_KINDS; kind++) {
            SLOT.setRelease(peerOffsets, slot * PEER_KINDS + kind, NONE);
        }
        for (int r = 0; r < PEER_DROP_KINDS; r++) {
            SLOT.setRelease(peerDropOffsets, slot * PEER_DROP_KINDS + r, NONE);
        }
    }
}
