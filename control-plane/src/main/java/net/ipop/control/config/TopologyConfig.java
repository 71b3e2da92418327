package net.ipop.control.config;

/**
 * How the overlay's members are linked ({@code topology:} in {@code node.yaml}); see
 * {@code net.ipop.control.topology}. Every node of an overlay must use the same values: the plan is
 * computed independently on each node and must come out the same everywhere.
 *
 * @param maxMeshSize  up to this many live members (this node included) every member links to every other;
 *                     above it the members form a structured ring with forwarding
 * @param successors   in a ring, how many ring successors each member links to
 * @param downAfterMs  how long a member the plan links to may stay without a session after a handshake was
 *                     wanted (at start, on a new link, or when the data plane reports it down) before it is
 *                     planned around; it comes back with its next completed handshake
 * @param onDemandThresholdBytes inner bytes this node sends to a member it reaches through forwarding within one
 *                     {@code onDemandIntervalMs} that make it link to the member directly; 0 = no on-demand links
 * @param onDemandIntervalMs the data plane's measuring interval for {@code onDemandThresholdBytes}
 * @param onDemandIdleMs how long an on-demand link may go without an interval over the threshold before it is
 *                     torn down (paths back to the plan, sessions retired); at least two intervals
 */
public record TopologyConfig(int maxMeshSize, int successors, int downAfterMs, long onDemandThresholdBytes,
                             int onDemandIntervalMs, int onDemandIdleMs) {
    public static final int DEFAULT_MAX_MESH_SIZE = 16;
    public static final int DEFAULT_SUCCESSORS = 2;
    /** Two handshake retransmissions (REKEY_TIMEOUT 5 s each): one lost initiation is not a dead member. */
    public static final int DEFAULT_DOWN_AFTER_MS = 12_000;
    /** On-demand links are off unless configured: they cost a handshake per busy destination. */
    public static final long DEFAULT_ON_DEMAND_THRESHOLD_BYTES = 0;
    public static final int DEFAULT_ON_DEMAND_INTERVAL_MS = 1_000;
    public static final int DEFAULT_ON_DEMAND_IDLE_MS = 30_000;
    public static final TopologyConfig DEFAULT = new TopologyConfig(DEFAULT_MAX_MESH_SIZE, DEFAULT_SUCCESSORS,
            DEFAULT_DOWN_AFTER_MS);

    public TopologyConfig {
        if (maxMeshSize < 1 || successors < 1 || downAfterMs < 1) {
            throw new IllegalArgumentException("topology values must be positive: " + maxMeshSize + ", " + successors
                    + ", " + downAfterMs);
        }
        if (onDemandThresholdBytes < 0 || onDemandIntervalMs < 1 || onDemandIdleMs < 2L * onDemandIntervalMs) {
            throw new IllegalArgumentException("on-demand links: threshold " + onDemandThresholdBytes
                    + " bytes must not be negative, interval " + onDemandIntervalMs + " ms positive and idle time "
                    + onDemandIdleMs + " ms at least two intervals");
        }
    }

    /** Without on-demand links. */
    public TopologyConfig(int maxMeshSize, int successors, int downAfterMs) {
        this(maxMeshSize, successors, downAfterMs, DEFAULT_ON_DEMAND_THRESHOLD_BYTES, DEFAULT_ON_DEMAND_INTERVAL_MS,
                DEFAULT_ON_DEMAND_IDLE_MS);
    }

    /** Whether busy forwarded destinations get direct links. */
    public boolean onDemand() {
        return onDemandThresholdBytes > 0;
    }
}
