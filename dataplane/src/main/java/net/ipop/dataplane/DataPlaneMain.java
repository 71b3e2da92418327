package net.ipop.dataplane;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.agrona.concurrent.AgentRunner;
import org.agrona.concurrent.CompositeAgent;
import org.agrona.concurrent.SystemEpochClock;
import org.agrona.concurrent.SystemNanoClock;

import io.aeron.Publication;
import io.aeron.Subscription;
import net.ipop.crypto.aead.AeadImplementation;
import net.ipop.dataplane.conductor.Conductor;
import net.ipop.dataplane.conductor.KernelDataPath;
import net.ipop.dataplane.ipc.CommandAgent;
import net.ipop.dataplane.ipc.DataPlaneDriver;
import net.ipop.dataplane.ipc.EventProxy;
import net.ipop.dataplane.pipeline.PipelineIdle;
import net.ipop.dataplane.session.PeerTableHolder;
import net.ipop.dataplane.stats.CountersFileWriter;
import net.ipop.ipc.IpcIdle;

/**
 * The data plane process:
 * {@code --interface NAME --listen ADDR:PORT [--queues N] [--idle NAME] [--io-uring true|false]
 * [--offloads true|false] [--aeron-dir DIR] [--counters FILE] [--dead-peer-after-ms MS]}.
 *
 * <p>{@code --queues}: TUN queues, one pipeline thread each, 1..{@value #MAX_QUEUES}; by default half the
 * cores, at least one ({@link #defaultQueues}). Why half: a pipeline shares its core with the kernel's own work
 * for its packets (TUN and UDP copies, the TCP stacks of local applications), and measured on 2 cores a second
 * pipeline only takes time from them (docs/architecture.md). {@code --idle}: what a pipeline thread does without
 * packets, {@link PipelineIdle} by name; default {@code poll}, blocking in the kernel (nothing spins).
 * {@code --io-uring false}: the pipelines read the TUN device with plain {@code readv} instead of io_uring.
 * {@code --offloads false}: no virtio-net header on the TUN device, no UDP GSO or GRO (both default true).
 * {@code --dead-peer-after-ms}: how long data to a peer may go unanswered before the peer is declared down,
 * default 15000.
 *
 * <p>Starts the embedded Aeron driver and the counters file, runs the conductor (commands + housekeeping) on
 * one thread that backs off to {@value IpcIdle#MAX_PARK_MS} ms parks when idle ({@link IpcIdle}), and waits
 * for SIGTERM/SIGINT. The TUN device and the pipelines appear with the first ConfigureInterface. On a signal it stops the agents and closes the TUN
 * device, sockets, driver (deleting its directory) and counters file (deleting it), then exits 0. One line to
 * stderr per state change; nothing per packet.
 */
public final class DataPlaneMain {
    static final int MAX_PEERS = 256;
    static final int MAX_QUEUES = 16;

    private DataPlaneMain() {
    }

    /** WireGuard's keepalive timeout plus rekey timeout. */
    static final long DEFAULT_DEAD_PEER_AFTER_MS = 15_000;

    /** Half the available processors, at least 1 and at most {@value #MAX_QUEUES}. */
    static int defaultQueues(int processors) {
        return Math.max(1, Math.min(processors / 2, MAX_QUEUES));
    }

