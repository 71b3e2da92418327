package net.ipop.control.ipc;

import net.ipop.ipc.sbe.Result;

/** The data plane's CommandResult for one command, copied out of the event stream. */
public record Reply(long correlationId, Result result, String detail) {
    public boolean ok() {
        return result == Result.OK;
    }
}
