package net.ipop.dataplane.stats;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import org.agrona.concurrent.EpochClock;
import org.agrona.concurrent.status.CountersManager;
import org.agrona.concurrent.status.CountersReader;

import net.ipop.ipc.counters.CountersFile;
import net.ipop.ipc.counters.CountersFileReader;
import net.ipop.ipc.counters.CountersFormatException;
import net.ipop.ipc.counters.CountersLayout;
import net.ipop.ipc.counters.DropReason;
import net.ipop.ipc.counters.GlobalCounter;
import net.ipop.ipc.counters.Liveness;
import net.ipop.ipc.counters.WriterStatus;

/**
 * The data plane's counters file, writer side: creates it, keeps its heartbeat, allocates and frees
 * the counters of peers as they come and go, and hands each pipeline its {@link PipelineCounters}.
 *
 * <p>Threading: every method here belongs to the conductor thread (the single writer of the
 * counters metadata and of the peer slot tables); the {@link PipelineCounters} belong to their
 * pipelines. Peer slots are the conductor's dense peer table indices, {@code [0, maxPeers)}.
 *
 * <p>Capacity: per pipeline, one counter per drop reason and global count, and per peer four for
 * traffic and one per drop reason; room is made for twice {@code maxPeers} peers, because a freed counter is not reused until the
 * free-to-reuse timeout has passed (so that a pipeline still holding the old slot table cannot
 * count into a recycled counter) and a peer that leaves and comes back within it needs new ones.
 *
 * <p>Lifecycle: {@link #close()} deletes the file; close it after the pipelines have stopped
 * (counting later is harmless, see {@link CountersFile}, but lost).
 */
public final class CountersFileWriter implements AutoCloseable {
    public static final int DEFAULT_HEARTBEAT_INTERVAL_MS = 1000;
    /** Far longer than a pipeline holds one peer snapshot (one batch), far shorter than peer churn. */
    public static final long DEFAULT_FREE_TO_REUSE_TIMEOUT_MS = 2000;
    /** Counters one peer has in one pipeline: traffic by kind, then drops by reason. */
    private static final int PEER_COUNTERS = PipelineCounters.PEER_KINDS + PipelineCounters.PEER_DROP_KINDS;
    /** Label words by peer counter kind, in {@link PipelineCounters} kind order. */
    private static final String[] KIND_LABELS = {"tx bytes", "tx packets", "rx bytes", "rx packets"};

    private final CountersFile file;
    private final CountersManager manager;
    private final EpochClock clock;
    private final PipelineCounters[] pipelines;
    /** Counter ids of each occupied slot, by {@code queue * PEER_COUNTERS + kind}; null when free. */
    private final int[][] peerCounterIds;
    private final int[] scratchOffsets = new int[PipelineCounters.PEER_KINDS];
    private final int[] scratchDropOffsets = new int[PipelineCounters.PEER_DROP_KINDS];

    private CountersFileWriter(CountersFile file, EpochClock clock, long freeToReuseTimeoutMs, int queues,
            int maxPeers) {
        this.file = file;
        this.clock = clock;
        this.manager = new CountersManager(file.metadataBuffer(), file.valuesBuffer(),
                StandardCharsets.UTF_8, clock, freeToReuseTimeoutMs);
        this.pipelines = new PipelineCounters[queues];
        this.peerCounterIds = new int[maxPeers][];
        DropReason[] reasons = DropReason.values();
        GlobalCounter[] globals = GlobalCounter.values();
        for (int q = 0; q < queues; q++) {
            int queue = q;
            int[] drops = new int[reasons.length];
            for (DropReason r : reasons) {
                int id = manager.allocate("drops " + r.key() + " queue " + q, CountersLayout.DROP,
                        k -> CountersLayout.putKey(k, queue, r.code()));
                drops[r.ordinal()] = CountersReader.counterOffset(id);
            }
            int[] counts = new int[globals.length];
            for (GlobalCounter g : globals) {
                int id = manager.allocate(g.key() + " queue " + q, CountersLayout.GLOBAL,
                        k -> CountersLayout.putKey(k, queue, g.code()));
                counts[g.ordinal()] = CountersReader.counterOffset(id);
            }
            pipelines[q] = new PipelineCounters(q, file.valuesBuffer(), maxPeers, drops, counts);
        }
    }

    /** Creates the file at {@code path} with the default heartbeat interval and reuse timeout. */
    public static CountersFileWriter create(Path path, int queues, int maxPeers, EpochClock clock) throws IOException {
        return create(path, queues, maxPeers, clock, DEFAULT_HEARTBEAT_INTERVAL_MS, DEFAULT_FREE_TO_REUSE_TIMEOUT_MS);
    }

    /**
     * Creates (or replaces) the counters file at {@code path}, conventionally
     * {@code /run/ipop/<interface>.counters}.
     *
     * @throws IOException if another live data plane writes that file (the message names its pid),
     *                     or the file cannot be created
     */
    public static CountersFileWriter create(Path path, int queues, int maxPeers, EpochClock clock,
            int heartbeatIntervalMs, long freeToReuseTimeoutMs) throws IOException {
        if (queues <= 0 || maxPeers <= 0) {
            throw new IllegalArgumentException("queues and maxPeers must be positive: " + queues + ", " + maxPeers);
        }
        refuseIfLiveWriter(path, clock.time());
        int perQueue = DropReason.values().length + GlobalCounter.values().length
                + 2 * maxPeers * PEER_COUNTERS;
        int maxCounters = Math.multiplyExact(queues, perQueue);
        CountersFile file = CountersFile.create(path, maxCounters, queues, heartbeatIntervalMs, clock.time());
        return new CountersFileWriter(file, clock, freeToReuseTimeoutMs, queues, maxPeers);
    }

