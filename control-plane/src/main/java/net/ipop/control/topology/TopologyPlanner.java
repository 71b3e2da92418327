package net.ipop.control.topology;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Computes a node's {@link Plan} from the overlay's live member ids. Pure and deterministic: every node that
 * plans over the same member set gets the same link graph and the same paths, which is what makes hop-by-hop
 * forwarding terminate and the source entries of one node match what its neighbours send.
 *
 * <p>The link graph:
 * <ul>
 * <li>{@code n <= maxMeshSize}: every member links to every other.</li>
 * <li>Otherwise the members sit on a ring at {@link RingPosition hashed positions}. Each links to its
 *     {@code successors} next members and to {@code ceil(log2 n)} chords: for k = 1..ceil(log2 n), the
 *     member closest to its position plus 2^(64-k) (half the ring, a quarter, ...; the shortest land on or near
 *     a successor and merge with it). Chords aim at positions, not at member counts, so a join or a leave moves
 *     only the chords aimed near the arc that changed hands. Links are symmetric: the graph is the union of every member's choices, so
 *     a member's degree is about twice what it chooses. The successor links alone form a cycle, so the graph
 *     is connected; the chords make paths about log2(n) hops long.</li>
 * </ul>
 *
 * <p>Paths are destination-rooted: for each destination d a breadth-first search from d over the link graph
 * (members and neighbour lists in ring order, so ties break the same way everywhere) gives every member's
 * parent toward d, and a member's next hop to d is that parent. A packet from a to d thus follows a's branch
 * of d's tree, shortening its distance at every hop. A node x accepts the inner source a from its neighbour c
 * exactly when c is x's child in some destination's tree and a lies in c's subtree: these are the last hops
 * of every path from a that reaches or crosses x, and nothing else.
 *
 * <p>Cost: one search per destination, O(n * (n + links)) time per plan, run only when the membership or a
 * member's liveness changes. Not thread-safe to share; stateless, so each caller may use its own calls.
 */
public final class TopologyPlanner {
    private final int maxMeshSize;
    private final int successors;

    /**
     * @param maxMeshSize up to this many members a full mesh
     * @param successors  ring successors each member links to (above the mesh size)
     */
    public TopologyPlanner(int maxMeshSize, int successors) {
        if (maxMeshSize < 1 || successors < 1) {
            throw new IllegalArgumentException("maxMeshSize and successors must be positive: " + maxMeshSize + ", "
                    + successors);
        }
        this.maxMeshSize = maxMeshSize;
        this.successors = successors;
    }

