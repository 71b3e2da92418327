package net.ipop.dataplane.pipeline;

import java.util.concurrent.TimeUnit;

import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.BusySpinIdleStrategy;
import org.agrona.concurrent.IdleStrategy;
import org.agrona.concurrent.YieldingIdleStrategy;

/**
 * What a pipeline thread does after a cycle that found no packets, by its configuration name (the data
 * plane's {@code --idle}). Only {@link #POLL} sleeps in the kernel until a packet arrives; the others
 * trade CPU for wake-up latency and suit only machines with cores to spare.
 */
public enum PipelineIdle {
    /** Block in {@code io_uring_enter} (or {@code poll(2)}) until the TUN queue or socket has work: the default. */
    POLL("poll"),
    /** Spin, then yield, then park from 1 µs growing to 1 ms; never waits on the fds. */
    BACKOFF("backoff"),
    /** {@code Thread.yield()} between cycles: a core's worth of CPU when others want none. */
    YIELDING("yielding"),
    /** Never gives up the core: a whole core per pipeline, lowest latency. */
    BUSY_SPIN("busy-spin");

    /** How long {@link #POLL} blocks before the agent looks at its stop flag again. */
    public static final int POLL_TIMEOUT_MS = 10;

    private final String configName;

    PipelineIdle(String configName) {
        this.configName = configName;
    }

    public String configName() {
        return configName;
    }

    /** The strategy named {@code name}, or an {@link IllegalArgumentException} listing the names. */
    public static PipelineIdle of(String name) {
        for (PipelineIdle i : values()) {
            if (i.configName.equals(name)) {
                return i;
            }
        }
        throw new IllegalArgumentException("unknown idle strategy '" + name
                + "' (expected poll, backoff, yielding or busy-spin)");
    }

    /** A new strategy instance for one pipeline runner; {@code io} is what {@link #POLL} waits on. */
    public IdleStrategy create(PipelineIo io) {
        return switch (this) {
            case POLL -> new PollIdleStrategy(io, POLL_TIMEOUT_MS);
            case BACKOFF -> new BackoffIdleStrategy(10, 20, TimeUnit.MICROSECONDS.toNanos(1),
                    TimeUnit.MILLISECONDS.toNanos(1));
            case YIELDING -> new YieldingIdleStrategy();
            case BUSY_SPIN -> new BusySpinIdleStrategy();
        };
    }
}
