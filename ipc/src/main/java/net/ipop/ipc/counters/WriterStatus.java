package net.ipop.ipc.counters;

/**
 * The header of a counters file as read at one instant, and the verdict on its writer.
 *
 * @param pid                 the writer's process id
 * @param startTimeMs         when the writer created the file, epoch ms
 * @param heartbeatMs         the writer's last heartbeat, epoch ms
 * @param heartbeatIntervalMs how often the writer promised to beat, ms
 * @param queues              how many pipelines write counters
 * @param liveness            the verdict, see {@link CountersFileReader#writerStatus(long)}
 * @param readAtMs            when this was read, epoch ms
 */
public record WriterStatus(long pid, long startTimeMs, long heartbeatMs, int heartbeatIntervalMs, int queues,
        Liveness liveness, long readAtMs) {
    /** Milliseconds since the last heartbeat (negative if the clocks disagree). */
    public long heartbeatAgeMs() {
        return readAtMs - heartbeatMs;
    }
}
