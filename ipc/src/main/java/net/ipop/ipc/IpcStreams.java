package net.ipop.ipc;

/**
 * Where the two planes meet: one Aeron IPC channel, one stream per direction. Part of the IPC
 * contract, so it lives beside the schema that both planes depend on.
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
