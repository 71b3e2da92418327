package net.ipop.control.ipc;

import java.io.Serial;

/**
 * The data plane cannot be reached or did not answer: not running, stopped, not reading commands, or too
 * slow. The message says which, names the directory, and is meant for the user as it is.
 */
public final class DataPlaneUnavailableException extends RuntimeException {
    @Serial
    private static final long serialVersionUID = 1L;

    public DataPlaneUnavailableException(String message) {
        super(message);
    }

    public DataPlaneUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
