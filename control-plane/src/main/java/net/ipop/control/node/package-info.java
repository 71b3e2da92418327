/**
 * Static mode's control plane, the way wg-quick runs WireGuard: {@link net.ipop.control.node.StaticNode}
 * handshakes with the peers of a parsed configuration over the data plane's UDP socket, installs the keys
 * in the data plane and keeps sessions alive on the WireGuard timers. It talks to the data plane only
 * through {@link net.ipop.control.node.DataPlanePort} ({@link net.ipop.control.node.AeronDataPlanePort} in
 * production) and hears from it through {@link net.ipop.control.node.NodeEvents}; {@link
 * net.ipop.control.node.StaticNodeAgent} runs both on one Agrona agent thread. A node restarted while its data
 * plane kept running adopts that data plane instead ({@link net.ipop.control.node.DataPlaneTakeover},
 * {@link net.ipop.control.node.DataPlaneState}, {@code Adoption}): its sessions, ids and endpoints stay.
 */
package net.ipop.control.node;
