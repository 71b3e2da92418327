package net.ipop.perf.bench;

/**
 * The figures {@code perf/bench.sh} records per round and target, by their key in the results
 * TSV, in the order the report shows them.
 */
enum BenchMetric {
    TCP1("tcp1", "TCP, 1 stream (Gbit/s)", "%.2f", Better.HIGHER, true),
    TCP4("tcp4", "TCP, 4 streams (Gbit/s)", "%.2f", Better.HIGHER, true),
    UDP("udp", "UDP, received (Gbit/s)", "%.2f", Better.HIGHER, true),
    UDP_LOSS("udp_loss", "UDP, lost (%)", "%.1f", Better.LOWER, false),
    LATENCY_P50("lat_p50", "latency p50 (µs, one way)", "%.1f", Better.LOWER, true),
    LATENCY_P99("lat_p99", "latency p99 (µs, one way)", "%.1f", Better.LOWER, true),
    PING("ping_rtt", "ping (µs, round trip, mean)", "%.0f", Better.LOWER, true),
    CPU_PER_GB("cpu_per_gb", "VPN CPU (s per GB over TCP)", "%.2f", Better.LOWER, true),
    RSS("rss_mib", "VPN memory, resident (MiB)", "%.1f", Better.LOWER, true),
    HWM("hwm_mib", "VPN memory, peak resident (MiB)", "%.1f", Better.LOWER, true),
    /** Open /dev/net/tun descriptors of one end: how many queues a VPN really uses. */
    TUN_QUEUES("tun_queues", "TUN queues open (one end)", "%.0f", Better.HIGHER, false);

    /** Which way is better, for picking the best peer. */
    enum Better { HIGHER, LOWER }

    final String key;
    final String label;
    final String format;
    final Better better;
    /** Whether a ratio of two medians means something (a ratio of loss percentages does not). */
    final boolean ratio;

    BenchMetric(String key, String label, String format, Better better, boolean ratio) {
        this.key = key;
        this.label = label;
        this.format = format;
        this.better = better;
        this.ratio = ratio;
    }

    /** Whether {@code a} is better than {@code b} for this metric. */
    boolean better(double a, double b) {
        return better == Better.HIGHER ? a > b : a < b;
    }
}