    private static void refuseIfLiveWriter(Path path, long nowMs) throws IOException {
        if (!Files.exists(path)) {
            return;
        }
        try {
            WriterStatus w = CountersFileReader.open(path).writerStatus(nowMs);
            if (w.liveness() == Liveness.ALIVE && w.pid() != ProcessHandle.current().pid()) {
                throw new IOException(path + " belongs to a running data plane (pid " + w.pid() + "); stop it first"
                        + " (ipop down) or give this one another interface name");
            }
        } catch (CountersFormatException e) {
            // Damaged, or an older layout: nobody can read it anyway, so it is replaced.
        }
    }

    public Path path() {
        return file.path();
    }

    /** Pipelines this file has counters for. */
    public int queues() {
        return pipelines.length;
    }

    /** The counters pipeline {@code queue} writes; hand it to that pipeline's thread only. */
    public PipelineCounters pipeline(int queue) {
        return pipelines[queue];
    }

    /**
     * Allocates the counters of a new peer in {@code slot} (in every pipeline) and publishes them to
     * the pipelines. Slow path: allocates.
     *
     * @param peerId the control plane's peer id (uint32 in the IPC schema)
     * @param name   the peer's name, shown by readers (cut to {@link CountersLayout#MAX_NAME_BYTES})
     * @return false if the file has no room left (the peer then goes uncounted), true otherwise
     * @throws IllegalStateException if {@code slot} already has a peer (remove it first)
     */
    public boolean addPeer(int slot, long peerId, String name) {
        if (peerCounterIds[slot] != null) {
            throw new IllegalStateException("peer slot " + slot + " already has counters; remove its peer first");
        }
        int queues = pipelines.length;
        int[] ids = new int[queues * PEER_COUNTERS];
        int allocated = 0;
        try {
            for (int q = 0; q < queues; q++) {
                int queue = q;
                for (int kind = 0; kind < PipelineCounters.PEER_KINDS; kind++) {
                    int type = CountersLayout.PEER_TX_BYTES + kind;
                    ids[allocated] = manager.allocate("peer " + name + " (id " + peerId + ") " + KIND_LABELS[kind]
                            + " queue " + q, type, k -> CountersLayout.putKey(k, queue, peerId, name));
                    allocated++;
                }
                for (DropReason r : DropReason.values()) {
                    ids[allocated] = manager.allocate("peer " + name + " (id " + peerId + ") drops " + r.key()
                            + " queue " + q, CountersLayout.PEER_DROPS,
                            k -> CountersLayout.putPeerDropKey(k, queue, r, peerId, name));
                    allocated++;
                }
            }
        } catch (IllegalStateException full) {
            for (int i = 0; i < allocated; i++) {
                manager.free(ids[i]);
            }
            return false;
        }
        peerCounterIds[slot] = ids;
        for (int q = 0; q < queues; q++) {
            for (int kind = 0; kind < PipelineCounters.PEER_KINDS; kind++) {
                scratchOffsets[kind] = CountersReader.counterOffset(ids[q * PEER_COUNTERS + kind]);
            }
            for (int r = 0; r < PipelineCounters.PEER_DROP_KINDS; r++) {
                scratchDropOffsets[r] = CountersReader.counterOffset(
                        ids[q * PEER_COUNTERS + PipelineCounters.PEER_KINDS + r]);
            }
            pipelines[q].publish(slot, scratchOffsets);
            pipelines[q].publishDrops(slot, scratchDropOffsets);
        }
        return true;
    }

    /**
     * Stops counting for the peer in {@code slot} and frees its counters: they vanish from readers'
     * snapshots at once and are reused after the free-to-reuse timeout. Does nothing for a free slot.
     */
    public void removePeer(int slot) {
        int[] ids = peerCounterIds[slot];
        if (ids == null) {
            return;
        }
        for (PipelineCounters p : pipelines) {
            p.unpublish(slot);
        }
        for (int id : ids) {
            manager.free(id);
        }
        peerCounterIds[slot] = null;
    }

    /**
     * The Agrona counter ids of the peer in {@code slot}, by {@code queue * (4 + reasons) + kind}, the drop
     * counters after the four traffic kinds; for tests and tools.
     */
    int[] peerCounterIds(int slot) {
        int[] ids = peerCounterIds[slot];
        return ids == null ? null : ids.clone();
    }

    /**
     * The peer in {@code slot}'s totals over all pipelines, by kind: tx bytes, tx packets, rx bytes,
     * rx packets; zeros for a slot without counters. Conductor thread; allocates (slow path).
     */
    public long[] peerTotals(int slot) {
        long[] totals = new long[PipelineCounters.PEER_KINDS];
        int[] ids = peerCounterIds[slot];
        if (ids != null) {
            for (int i = 0; i < ids.length; i++) {
                int kind = i % PEER_COUNTERS;
                if (kind < PipelineCounters.PEER_KINDS) {
                    totals[kind] += manager.getCounterValue(ids[i]);
                }
            }
        }
        return totals;
    }

    /** Call from the conductor's duty cycle: beats about once per interval. Allocation-free; a work count. */
    public int doWork() {
        return file.heartbeat(clock.time());
    }

    /** Deletes the counters file (if it is still ours). */
    @Override
    public void close() throws IOException {
        file.close();
    }
}
