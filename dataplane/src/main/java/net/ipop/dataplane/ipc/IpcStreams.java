package net.ipop.dataplane.ipc;

/**
 * Where the two planes meet: one Aeron IPC channel, one stream per direction. The control plane's
 * {@code net.ipop.control.ipc.IpcStreams} holds the same numbers; the planes share only the SBE schema, so
 * the numbers are repeated rather than imported.
 */
public final class IpcStreams {
    /** The Aeron channel both streams use. */
    public static final String CHANNEL = "aeron:ipc";
    /** Commands, control plane to data plane. */
    public static final int COMMAND_STREAM_ID = 1001;
    /** Events, data plane to control plane. */
    public static final int EVENT_STREAM_ID = 1002;

    private IpcStreams() {
    }
}
