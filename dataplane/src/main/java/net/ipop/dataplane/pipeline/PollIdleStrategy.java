package net.ipop.dataplane.pipeline;

import java.io.UncheckedIOException;

import net.ipop.ffm.libc.ErrnoException;
import org.agrona.concurrent.IdleStrategy;

/**
 * Idles a pipeline by blocking in {@code poll(2)} on its TUN queue and socket, so an idle pipeline
 * costs no CPU and wakes as soon as a packet arrives (no busy spin on a 2-core machine). The
 * timeout bounds how late the agent notices a stop request or a new snapshot.
 */
public final class PollIdleStrategy implements IdleStrategy {
    private final PipelineIo io;
    private final int timeoutMs;

    public PollIdleStrategy(PipelineIo io, int timeoutMs) {
        this.io = io;
        this.timeoutMs = timeoutMs;
    }

    @Override
    public void idle(int workCount) {
        if (workCount <= 0) {
            idle();
        }
    }

    @Override
    public void idle() {
        try {
            io.awaitReadable(timeoutMs);
        } catch (ErrnoException e) {
            throw new UncheckedIOException(e); // reaches the runner's error handler
        }
    }

    @Override
    public void reset() {
    }

    @Override
    public String alias() {
        return "poll";
    }
}
