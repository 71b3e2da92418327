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
 */
public record TopologyConfig(int maxMeshSize, int successors, int downAfterMs) {
    public static final int DEFAULT_MAX_MESH_SIZE = 16;
    public static final int DEFAULT_SUCCESSORS = 2;
    /** Two handshake retransmissions (REKEY_TIMEOUT 5 s each): one lost initiation is not a dead member. */
    public static final int DEFAULT_DOWN_AFTER_MS = 12_000;
    public static final TopologyConfig DEFAULT = new TopologyConfig(DEFAULT_MAX_MESH_SIZE, DEFAULT_SUCCESSORS,
            DEFAULT_DOWN_AFTER_MS);

    public TopologyConfig {
        if (maxMeshSize < 1 || successors < 1 || downAfterMs < 1) {
            throw new IllegalArgumentException("topology values must be positive: " + maxMeshSize + ", " + successors
                    + ", " + downAfterMs);
        }
    }
}
