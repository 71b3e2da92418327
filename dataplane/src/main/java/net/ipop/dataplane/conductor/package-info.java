/**
 * The data plane's slow path: the {@link net.ipop.dataplane.conductor.Conductor} agent applies the control
 * plane's commands, is the single writer of the peer, session and route tables (published as immutable
 * snapshots), and owns the kernel side through a {@link net.ipop.dataplane.conductor.DataPath}.
 *
 * <p>{@link net.ipop.dataplane.conductor.KernelDataPath} is that kernel side: the TUN device (set up through
 * rtnetlink), the UDP socket and the pipeline agents, each on its own thread. Pipelines punt handshake and STUN
 * datagrams straight to the control plane through their own event proxy, and their plain path counters are
 * carried into the counters file on their own thread, so every counter keeps exactly one writer.
 */
package net.ipop.dataplane.conductor;
