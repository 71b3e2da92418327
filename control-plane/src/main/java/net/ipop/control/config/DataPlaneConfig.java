package net.ipop.control.config;

import java.nio.file.Path;

/**
 * How the data plane runs; every key has a default suited to a small shared machine.
 *
 * @param idleStrategy   what a pipeline thread does after a cycle that found no packets (the data plane's
 *                       {@code --idle})
 * @param ioUring        batch TUN reads through io_uring (false: plain readv)
 * @param offloads       TUN/UDP segmentation offloads (virtio-net header, GSO/GRO)
 * @param countersFile   absolute path of the memory-mapped counters file
 * @param aeronDirectory absolute path of the embedded Aeron driver's directory
 * @param deadPeerAfterMs how long data sent to a peer may go unanswered before the data plane declares the
 *                        peer down (its routes then count no_route until it answers again)
 */
public record DataPlaneConfig(IdleStrategy idleStrategy, boolean ioUring, boolean offloads,
                              Path countersFile, Path aeronDirectory, int deadPeerAfterMs) {
    /** WireGuard's keepalive timeout (10 s) plus its rekey timeout (5 s). */
    public static final int DEFAULT_DEAD_PEER_AFTER_MS = 15_000;

    /** The default counters file for an interface: {@code /run/ipop/<interface>.counters}. */
    public static Path defaultCountersFile(String interfaceName) {
        return Path.of("/run/ipop", interfaceName + ".counters");
    }

    /** The default Aeron directory for an interface: {@code /dev/shm/ipop-<interface>}. */
    public static Path defaultAeronDirectory(String interfaceName) {
        return Path.of("/dev/shm", "ipop-" + interfaceName);
    }

    /** What a pipeline thread does without packets, by configuration name (the data plane's {@code --idle} names). */
    public enum IdleStrategy {
        /** Sleep in the kernel until the TUN queue or the socket has a packet: the default, no CPU when idle. */
        POLL("poll"),
        /** Spin, then yield, then park with sleeps growing to 1 ms; never waits on the devices. */
        BACKOFF("backoff"),
        /** Always {@code Thread.yield()}: a core's worth of CPU when nothing else wants it. */
        YIELDING("yielding"),
        /** Never give up the core: lowest latency, a whole core per pipeline. */
        BUSY_SPIN("busy-spin");

        private final String configName;

        IdleStrategy(String configName) {
            this.configName = configName;
        }

        public String configName() {
            return configName;
        }
    }
}
