package net.ipop.ipc.counters;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Every counter of one file, summed over pipelines, read at one instant. Immutable. Each value is
 * read atomically, but the set is not one consistent cut: values keep moving while it is read.
 *
 * @param file    the file read
 * @param writer  the header and the verdict on the writer
 * @param peers   per peer, in peer id order
 * @param drops   every {@link DropReason}, in declaration order (0 when never counted)
 * @param globals every {@link GlobalCounter}, in declaration order
 */
public record CountersSnapshot(Path file, WriterStatus writer, List<PeerTotals> peers, Map<DropReason, Long> drops,
        Map<GlobalCounter, Long> globals) {
    /** The sum of all drops. */
    public long totalDrops() {
        long sum = 0;
        for (long v : drops.values()) {
            sum += v;
        }
        return sum;
    }
}