    record Args(String interfaceName, InetSocketAddress listen, Path aeronDir, Path counters, int queues,
                PipelineIdle idle, boolean ioUring, boolean offloads, long deadPeerAfterMs) {
        static Args parse(String[] args) {
            String name = null;
            String listen = null;
            String aeron = null;
            String counters = null;
            long deadAfter = DEFAULT_DEAD_PEER_AFTER_MS;
            int queues = defaultQueues(Runtime.getRuntime().availableProcessors());
            PipelineIdle idle = PipelineIdle.POLL;
            boolean ioUring = true;
            boolean offloads = true;
            for (int i = 0; i < args.length; i++) {
                String key = args[i];
                if (i + 1 >= args.length) {
                    throw new IllegalArgumentException(key + " needs a value");
                }
                String value = args[++i];
                switch (key) {
                    case "--interface" -> name = value;
                    case "--listen" -> listen = value;
                    case "--aeron-dir" -> aeron = value;
                    case "--counters" -> counters = value;
                    case "--queues" -> queues = queues(value);
                    case "--idle" -> idle = idle(value);
                    case "--io-uring" -> ioUring = bool(key, value);
                    case "--offloads" -> offloads = bool(key, value);
                    case "--dead-peer-after-ms" -> deadAfter = positive(key, value);
                    default -> throw new IllegalArgumentException("unknown option " + key
                            + " (expected --interface, --listen, --queues, --idle, --io-uring, --offloads,"
                            + " --aeron-dir, --counters, --dead-peer-after-ms)");
                }
            }
            if (name == null || listen == null) {
                throw new IllegalArgumentException("--interface NAME and --listen ADDR:PORT are required");
            }
            return new Args(name, endpoint(listen),
                    aeron == null ? DataPlaneDriver.defaultDirectory(name) : Path.of(aeron),
                    counters == null ? Path.of("/run/ipop", name + ".counters") : Path.of(counters), queues, idle,
                    ioUring, offloads, deadAfter);
        }

        private static PipelineIdle idle(String text) {
            try {
                return PipelineIdle.of(text);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("--idle: " + e.getMessage());
            }
        }

        private static boolean bool(String key, String value) {
            return switch (value) {
                case "true" -> true;
                case "false" -> false;
                default -> throw new IllegalArgumentException(key + " " + value + ": expected true or false");
            };
        }

        private static int queues(String text) {
            try {
                int n = Integer.parseInt(text);
                if (n >= 1 && n <= MAX_QUEUES) {
                    return n;
                }
            } catch (NumberFormatException e) {
                // falls through to the message below
            }
            throw new IllegalArgumentException("--queues " + text + ": use 1 to " + MAX_QUEUES
                    + " (one pipeline thread each)");
        }

        private static long positive(String key, String value) {
            try {
                long v = Long.parseLong(value);
                if (v > 0) {
                    return v;
                }
            } catch (NumberFormatException e) {
                // reported below
            }
            throw new IllegalArgumentException(key + " " + value + ": expected a number of milliseconds > 0");
        }

        private static InetSocketAddress endpoint(String text) {
            int colon = text.lastIndexOf(':');
            if (colon <= 0) {
                throw new IllegalArgumentException("--listen " + text + ": expected ADDR:PORT, e.g. 198.51.100.1:51820"
                        + " or [2001:db8::1]:51820");
            }
            String host = text.substring(0, colon);
            if (host.startsWith("[") && host.endsWith("]")) {
                host = host.substring(1, host.length() - 1);
            }
            if (!host.chars().allMatch(c -> Character.digit(c, 16) >= 0 || c == '.' || c == ':')) {
                throw new IllegalArgumentException("--listen " + text + ": the address must be a literal IP address");
            }
            try {
                int port = Integer.parseInt(text.substring(colon + 1));
                return new InetSocketAddress(InetAddress.getByName(host), port);
            } catch (IllegalArgumentException | UnknownHostException e) {
                throw new IllegalArgumentException("--listen " + text + ": " + e.getMessage());
            }
        }
    }

    static void log(String line) {
        // Time stamped as the node's lines are: they share one log file.
        System.err.println(java.time.Instant.ofEpochMilli(System.currentTimeMillis()) + " ipop-dataplane: " + line);
    }

    public static void main(String[] argv) throws Exception {
        Args args;
        try {
            args = Args.parse(argv);
        } catch (IllegalArgumentException e) {
            System.err.println("ipop-dataplane: " + e.getMessage());
            System.exit(2);
            return;
        }
        Path countersDir = args.counters().toAbsolutePath().getParent();
        if (countersDir != null) {
            Files.createDirectories(countersDir);
        }
        CountersFileWriter counters = CountersFileWriter.create(args.counters(), args.queues(), MAX_PEERS,
                SystemEpochClock.INSTANCE);
        DataPlaneDriver driver;
        try {
            driver = DataPlaneDriver.launch(args.aeronDir());
        } catch (RuntimeException e) {
            counters.close();
            throw e;
        }
        Subscription commands = driver.addCommandSubscription();
        Publication events = driver.addEventPublication();
        PeerTableHolder tables = new PeerTableHolder();
        KernelDataPath dataPath = new KernelDataPath(args.interfaceName(), args.queues(), args.idle(), args.ioUring(),
                args.offloads(), args.listen(), tables, counters, events, Throwable::printStackTrace);
        Conductor conductor = new Conductor(dataPath, tables, counters, new EventProxy(events),
                new SystemNanoClock(), MAX_PEERS, TimeUnit.MILLISECONDS.toNanos(args.deadPeerAfterMs()),
                DataPlaneMain::log);
        AgentRunner runner = new AgentRunner(IpcIdle.agent(), Throwable::printStackTrace, null,
                new CompositeAgent(new CommandAgent(commands, conductor), conductor));
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            int status = 0;
            try {
                log("stopping");
                // The agents' onClose stops the pipelines and closes TUN and sockets before the driver goes.
                runner.close();
                driver.close();
                counters.close();
                log("stopped");
            } catch (Throwable t) {
                log("stopping failed: " + t);
                t.printStackTrace();
                status = 1;
            } finally {
                stopped.countDown();
            }
            // A signal would otherwise end the JVM with 128 + signal; a clean stop is a success.
            Runtime.getRuntime().halt(status);
        }, "ipop-shutdown"));
        AgentRunner.startOnThread(runner);
        log("started: interface " + args.interfaceName() + ", listen " + args.listen() + ", queues "
                + args.queues() + ", idle " + args.idle().configName() + ", io_uring " + args.ioUring() + ", offloads "
                + args.offloads() + ", aead " + AeadImplementation.describe() + ", aeron "
                + driver.directory() + ", counters " + counters.path() + ", pid " + ProcessHandle.current().pid());
        stopped.await();
    }
}
