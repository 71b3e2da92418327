package net.ipop.control.node;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import net.ipop.control.ipc.DataPlaneConnection;
import net.ipop.control.ipc.DataPlaneUnavailableException;

/**
 * Connecting a new node daemon to the data plane a killed one left running, instead of replacing it: the data
 * plane kept forwarding on its sessions (and sending keepalives) without its control plane, and adopting it
 * keeps that traffic undisturbed. Whether a running data plane fits is decided from its command line: it must
 * have been started with exactly the arguments this node would start it with (interface, listen address,
 * queues, directories), since none of those can change while it runs.
 *
 * <p>Threading: the caller's; a returned connection is then used by one thread at a time.
 */
public final class DataPlaneTakeover {
    private DataPlaneTakeover() {
    }

    /**
     * A running data plane, connected and asked for its state; hand {@code state} to
     * {@link StaticNode#adopting} and {@code connection} to the node's agent.
     */
    public record Adopted(ProcessHandle process, DataPlaneConnection connection, DataPlaneState state) {
    }

    /**
     * Whether {@code commandLine} (a process's arguments joined by single spaces) ends with exactly
     * {@code arguments} (the main class and its options), i.e. the process runs the data plane this node would
     * start.
     */
    public static boolean sameArguments(String commandLine, List<String> arguments) {
        String tail = String.join(" ", arguments);
        return commandLine.equals(tail) || commandLine.endsWith(" " + tail);
    }

    /**
     * Connects to the data plane {@code process} whose driver runs in {@code aeronDirectory} and reads its state,
     * each step waiting at most {@code timeout}.
     *
     * @throws DataPlaneUnavailableException if it does not answer or cannot be adopted (the message says why);
     *                                       nothing is left open then
     */
    public static Adopted connect(ProcessHandle process, Path aeronDirectory, Duration timeout) {
        DataPlaneConnection connection = DataPlaneConnection.connect(aeronDirectory, timeout);
        try {
            DataPlaneState state = DataPlaneState.query(connection, timeout);
            if (!process.isAlive()) {
                throw new DataPlaneUnavailableException("the data plane (pid " + process.pid()
                        + ") exited while it was being adopted");
            }
            return new Adopted(process, connection, state);
        } catch (RuntimeException e) {
            connection.close();
            throw e;
        }
    }
}
