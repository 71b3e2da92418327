package net.ipop.ipc.counters;

/**
 * One peer's traffic summed over every pipeline. Bytes are inner (plaintext IP) bytes as counted by
 * the writer; packets are inner packets after segmentation.
 */
public record PeerTotals(long peerId, String name, long txBytes, long txPackets, long rxBytes, long rxPackets) {
}
