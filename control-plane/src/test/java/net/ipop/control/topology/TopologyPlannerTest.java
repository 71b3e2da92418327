package net.ipop.control.topology;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class TopologyPlannerTest {
    private static List<String> members(int n) {
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            ids.add(String.format("member-%03d", i));
        }
        return ids;
    }

    private static Map<String, Plan> plans(TopologyPlanner planner, List<String> ids) {
        Map<String, Plan> plans = new HashMap<>();
        for (String id : ids) {
            plans.put(id, planner.plan(ids, id));
        }
        return plans;
    }

    private static int log2Ceil(int n) {
        return 32 - Integer.numberOfLeadingZeros(n - 1);
    }

    @Test
    void upToTheMeshSizeEveryMemberLinksToEveryOtherAndSendsDirect() {
        List<String> ids = members(16);
        Map<String, Plan> plans = plans(new TopologyPlanner(16, 2), ids);
        for (String a : ids) {
            Plan p = plans.get(a);
            assertTrue(p.mesh());
            assertEquals(15, p.links().size(), a + " links " + p.links());
            for (String d : ids) {
                if (!d.equals(a)) {
                    assertEquals(d, p.nextHop().get(d), "a mesh forwards " + a + " -> " + d);
                    assertEquals(Set.of(d), p.acceptsFrom(d), "a mesh accepts " + d + " only from itself");
                }
            }
        }
        assertFalse(new TopologyPlanner(16, 2).plan(members(17), "member-000").mesh(), "17 > 16 is not a mesh");
    }

    @ParameterizedTest
    @ValueSource(ints = {17, 40, 100})
    void aboveItARingOfSuccessorsAndLogChordsWithSymmetricLinks(int n) {
        int successors = 2;
        List<String> ids = members(n);
        Map<String, Plan> plans = plans(new TopologyPlanner(16, successors), ids);
        int chosen = successors + log2Ceil(n);
        long total = 0;
        int max = 0;
        for (String a : ids) {
            Plan p = plans.get(a);
            assertFalse(p.mesh());
            for (String b : p.links()) {
                assertTrue(plans.get(b).links().contains(a), a + " links " + b + " but not the other way");
            }
            assertTrue(p.links().size() >= successors * 2, a + " has only " + p.links().size() + " links");
            // Hashed positions leave uneven gaps; a member after a wide one collects more chords.
            assertTrue(p.links().size() <= 4 * chosen, a + " has " + p.links().size() + " links, over 4 x " + chosen);
            total += p.links().size();
            max = Math.max(max, p.links().size());
        }
        double average = (double) total / n;
        // Each member chooses its successors and ~log2(n) chords (the shortest merging with a successor); the
        // union is symmetric, so the average degree lies between what one member chooses and twice that.
        assertTrue(average >= successors + log2Ceil(n) - 2 && average <= 2.0 * chosen,
                "average degree " + average + " for n=" + n + " outside " + (successors + log2Ceil(n) - 2) + ".."
                        + 2 * chosen);
        assertTrue(average < n - 1, "a ring that links everyone is no ring");
        System.out.printf("ring n=%d successors=%d: average degree %.1f, max %d%n", n, successors, average, max);
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 9, 17, 64, 150})
    void everyPairsHopByHopPathEndsAtTheDestinationAndSourceEntriesAreExactlyItsLastHops(int n) {
        List<String> ids = members(n);
        TopologyPlanner planner = new TopologyPlanner(8, 1);
        Map<String, Plan> plans = plans(planner, ids);
        Set<List<String>> used = new HashSet<>(); // (node, source, neighbour it arrived from)
        int longest = 0;
        for (String a : ids) {
            for (String d : ids) {
                if (a.equals(d)) {
                    continue;
                }
                String at = a;
                int hops = 0;
                while (!at.equals(d)) {
                    String next = plans.get(at).nextHop().get(d);
                    assertNotNull(next, at + " has no next hop to " + d);
                    assertTrue(plans.get(at).links().contains(next), at + " sends to " + next + " without a link");
                    used.add(List.of(next, a, at));
                    at = next;
                    assertTrue(++hops < n, "path " + a + " -> " + d + " does not end");
                }
                longest = Math.max(longest, hops);
            }
        }
        Set<List<String>> accepted = new HashSet<>();
        for (String x : ids) {
            plans.get(x).accepts().forEach((source, from) -> from.forEach(c -> accepted.add(List.of(x, source, c))));
        }
        assertEquals(used, accepted, "source entries differ from the last hops of the paths");
        if (n > 8) {
            assertTrue(longest <= 2 * log2Ceil(n) + 1, "longest path " + longest + " hops for n=" + n);
        }
    }

    @Test
    void thePlanDoesNotDependOnTheOrderTheMembersAreGivenIn() {
        List<String> ids = members(50);
        List<String> shuffled = new ArrayList<>(ids);
        Collections.shuffle(shuffled, new Random(7));
        shuffled.add(ids.get(3)); // duplicates do not matter either
        TopologyPlanner planner = new TopologyPlanner(16, 2);
        for (String a : List.of("member-000", "member-021", "member-049")) {
            assertEquals(planner.plan(ids, a), planner.plan(shuffled, a));
        }
    }

    @Test
    void aJoiningMemberMovesFewLinks() {
        TopologyPlanner planner = new TopologyPlanner(16, 2);
        List<String> before = members(64);
        List<String> after = new ArrayList<>(before);
        after.add("member-new");
        Set<Set<String>> edgesBefore = edges(planner, before);
        Set<Set<String>> edgesAfter = edges(planner, after);
        Set<Set<String>> lost = new HashSet<>(edgesBefore);
        lost.removeAll(edgesAfter);
        Set<Set<String>> gained = new HashSet<>(edgesAfter);
        gained.removeAll(edgesBefore);
        gained.removeIf(e -> e.contains("member-new"));
        // Positions are hashed and fixed, so only links into the arc the new member takes over move.
        assertTrue(lost.size() + gained.size() <= edgesBefore.size() / 10, "a join moved " + lost.size() + " + "
                + gained.size() + " of " + edgesBefore.size() + " links");
    }

    private static Set<Set<String>> edges(TopologyPlanner planner, List<String> ids) {
        Set<Set<String>> edges = new HashSet<>();
        for (String a : ids) {
            for (String b : planner.plan(ids, a).links()) {
                edges.add(Set.of(a, b));
            }
        }
        return edges;
    }

    @Test
    void aNodeAloneHasNoLinksAndSelfMustBeAMember() {
        Plan alone = new TopologyPlanner(16, 2).plan(List.of("a"), "a");
        assertEquals(Set.of(), alone.links());
        assertEquals(Map.of(), alone.nextHop());
        assertThrows(IllegalArgumentException.class, () -> new TopologyPlanner(16, 2).plan(List.of("a", "b"), "c"));
        assertThrows(IllegalArgumentException.class, () -> new TopologyPlanner(0, 2));
    }
}
