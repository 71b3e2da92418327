package net.ipop.control.topology;

import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * One node's share of a topology plan: its direct links, its next hop to every other member, and from which
 * neighbours it accepts each member's packets as the inner source. Immutable.
 *
 * @param self    this node's member id
 * @param ring    every planned member, in ring order
 * @param mesh    whether the plan is a full mesh
 * @param links   the members this node links to directly
 * @param nextHop for every other reachable member, the neighbour its packets go to first
 * @param accepts for every member whose packets reach or cross this node, the neighbours they arrive from
 */
public record Plan(String self, List<String> ring, boolean mesh, Set<String> links, Map<String, String> nextHop,
                   Map<String, Set<String>> accepts) {
    public Plan {
        ring = List.copyOf(ring);
        links = Set.copyOf(links);
        nextHop = Map.copyOf(nextHop);
        accepts = Map.copyOf(accepts);
    }

    /** The neighbours this node accepts {@code source}'s packets from; empty if none. */
    public Set<String> acceptsFrom(String source) {
        return accepts.getOrDefault(source, Set.of());
    }
}
