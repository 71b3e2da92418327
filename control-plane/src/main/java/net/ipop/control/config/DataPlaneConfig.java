package net.ipop.control.config;

import java.nio.file.Path;

/**
 * How the data plane runs; every key has a default suited to a small shared machine.
 *
 * @param idleStrategy   what an agent does when a duty cycle found no work
 * @param threading      one thread per agent, or agents composed onto one thread
 * @param ioUring        batch kernel I/O through io_uring (false: plain readv/sendmmsg)
 * @param offloads       TUN/UDP segmentation offloads (virtio-net header, GSO/GRO)
 * @param countersFile   absolute path of the memory-mapped counters file
 * @param aeronDirectory absolute path of the embedded Aeron driver's directory
 * @param deadPeerAfterMs how long data sent to a peer may go unanswered before the data plane declares the
 *                        peer down (its routes then count no_route until it answers again)
 */
public record DataPlaneConfig(IdleStrategy idleStrategy, Threading threading, boolean ioUring, boolean offloads,
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

    /** Agrona idle strategies, by their configuration names. */
    public enum IdleStrategy {
        /** Spin, then yield, then park with growing sleeps: the default, cheap on a shared machine. */
        BACKOFF("backoff"),
        /** Always park for a fixed short time. */
        SLEEPING("sleeping"),
        /** Always {@code Thread.yield()}. */
        YIELDING("yielding"),
        /** Never give up the core: lowest latency, a whole core per agent. */
        BUSY_SPIN("busy-spin");

        private final String configName;

        IdleStrategy(String configName) {
            this.configName = configName;
        }

        public String configName() {
            return configName;
        }
    }

    /** How agents map to threads. */
    public enum Threading {
        /** One thread per agent (each pipeline, the conductor). */
        DEDICATED("dedicated"),
        /** All agents composed onto one thread. */
        SHARED("shared");

        private final String configName;

        Threading(String configName) {
            this.configName = configName;
        }

        public String configName() {
            return configName;
        }
    }
}
