/**
 * The node's status, for {@code ipop status}, {@code peers} and {@code ping}: the node thread publishes an
 * immutable {@link net.ipop.control.status.NodeSnapshot} on each change to a
 * {@link net.ipop.control.status.StatusBoard}; the {@link net.ipop.control.status.StatusServer} serves it, joined
 * with the data plane's counters by {@link net.ipop.control.status.StatusService}, on a Unix socket of mode 0600
 * ({@code /run/ipop/<interface>.sock}); the CLI asks through {@link net.ipop.control.status.StatusClient}. The
 * document and protocol are in docs/cli.md.
 */
package net.ipop.control.status;
