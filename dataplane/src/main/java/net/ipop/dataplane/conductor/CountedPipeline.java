package net.ipop.dataplane.conductor;

import org.agrona.concurrent.Agent;

import net.ipop.dataplane.pipeline.DropReason;
import net.ipop.dataplane.pipeline.PathStats;
import net.ipop.dataplane.pipeline.PipelineAgent;
import net.ipop.dataplane.stats.PipelineCounters;
import net.ipop.ipc.counters.GlobalCounter;

/**
 * A {@link PipelineAgent} whose plain {@link PathStats} are carried into the shared counters file after each
 * duty cycle: the deltas of drops and global counts since the last cycle are added to this pipeline's own
 * counters, so the pipeline thread stays their only writer and the packet path keeps counting with plain
 * increments. Per-peer traffic goes straight to the file through {@link PathStats#countPeersInto}.
 *
 * <p>Threading: runs on the pipeline's thread. No allocation per cycle.
 */
final class CountedPipeline implements Agent {
    /** Pipeline drop reason (by ordinal) to the counters file's stable reason. */
    private static final net.ipop.ipc.counters.DropReason[] FILE_REASON = mapReasons();
    private static final DropReason[] REASONS = DropReason.values();

    private final PipelineAgent pipeline;
    private final PathStats stats;
    private final PipelineCounters counters;
    private final long[] lastDrops = new long[REASONS.length];
    private long lastTunReads;
    private long lastSlotsSent;
    private long lastPunted;
    private long lastForwarded;
    private long lastKeepalivesSent;

    CountedPipeline(PipelineAgent pipeline, PipelineCounters counters) {
        this.pipeline = pipeline;
        this.stats = pipeline.stats();
        this.counters = counters;
    }

    static net.ipop.ipc.counters.DropReason[] mapReasons() {
        net.ipop.ipc.counters.DropReason[] map = new net.ipop.ipc.counters.DropReason[DropReason.values().length];
        for (DropReason r : DropReason.values()) {
            map[r.ordinal()] = switch (r) {
                case NO_ROUTE -> net.ipop.ipc.counters.DropReason.NO_ROUTE;
                case NO_SESSION -> net.ipop.ipc.counters.DropReason.NO_SESSION;
                case NO_ENDPOINT -> net.ipop.ipc.counters.DropReason.NO_ENDPOINT;
                case TOO_BIG -> net.ipop.ipc.counters.DropReason.TOO_BIG;
                case MALFORMED -> net.ipop.ipc.counters.DropReason.MALFORMED;
                case AUTH_FAILED -> net.ipop.ipc.counters.DropReason.AUTH_FAILED;
                case REPLAYED -> net.ipop.ipc.counters.DropReason.REPLAY;
                case KEY_EXHAUSTED -> net.ipop.ipc.counters.DropReason.KEY_EXHAUSTED;
                case SOURCE_NOT_ALLOWED -> net.ipop.ipc.counters.DropReason.SOURCE_NOT_ALLOWED;
                case SEND_FAILED -> net.ipop.ipc.counters.DropReason.SEND_FAILED;
                case TUN_WRITE_FAILED -> net.ipop.ipc.counters.DropReason.TUN_WRITE_FAILED;
                case HOP_LIMIT -> net.ipop.ipc.counters.DropReason.HOP_LIMIT;
                case LOOP -> net.ipop.ipc.counters.DropReason.LOOP;
                case UNKNOWN_CHANNEL -> net.ipop.ipc.counters.DropReason.UNKNOWN_CHANNEL;
            };
        }
        return map;
    }

    @Override
    public int doWork() throws Exception {
        long start = System.nanoTime();
        int work = pipeline.doWork();
        if (work > 0) {
            flush();
            counters.increment(GlobalCounter.BUSY_CYCLES);
            counters.count(GlobalCounter.BUSY_NANOS, System.nanoTime() - start);
        }
        return work;
    }

    private void flush() {
        for (int i = 0; i < REASONS.length; i++) {
            long now = stats.drops(REASONS[i]);
            if (now != lastDrops[i]) {
                counters.drop(FILE_REASON[i], (int) (now - lastDrops[i]));
                lastDrops[i] = now;
            }
        }
        lastTunReads = carry(GlobalCounter.TUN_READS, stats.tunReads(), lastTunReads);
        lastSlotsSent = carry(GlobalCounter.UDP_SENDS, stats.slotsSent(), lastSlotsSent);
        lastPunted = carry(GlobalCounter.PUNTED, stats.punted(), lastPunted);
        lastForwarded = carry(GlobalCounter.FORWARDED, stats.forwarded(), lastForwarded);
        lastKeepalivesSent = carry(GlobalCounter.KEEPALIVES_SENT, stats.keepalivesSent(), lastKeepalivesSent);
    }

    private long carry(GlobalCounter counter, long now, long last) {
        if (now != last) {
            counters.count(counter, now - last);
        }
        return now;
    }

    @Override
    public void onClose() {
        flush();
        pipeline.onClose();
    }

    @Override
    public String roleName() {
        return pipeline.roleName();
    }
}
