/**
 * Topology: which members of an overlay get a direct link, and how the others are reached.
 *
 * <p>{@link net.ipop.control.topology.TopologyPlanner} is a pure function from the set of live member ids to a
 * {@link net.ipop.control.topology.Plan}: a full mesh up to {@code topology.maxMeshSize} members, above it a
 * structured ring (successors plus about log2(n) chords), with next hops and the exact inner-source entries the
 * hop-by-hop paths need. Every node computes it identically from the same member set.
 * {@link net.ipop.control.topology.TopologyManager} keeps the member set and their liveness, re-plans when they
 * change and pushes the difference to the data plane as ROUTE_ONLY / SOURCE_ONLY entries.
 */
package net.ipop.control.topology;
