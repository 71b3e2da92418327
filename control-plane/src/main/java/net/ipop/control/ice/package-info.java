/**
 * NAT traversal: ICE (RFC 8445) with ice4j, sharing the data plane's UDP socket.
 *
 * <p>An {@link net.ipop.control.ice.IceSession} per peer link gathers host, server-reflexive (STUN) and
 * relayed (TURN over UDP, long-term credentials) candidates, runs the connectivity checks with nomination,
 * reports the nominated {@link net.ipop.control.ice.SelectedPath}, checks consent freshness on it and
 * restarts with new credentials on request. ice4j never opens a socket of its own here: every session's
 * agent gets {@code DatagramSocket}s that send and receive through one {@link
 * net.ipop.control.ice.IceTransport} (the data plane's socket, or a socket of the control plane's own),
 * shared by all sessions through an {@link net.ipop.control.ice.IceMux}. The checks therefore validate
 * exactly the 5-tuple the data then uses.
 */
package net.ipop.control.ice;
