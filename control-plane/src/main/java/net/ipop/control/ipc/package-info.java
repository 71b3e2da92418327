/**
 * The control plane's end of the IPC with the data plane: an Aeron client on the data plane's driver, SBE
 * messages of the {@code ipop-ipc} schema.
 *
 * <p>{@link net.ipop.control.ipc.DataPlaneConnection} connects (or says plainly that no data plane runs), sends
 * commands on stream 1001 through its {@link net.ipop.control.ipc.CommandProxy}, and reads events from stream
 * 1002 through an {@link net.ipop.control.ipc.EventAdapter} into an {@link net.ipop.control.ipc.EventListener}.
 * For the CLI, {@link net.ipop.control.ipc.DataPlaneConnection#call} sends one command and waits for its
 * CommandResult (matched by correlation id, via {@link net.ipop.control.ipc.ReplyWaiter}), failing with a
 * {@link net.ipop.control.ipc.DataPlaneUnavailableException} whose message says what is wrong.
 */
package net.ipop.control.ipc;
