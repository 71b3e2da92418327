package net.ipop.ipc.counters;

import java.util.Collections;
import java.util.EnumMap;
import java.util.Map;

/**
 * One peer's traffic and drops summed over every pipeline. Bytes are inner (plaintext IP) bytes as counted by
 * the writer; packets are inner packets after segmentation.
 *
 * @param drops the packets of this peer dropped, by reason: only reasons with a non-zero count, in
 *              {@link DropReason} order; drops whose peer the data plane could not tell (a datagram that does
 *              not parse, an unknown receiver index, no route) are only in {@link CountersSnapshot#drops()}
 */
public record PeerTotals(long peerId, String name, long txBytes, long txPackets, long rxBytes, long rxPackets,
        Map<DropReason, Long> drops) {
    public PeerTotals {
        // EnumMap keeps reason order for readers; it cannot be built from an empty map of another kind.
        drops = drops.isEmpty() ? Map.of() : Collections.unmodifiableMap(new EnumMap<>(drops));
    }

    /** A peer without drops. */
    public PeerTotals(long peerId, String name, long txBytes, long txPackets, long rxBytes, long rxPackets) {
        this(peerId, name, txBytes, txPackets, rxBytes, rxPackets, Map.of());
    }

    /** This peer's drops for {@code reason}, 0 if none. */
    public long drops(DropReason reason) {
        return drops.getOrDefault(reason, 0L);
    }

    /** The sum of this peer's drops. */
    public long totalDrops() {
        long sum = 0;
        for (long v : drops.values()) {
            sum += v;
        }
        return sum;
    }
}