    /**
     * The plan of {@code self} among {@code members}.
     *
     * @param members the live member ids, {@code self} included; order and duplicates do not matter
     * @throws IllegalArgumentException if {@code self} is not among them
     */
    public Plan plan(Collection<String> members, String self) {
        String[] ring = ring(members);
        int n = ring.length;
        int me = indexOf(ring, self);
        boolean mesh = n <= maxMeshSize;
        int[][] adjacency = adjacency(ring, mesh);
        int[] nextHop = new int[n];
        Arrays.fill(nextHop, -1);
        List<Set<Integer>> accepts = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            accepts.add(new TreeSet<>());
        }
        int[] parent = new int[n];
        int[] order = new int[n];
        int[] via = new int[n];
        for (int d = 0; d < n; d++) {
            int count = searchFrom(d, adjacency, parent, order);
            if (d != me) {
                nextHop[d] = parent[me];
            }
            // via[x]: the child of me through which x's packets toward d reach me, or -1. Parents come first.
            via[d] = -1;
            for (int k = 1; k < count; k++) {
                int x = order[k];
                via[x] = parent[x] == me ? x : via[parent[x]];
                if (x != me && via[x] >= 0) {
                    accepts.get(x).add(via[x]);
                }
            }
        }
        return plan(ring, me, mesh, adjacency[me], nextHop, accepts);
    }

    private static Plan plan(String[] ring, int me, boolean mesh, int[] myLinks, int[] nextHop,
                             List<Set<Integer>> accepts) {
        Set<String> links = new LinkedHashSet<>();
        for (int j : myLinks) {
            links.add(ring[j]);
        }
        Map<String, String> hops = new HashMap<>();
        Map<String, Set<String>> sources = new HashMap<>();
        for (int i = 0; i < ring.length; i++) {
            if (nextHop[i] >= 0) {
                hops.put(ring[i], ring[nextHop[i]]);
            }
            if (!accepts.get(i).isEmpty()) {
                Set<String> from = new LinkedHashSet<>();
                for (int c : accepts.get(i)) {
                    from.add(ring[c]);
                }
                sources.put(ring[i], from);
            }
        }
        return new Plan(ring[me], List.of(ring), mesh, links, hops, sources);
    }

    /** The member ids in ring order: by hashed position, then by id. */
    static String[] ring(Collection<String> members) {
        String[] ids = new TreeSet<>(members).toArray(new String[0]);
        long[] positions = new long[ids.length];
        Integer[] order = new Integer[ids.length];
        for (int i = 0; i < ids.length; i++) {
            positions[i] = RingPosition.of(ids[i]);
            order[i] = i;
        }
        Arrays.sort(order, (a, b) -> {
            int c = Long.compareUnsigned(positions[a], positions[b]);
            return c != 0 ? c : ids[a].compareTo(ids[b]);
        });
        String[] ring = new String[ids.length];
        for (int i = 0; i < ids.length; i++) {
            ring[i] = ids[order[i]];
        }
        return ring;
    }

    private static int indexOf(String[] ring, String self) {
        for (int i = 0; i < ring.length; i++) {
            if (ring[i].equals(self)) {
                return i;
            }
        }
        throw new IllegalArgumentException("self " + self + " is not a member");
    }

    /** Neighbour lists in ascending ring index. */
    private int[][] adjacency(String[] ring, boolean mesh) {
        int n = ring.length;
        boolean[][] linked = new boolean[n][];
        for (int i = 0; i < n; i++) {
            linked[i] = new boolean[n];
        }
        if (mesh) {
            for (int i = 0; i < n; i++) {
                Arrays.fill(linked[i], true);
                linked[i][i] = false;
            }
        } else {
            long[] positions = new long[n];
            for (int i = 0; i < n; i++) {
                positions[i] = RingPosition.of(ring[i]);
            }
            int chords = 64 - Long.numberOfLeadingZeros(n - 1); // ceil(log2 n) for n >= 2
            for (int i = 0; i < n; i++) {
                for (int s = 1; s <= successors; s++) {
                    link(linked, i, (i + s) % n);
                }
                for (int k = 1; k <= chords; k++) {
                    link(linked, i, closest(positions, positions[i] + (1L << (64 - k))));
                }
            }
        }
        int[][] adjacency = new int[n][];
        for (int i = 0; i < n; i++) {
            int count = 0;
            for (boolean b : linked[i]) {
                count += b ? 1 : 0;
            }
            adjacency[i] = new int[count];
            for (int j = 0, k = 0; j < n; j++) {
                if (linked[i][j]) {
                    adjacency[i][k++] = j;
                }
            }
        }
        return adjacency;
    }

    private static void link(boolean[][] linked, int a, int b) {
        if (a != b) {
            linked[a][b] = true;
            linked[b][a] = true;
        }
    }

    /**
     * Index of the member closest to {@code target} on the ring, the later one on a tie. Closest rather than the
     * first after (Chord's fingers) halves the chords a member after a wide gap collects.
     */
    private static int closest(long[] positions, long target) {
        int after = firstAtOrAfter(positions, target);
        int before = (after + positions.length - 1) % positions.length;
        long toAfter = positions[after] - target; // unsigned distances around the ring
        long fromBefore = target - positions[before];
        return Long.compareUnsigned(fromBefore, toAfter) < 0 ? before : after;
    }

    /** Index of the first position at or after {@code target} going clockwise (positions sorted unsigned). */
    private static int firstAtOrAfter(long[] positions, long target) {
        int lo = 0;
        int hi = positions.length;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (Long.compareUnsigned(positions[mid], target) < 0) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        return lo == positions.length ? 0 : lo;
    }

    /**
     * Breadth-first search from {@code root}: fills {@code parent} (root's own is -1; -1 also for unreached
     * members) and {@code order} (members in the order reached, root first); returns how many were reached.
     */
    private static int searchFrom(int root, int[][] adjacency, int[] parent, int[] order) {
        Arrays.fill(parent, -2);
        parent[root] = -1;
        order[0] = root;
        int head = 0;
        int tail = 1;
        while (head < tail) {
            int u = order[head++];
            for (int v : adjacency[u]) {
                if (parent[v] == -2) {
                    parent[v] = u;
                    order[tail++] = v;
                }
            }
        }
        for (int i = 0; i < parent.length; i++) {
            if (parent[i] == -2) {
                parent[i] = -1;
            }
        }
        return tail;
    }
}
