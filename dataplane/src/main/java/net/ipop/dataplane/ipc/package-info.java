/**
 * The data plane's end of the IPC with the control plane: Aeron IPC, SBE messages of the {@code ipop-ipc}
 * schema.
 *
 * <p>{@link net.ipop.dataplane.ipc.DataPlaneDriver} embeds the media driver (one shared, parking thread;
 * owner-only directory under {@code /dev/shm}). Commands arrive on stream 1001: a
 * {@link net.ipop.dataplane.ipc.CommandAgent} polls them in its duty cycle and its
 * {@link net.ipop.dataplane.ipc.CommandAdapter} hands each, decoded in place, to a
 * {@link net.ipop.dataplane.ipc.CommandListener}. Answers and events leave on stream 1002 through an
 * {@link net.ipop.dataplane.ipc.EventProxy}, one per sending thread, which never blocks: an event that cannot be
 * delivered within a few retries is counted and reported as {@code false}.
 */
package net.ipop.dataplane.ipc;
