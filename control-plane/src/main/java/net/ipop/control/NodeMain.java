package net.ipop.control;

import java.io.IOException;
import java.io.PrintStream;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import org.agrona.IoUtil;
import org.agrona.concurrent.Agent;
import org.agrona.concurrent.AgentRunner;

import net.ipop.control.config.ConfigException;
import net.ipop.control.config.ConfigProblem;
import net.ipop.control.config.NodeConfig;
import net.ipop.control.config.NodeConfigParser;
import net.ipop.control.ipc.DataPlaneConnection;
import net.ipop.control.ipc.DataPlaneUnavailableException;
import net.ipop.control.node.AeronDataPlanePort;
import net.ipop.control.node.DataPlaneState;
import net.ipop.control.node.DataPlaneTakeover;
import net.ipop.control.node.EndpointMemory;
import net.ipop.control.node.StaticNode;
import net.ipop.control.node.StaticNodeAgent;
import net.ipop.control.logging.LogLevels;
import net.ipop.control.reload.HangupSignal;
import net.ipop.control.reload.Reloader;
import net.ipop.control.status.StatusBoard;
import net.ipop.control.status.StatusServer;
import net.ipop.control.status.StatusService;
import net.ipop.control.topology.TopologyManager;
import net.ipop.control.overlay.OverlayAgent;
import net.ipop.control.overlay.OverlayNode;
import net.ipop.control.overlay.OverlayReload;
import net.ipop.crypto.cert.PrivateKeyFiles;
import net.ipop.crypto.noise.Clock;
import net.ipop.crypto.noise.NoiseKeyPair;
import net.ipop.ipc.IpcIdle;

/**
 * The node daemon: {@code --config FILE}. Runs a node in static mode as two processes: this one (the control
 * plane: {@link StaticNode} on an agent thread) and the data plane ({@code net.ipop.dataplane.DataPlaneMain}), a
 * child JVM started from the class path in the system property {@value #DATAPLANE_CLASSPATH_PROPERTY}.
 *
 * <p>Lifecycle: the config is parsed (problems to stderr, exit 2) and the private key read; the lock on
 * {@code <run directory>/<interface>.lock} is taken (refused, exit 1, if another live node holds it or the pid
 * file names one). A data plane left running by a killed node (its pid is in {@code <interface>.dataplane.pid})
 * kept forwarding without us; if it runs with the arguments this config gives, it is <em>adopted</em>
 * ({@link DataPlaneTakeover}: connected, asked its state, and the node resumes its sessions without a new
 * handshake), otherwise stopped. Then the pid file {@code <interface>.pid} is written; without a data plane to
 * adopt one is started and, once its Aeron driver answers, the node pushes its state and starts handshaking. The
 * data plane's output goes to ours (inherited, so it outlives us). If the
 * data plane exits while we did not ask it to, it is started again after a pause and the node starts over with
 * fresh handshakes (a new data plane holds no keys, and the old keys cannot be resumed without reusing nonces).
 * On SIGTERM/SIGINT the agent stops, the data plane gets SIGTERM (SIGKILL after {@link #CHILD_STOP_TIMEOUT}),
 * the pid file is removed and the process exits 0. One line to stderr per state change.
 *
 * <p>The run directory is {@code /run/ipop} unless the system property {@value #RUN_DIRECTORY_PROPERTY} names
 * another (tests).
 */
public final class NodeMain {
    /** System property naming the data plane's class path; the {@code ipop} launcher sets it. */
    public static final String DATAPLANE_CLASSPATH_PROPERTY = "ipop.dataplane.classpath";
    /** System property overriding {@link #DEFAULT_RUN_DIRECTORY}. */
    public static final String RUN_DIRECTORY_PROPERTY = "ipop.runDirectory";
    public static final Path DEFAULT_RUN_DIRECTORY = Path.of("/run/ipop");
    /**
     * JVM flags of every IPOP process (the {@code ipop} launcher passes the same): FFM, Agrona's and Aeron's use
     * of internals, and a footprint that suits a daemon whose packet path allocates nothing. The JVM's defaults
     * size the heap by the machine's memory (a quarter of it) and pick G1, whose bookkeeping alone took ~45 MiB
     * resident per process here; the serial collector with a small initial heap keeps the data plane near
     * 75 MiB resident (docs/performance.md, memory row).
     */
    public static final List<String> JVM_FLAGS = List.of("--enable-native-access=ALL-UNNAMED",
            "--add-exports", "java.base/jdk.internal.misc=ALL-UNNAMED", "--sun-misc-unsafe-memory-access=allow",
            "-XX:+UseSerialGC", "-Xms8m", "-Xmx256m");
    /** Exit code for a config file with problems, as {@code ipop config check}. */
    public static final int EXIT_CONFIG = 2;
    public static final int EXIT_FAILED = 1;

    static final String DATAPLANE_MAIN = "net.ipop.dataplane.DataPlaneMain";
    static final Duration DATAPLANE_START_TIMEOUT = Duration.ofSeconds(30);
    static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(10);
    static final Duration CHILD_STOP_TIMEOUT = Duration.ofSeconds(10);
    /** Pause before restarting a data plane that died, doubling per quick failure up to the maximum. */
    static final long RESTART_PAUSE_MS = 500;
    static final long RESTART_PAUSE_MAX_MS = 10_000;
    /** A data plane that ran this long resets the restart pause. */
    static final long STABLE_RUN_MS = 30_000;

    private final NodeConfig config;
    /** The reloadable settings (SIGHUP), the log levels and the metrics endpoint. */
    private final Reloader reloader;
    private final NoiseKeyPair keys;
    private final String dataPlaneClassPath;
    private final Path pidFile;
    private final PrintStream log;
    private final Object lock = new Object();
    // Guarded by lock: what the shutdown hook must stop.
    private boolean stopping;
    /** The data plane: a child we started, or one a killed node left and we adopted. */
    private ProcessHandle child;
    /** The same as a {@link Process} when we started it (its exit code is known), else null. */
    private Process childProcess;
    private AgentRunner runner;
    private DataPlaneConnection connection;
    /** Held for the life of the process (the kernel drops it even on SIGKILL): one node per interface. */
    private FileLock interfaceLock;
    /** What each node agent publishes for {@code ipop status}; outlives data plane restarts. */
    private final StatusBoard statusBoard = new StatusBoard();
    /** Each peer's last endpoint, pushed with a restarted data plane's state (a NATed peer's learned address). */
    private final EndpointMemory endpoints = new EndpointMemory();
    /** The local control socket {@code <interface>.sock}; guarded by lock. */
    private StatusServer statusServer;

    private NodeMain(NodeConfig config, Reloader reloader, NoiseKeyPair keys, String dataPlaneClassPath,
                     PrintStream log) {
        this.config = config;
        this.reloader = reloader;
        this.keys = keys;
        this.dataPlaneClassPath = dataPlaneClassPath;
        this.pidFile = pidFile(config.iface().name());
        this.log = log;
    }

    public static void main(String[] args) {
        List<String> levels = new ArrayList<>();
        for (int i = 2; i + 1 < args.length && args[i].equals("--log-level"); i += 2) {
            levels.add(args[i + 1]);
        }
        if (args.length < 2 || args.length != 2 + 2 * levels.size() || !args[0].equals("--config")) {
            System.err.println("ipop-node: usage: NodeMain --config FILE [--log-level [COMPONENT=]LEVEL]...");
            System.exit(EXIT_CONFIG);
        }
        Map<String, String> overrides;
        try {
            overrides = LogLevels.parseOverrides(levels);
        } catch (IllegalArgumentException e) {
            System.err.println("ipop-node: " + e.getMessage());
            System.exit(EXIT_CONFIG);
            return;
        }
        System.exit(run(Path.of(args[1]), System.err, overrides));
    }

    /** {@link #run(Path, PrintStream, Map)} with the config file's log levels. */
    public static int run(Path configFile, PrintStream log) {
        return run(configFile, log, Map.of());
    }

    /**
     * Runs the node of {@code configFile} in this process until SIGTERM/SIGINT, which ends the JVM with 0 from
     * the shutdown hook (this method then never returns). Returns only on failure, with the exit code: 2 for a
     * config or key file problem, 1 when the node cannot start. Messages go to {@code log}; log records of the
     * components go to standard error at the levels of the file's {@code log:} section, {@code logLevels}
     * ({@code --log-level}: component, or "" for all, to level) winning over them.
     */
    public static int run(Path configFile, PrintStream log, Map<String, String> logLevels) {
        NodeConfig config;
        try {
            config = NodeConfigParser.parse(configFile);
        } catch (ConfigException e) {
            for (ConfigProblem p : e.problems()) {
                log.println(p);
            }
            log.println("ipop-node: " + e.problems().size() + " problem(s) in " + configFile
                    + "; the format is described in docs/configuration.md");
            return EXIT_CONFIG;
        }
        NoiseKeyPair keys;
        try {
            keys = NoiseKeyPair.fromBase64(PrivateKeyFiles.read(config.privateKeyFile()).strip());
        } catch (IOException | IllegalArgumentException e) {
            log.println("ipop-node: cannot read the private key " + config.privateKeyFile() + ": " + e.getMessage());
            return EXIT_CONFIG;
        }
        String classPath = System.getProperty(DATAPLANE_CLASSPATH_PROPERTY);
        if (classPath == null || classPath.isBlank()) {
            log.println("ipop-node: the data plane's class path is unknown: the system property "
                    + DATAPLANE_CLASSPATH_PROPERTY + " is not set; start the node with the ipop launcher (ipop up)");
            return EXIT_FAILED;
        }
        Reloader reloader = new Reloader(configFile, config, logLevels);
        return new NodeMain(config, reloader, keys, classPath, log).runNode();
    }

    /** The directory of pid and log files: {@code /run/ipop} unless {@value #RUN_DIRECTORY_PROPERTY} says. */
    public static Path runDirectory() {
        String dir = System.getProperty(RUN_DIRECTORY_PROPERTY);
        return dir == null || dir.isBlank() ? DEFAULT_RUN_DIRECTORY : Path.of(dir);
    }

    /** {@code <run directory>/<interface>.pid}: the node process's pid, while it runs. */
    public static Path pidFile(String interfaceName) {
        return runDirectory().resolve(interfaceName + ".pid");
    }

    /** {@code <run directory>/<interface>.sock}: the node's status socket ({@code ipop status}), while it runs. */
    public static Path socketFile(String interfaceName) {
        return StatusServer.socketFile(runDirectory(), interfaceName);
    }

    /** {@code <run directory>/<interface>.log}: where {@code ipop up} sends the node's output. */
    public static Path logFile(String interfaceName) {
        return runDirectory().resolve(interfaceName + ".log");
    }

    /**
     * The live node process the pid file names, if any. A pid that is gone, or now belongs to a process that is
     * not an IPOP JVM, counts as none.
     */
    public static Optional<ProcessHandle> runningNode(String interfaceName) {
        OptionalLong pid = readPid(pidFile(interfaceName));
        if (pid.isEmpty()) {
            return Optional.empty();
        }
        return ProcessHandle.of(pid.getAsLong()).filter(ProcessHandle::isAlive)
                .filter(h -> commandLine(h).map(c -> c.contains("net.ipop.")).orElse(true));
    }

    /**
     * {@code <run directory>/<interface>.dataplane.pid}: the node's data plane process, so that one left behind
     * by a node that was killed (SIGKILL ends a JVM without its hooks) can be found and stopped.
     */
    public static Path dataPlanePidFile(String interfaceName) {
        return runDirectory().resolve(interfaceName + ".dataplane.pid");
    }

    /**
     * The data plane process of the running node of this interface (its child, or one it adopted), if any. A node
     * writes its pid file only after it has adopted or stopped the data plane an earlier node left, so while the
     * pid file names a live node the data plane pid file names that node's data plane.
     */
    public static Optional<ProcessHandle> dataPlaneOfRunningNode(String interfaceName) {
        if (runningNode(interfaceName).isEmpty()) {
            return Optional.empty();
        }
        return orphanedDataPlane(interfaceName);
    }

    /**
     * The whole command line of a process, its arguments joined by spaces. {@code ProcessHandle.Info}
     * cuts it at 4096 bytes, which a JVM with a long class path exceeds before its main class, so this
     * reads {@code /proc/<pid>/cmdline} itself and falls back to {@code ProcessHandle.Info} elsewhere.
     */
    public static Optional<String> commandLine(ProcessHandle process) {
        try {
            byte[] raw = Files.readAllBytes(Path.of("/proc", Long.toString(process.pid()), "cmdline"));
            if (raw.length > 0) {
                for (int i = 0; i < raw.length; i++) {
                    if (raw[i] == 0) {
                        raw[i] = ' ';
                    }
                }
                return Optional.of(new String(raw, StandardCharsets.UTF_8).strip());
            }
        } catch (IOException | SecurityException e) {
            // Gone, or no /proc: what the JDK can tell is the best we have.
        }
        return process.info().commandLine();
    }

    /** A data plane of this interface that still runs although its node is gone, if any. */
    public static Optional<ProcessHandle> orphanedDataPlane(String interfaceName) {
        OptionalLong pid = readPid(dataPlanePidFile(interfaceName));
        if (pid.isEmpty()) {
            return Optional.empty();
        }
        // Only a process that is provably a data plane: the pid may have been reused by anything.
        return ProcessHandle.of(pid.getAsLong()).filter(ProcessHandle::isAlive)
                .filter(h -> commandLine(h).map(c -> c.contains(DATAPLANE_MAIN)).orElse(false));
    }

    /**
     * Sends SIGTERM, waits up to {@code timeout}, then SIGKILL (and waits as long again). Returns whether the
     * process is gone.
     */
    public static boolean stop(ProcessHandle process, Duration timeout) {
        process.destroy();
        try {
            process.onExit().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException | ExecutionException e) {
            process.destroyForcibly();
            try {
                process.onExit().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            } catch (TimeoutException | ExecutionException e2) {
                return !process.isAlive();
            } catch (InterruptedException e2) {
                Thread.currentThread().interrupt();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return !process.isAlive();
    }

    /**
     * Creates the run directory (mode 0700) if needed, and takes group and other access away from one that
     * exists: its log names peers and their endpoints, and the counters file beside it is owner-only anyway, so
     * nobody but the owner (root) has a use for it.
     */
    public static void createRunDirectory() throws IOException {
        Path dir = runDirectory();
        if (!Files.isDirectory(dir)) {
            try {
                Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(
                        PosixFilePermissions.fromString("rwx------")));
            } catch (FileAlreadyExistsException e) {
                // Created meanwhile by another node.
            }
        }
        // The umask may have removed bits; an older version made it 0755.
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
    }

    /** The data plane's listen argument: the configured address (or 0.0.0.0) and port. */
    public static String listenArgument(NodeConfig config) {
        InetAddress address = config.listen().address().orElse(null);
        String host = address == null ? "0.0.0.0"
                : address instanceof Inet6Address ? "[" + address.getHostAddress() + "]" : address.getHostAddress();
        return host + ":" + config.listen().port();
    }

    private static OptionalLong readPid(Path file) {
        try {
            return OptionalLong.of(Long.parseLong(Files.readString(file, StandardCharsets.US_ASCII).strip()));
        } catch (IOException | NumberFormatException e) {
            // Missing, or not (yet) a number: no pid.
            return OptionalLong.empty();
        }
    }

    private void log(String line) {
        // The same time stamp as the components' lines (LogLevels), so one log file reads as one time line.
        log.println(Instant.ofEpochMilli(System.currentTimeMillis()) + " ipop-node: " + line);
    }

    private int runNode() {
        String iface = config.iface().name();
        Optional<ProcessHandle> other = runningNode(iface);
        if (other.isPresent() && other.get().pid() != ProcessHandle.current().pid()) {
            log(iface + " is already up (pid " + other.get().pid() + ")");
            return EXIT_FAILED;
        }
        Path lockFile = runDirectory().resolve(iface + ".lock");
        try {
            createRunDirectory();
            // Two nodes started at once both pass the pid check above; only one gets the lock.
            FileChannel channel = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            interfaceLock = channel.tryLock();
            if (interfaceLock == null) {
                channel.close();
                log(iface + " is already up (another node holds " + lockFile + ")");
                return EXIT_FAILED;
            }
        } catch (IOException e) {
            log("cannot lock " + lockFile + ": " + e.getMessage());
            return EXIT_FAILED;
        }
        // Decided before our pid file appears: until then `ipop up` does not take an earlier data plane for ours.
        DataPlaneTakeover.Adopted adopted = null;
        Optional<ProcessHandle> orphan = orphanedDataPlane(iface);
        if (orphan.isPresent()) {
            adopted = adoptOrStop(orphan.get());
            if (adopted == null && orphan.get().isAlive()) {
                log("cannot stop the earlier data plane (pid " + orphan.get().pid() + ")");
                return EXIT_FAILED;
            }
        }
        try {
            writePidFile();
        } catch (IOException e) {
            log("cannot write the pid file " + pidFile + ": " + e.getMessage());
            if (adopted != null) {
                adopted.connection().close();
            }
            return EXIT_FAILED;
        }
        Runtime.getRuntime().addShutdownHook(new Thread(this::shutdown, "ipop-node-shutdown"));
        startStatusServer();
        try {
            reloader.start();
        } catch (IOException e) {
            log(e.getMessage() + "; change metrics.listen or free the port");
            return failStart();
        }
        HangupSignal.install(reloader);
        log("starting node " + config.name() + " on " + iface + " (pid " + ProcessHandle.current().pid() + ", "
                + config.peers().size() + " peers)");
        long pauseMs = RESTART_PAUSE_MS;
        boolean first = true;
        while (true) {
            long startedNanos = System.nanoTime();
            ProcessHandle dataPlane;
            try {
                dataPlane = adopted != null ? startAgent(adopted) : startDataPlane();
                adopted = null;
            } catch (IOException | DataPlaneUnavailableException e) {
                log("the data plane did not start: " + e.getMessage());
                if (first) {
                    return failStart();
                }
                stopAgent();
                stopChild();
                dataPlane = null;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return failStart();
            }
            if (dataPlane == null && isStopping()) {
                return awaitHalt();
            }
            if (dataPlane != null) {
                first = false;
                String code = waitForExit(dataPlane);
                if (isStopping()) {
                    return awaitHalt();
                }
                log("the data plane exited unexpectedly (exit code " + code + "); restarting it");
                stopAgent();
                if (System.nanoTime() - startedNanos > TimeUnit.MILLISECONDS.toNanos(STABLE_RUN_MS)) {
                    pauseMs = RESTART_PAUSE_MS;
                }
            }
            try {
                Thread.sleep(pauseMs);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return awaitHalt();
            }
            pauseMs = Math.min(pauseMs * 2, RESTART_PAUSE_MAX_MS);
        }
    }

    /**
     * A data plane that died without cleaning up (SIGKILL, crash) leaves its driver directory behind, and a new
     * driver refuses that directory until the old heartbeat is older than the driver timeout (10 s). When the
     * data plane pid file names a process that is gone (our own child that we reaped, or the data plane of a node
     * before us), the directory is certainly stale, so it is removed and the restart need not wait.
     */
    private void removeStaleDriverDirectory() {
        Path dir = config.dataPlane().aeronDirectory();
        OptionalLong pid = readPid(dataPlanePidFile(config.iface().name()));
        if (pid.isEmpty() || !Files.exists(dir)
                || ProcessHandle.of(pid.getAsLong()).map(ProcessHandle::isAlive).orElse(false)) {
            return;
        }
        log("removing the driver directory " + dir + " that the data plane (pid " + pid.getAsLong() + ") left");
        IoUtil.delete(dir.toFile(), true);
    }

    /**
     * Starts the data plane, waits for its driver, connects and starts the node agent on it. Returns the data
     * plane process, or null if a stop began meanwhile.
     */
    private ProcessHandle startDataPlane() throws IOException, InterruptedException {
        removeStaleDriverDirectory();
        List<String> command = new ArrayList<>();
        command.add(ProcessHandle.current().info().command().orElse(
                Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        command.addAll(JVM_FLAGS);
        command.addAll(List.of("-cp", dataPlaneClassPath));
        command.addAll(dataPlaneArguments(config));
        Process process;
        synchronized (lock) {
            if (stopping) {
                return null;
            }
            // Its output goes where ours goes, not through a pipe to us: it must outlive this process (a node killed
            // with SIGKILL leaves it forwarding, for the next node to adopt), and a pipe's reader would die with us.
            process = new ProcessBuilder(command).redirectOutput(ProcessBuilder.Redirect.INHERIT)
                    .redirectError(ProcessBuilder.Redirect.INHERIT)
                    .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile())).start();
            child = process.toHandle();
            childProcess = process;
        }
        log("data plane started (pid " + process.pid() + ")");
        writePid(dataPlanePidFile(config.iface().name()), process.pid());
        DataPlaneConnection c = awaitReady(process);
        AeronDataPlanePort port = new AeronDataPlanePort(c.commands());
        if (config.overlayMode()) {
            return startOverlayAgent(c, process.toHandle(), port, null);
        }
        // The reloaded peers, not the start's: a restarted data plane gets what the node runs with now.
        return startAgent(c, process.toHandle(), new StaticNode(reloader.config(), keys, port, Clock.system(),
                new SecureRandom()), port);
    }

    /** The data plane's main class and arguments for {@code config} (after its JVM flags and class path). */
    static List<String> dataPlaneArguments(NodeConfig config) {
        return List.of(DATAPLANE_MAIN,
                "--interface", config.iface().name(),
                "--listen", listenArgument(config),
                "--queues", Integer.toString(config.iface().queues()),
                "--idle", config.dataPlane().idleStrategy().configName(),
                "--io-uring", Boolean.toString(config.dataPlane().ioUring()),
                "--offloads", Boolean.toString(config.dataPlane().offloads()),
                "--aeron-dir", config.dataPlane().aeronDirectory().toString(),
                "--counters", config.dataPlane().countersFile().toString(),
                "--dead-peer-after-ms", Integer.toString(config.dataPlane().deadPeerAfterMs()));
    }

    /** Waits until the data plane we started reads commands, and connects to it. */
    private DataPlaneConnection awaitReady(Process process) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + DATAPLANE_START_TIMEOUT.toNanos();
        while (true) {
            if (!process.isAlive()) {
                throw new IOException("it exited with code " + process.exitValue() + " before it was ready");
            }
            try {
                return DataPlaneConnection.connect(config.dataPlane().aeronDirectory(), CONNECT_TIMEOUT);
            } catch (DataPlaneUnavailableException e) {
                // Its driver is not up yet.
            }
            if (System.nanoTime() - deadline > 0) {
                process.destroyForcibly();
                throw new IOException("it was not ready within " + DATAPLANE_START_TIMEOUT.toSeconds() + " s");
            }
            Thread.sleep(50);
        }
    }

    /**
     * A data plane of an earlier node of this interface still runs (that node was killed). If it was started with
     * the arguments we would start it with, connect to it and read its state, to adopt it without disturbing its
     * traffic; otherwise, or if it does not answer, stop it. Returns what to adopt, or null after stopping it (the
     * caller checks that it is gone).
     */
    private DataPlaneTakeover.Adopted adoptOrStop(ProcessHandle orphan) {
        String commandLine = commandLine(orphan).orElse("");
        if (DataPlaneTakeover.sameArguments(commandLine, dataPlaneArguments(config))) {
            try {
                DataPlaneTakeover.Adopted adopted = DataPlaneTakeover.connect(orphan,
                        config.dataPlane().aeronDirectory(), CONNECT_TIMEOUT);
                synchronized (lock) {
                    child = orphan;
                    childProcess = null;
                }
                log("adopting the running data plane (pid " + orphan.pid() + ") of an earlier node: "
                        + adopted.state());
                return adopted;
            } catch (DataPlaneUnavailableException e) {
                log("the data plane of an earlier node (pid " + orphan.pid() + ") cannot be adopted: "
                        + e.getMessage() + "; stopping it");
            }
        } else {
            log("a data plane of an earlier node (pid " + orphan.pid() + ") still runs with other arguments than"
                    + " this config gives; stopping it");
        }
        stop(orphan, CHILD_STOP_TIMEOUT);
        return null;
    }

    /** Starts the node agent on the adopted data plane; returns its process, or null if a stop began meanwhile. */
    private ProcessHandle startAgent(DataPlaneTakeover.Adopted adopted) throws IOException {
        DataPlaneConnection c = adopted.connection();
        AeronDataPlanePort port = new AeronDataPlanePort(c.commands());
        if (config.overlayMode()) {
            // Its members' peers are held until they announce themselves again (StaticNode.adoptingOverlay).
            return startOverlayAgent(c, adopted.process(), port, adopted.state());
        }
        // The reloaded peers, not the start's: a node gets what it runs with now.
        return startAgent(c, adopted.process(), StaticNode.adopting(reloader.config(), keys, port, Clock.system(),
                new SecureRandom(), adopted.state()), port);
    }

    /**
     * Runs {@code node} over {@code c} on the agent thread, with the status board and the topology over the node's
     * peer ids (an adopted data plane's ids may differ from the config's order); returns {@code process}, or null
     * if stopping.
     */
    private ProcessHandle startAgent(DataPlaneConnection c, ProcessHandle process, StaticNode node,
                                     AeronDataPlanePort port) {
        node.setStatusListener(statusBoard);
        node.rememberEndpoints(endpoints);
        node.useLinkPolicy(TopologyManager.forStaticPeers(reloader.config(), port, node::peerId));
        StaticNodeAgent agent = new StaticNodeAgent(c, node);
        reloader.attach(agent);
        return runAgent(c, process, agent);
    }

    /**
     * Runs an overlay node (signalling, ICE, handshakes, its own topology of the admitted members) over {@code c},
     * adopting the running data plane whose state is {@code adopt} if not null. Reloads reach it through
     * {@link OverlayReload}.
     */
    private ProcessHandle startOverlayAgent(DataPlaneConnection c, ProcessHandle process, AeronDataPlanePort port,
                                            DataPlaneState adopt) throws IOException {
        OverlayNode overlay;
        // The interface first: ipop up returns once it is configured, and building the overlay node (Smack, ice4j,
        // the membership files) takes seconds of class loading. StaticNode.start sends it again, which changes nothing.
        port.configureInterface(config.iface().mtu(), config.iface().addresses());
        try {
            overlay = OverlayNode.create(reloader.config(), keys, port, Clock.system(), new SecureRandom(), adopt);
        } catch (IOException e) {
            c.close();
            throw new IOException("the overlay node cannot start: " + e.getMessage(), e);
        }
        overlay.node().setStatusListener(statusBoard);
        reloader.observe(overlay.node());
        reloader.attachOverlay(new OverlayReload(overlay));
        return runAgent(c, process, new OverlayAgent(c, overlay));
    }

    /** Runs {@code agent} over {@code c} on the agent thread; returns {@code process}, or null if stopping. */
    private ProcessHandle runAgent(DataPlaneConnection c, ProcessHandle process, Agent agent) {
        AgentRunner r = new AgentRunner(IpcIdle.agent(), this::onAgentError, null, agent);
        synchronized (lock) {
            if (stopping) {
                c.close();
                return null;
            }
            connection = c;
            runner = r;
            AgentRunner.startOnThread(r);
        }
        log("up: " + config.iface().name() + " " + config.iface().addresses() + ", listening on "
                + listenArgument(config) + ", data plane pid " + process.pid());
        return process;
    }

    private void onAgentError(Throwable t) {
        log("node agent error: " + t);
    }

    /**
     * Waits until the data plane exits and returns its exit code, or "unknown" for an adopted one (not our
     * child: the JDK watches it by polling, and only its parent can learn its status).
     */
    private String waitForExit(ProcessHandle process) {
        Process p;
        synchronized (lock) {
            p = process.equals(child) ? childProcess : null;
        }
        while (true) {
            try {
                if (p != null) {
                    return Integer.toString(p.waitFor());
                }
                process.onExit().get();
                return "unknown";
            } catch (ExecutionException e) {
                // The JDK's watch of a process never fails; if it did, the process counts as gone.
                return "unknown";
            } catch (InterruptedException e) {
                // Only the shutdown hook ends this process; keep supervising.
            }
        }
    }

    private boolean isStopping() {
        synchronized (lock) {
            return stopping;
        }
    }

    /** Stops the agent and closes the connection of a data plane that is gone. */
    private void stopAgent() {
        reloader.attach(null);
        AgentRunner r;
        DataPlaneConnection c;
        synchronized (lock) {
            r = runner;
            c = connection;
            runner = null;
            connection = null;
        }
        if (r != null) {
            r.close();
        }
        if (c != null) {
            c.close();
        }
    }

    /** The first start failed: clean up and report failure (the hook then has nothing left to do). */
    private int failStart() {
        synchronized (lock) {
            stopping = true;
        }
        reloader.close();
        stopAgent();
        stopChild();
        stopStatusServer();
        removePidFile();
        return EXIT_FAILED;
    }

    /** A stop is under way in the shutdown hook, which halts the JVM; wait for it. */
    private static int awaitHalt() {
        while (true) {
            try {
                Thread.sleep(Long.MAX_VALUE);
            } catch (InterruptedException e) {
                // Keep waiting for the hook.
            }
        }
    }

    private void shutdown() {
        boolean already;
        synchronized (lock) {
            already = stopping;
            stopping = true;
        }
        if (already) {
            return;
        }
        int status = 0;
        try {
            log("stopping");
            reloader.close();
            stopAgent();
            stopChild();
            stopStatusServer();
            removePidFile();
            log("stopped");
        } catch (Throwable t) {
            log("stopping failed: " + t);
            status = EXIT_FAILED;
        }
        log.flush();
        // A signal would otherwise end the JVM with 128 + signal; a clean stop is a success.
        Runtime.getRuntime().halt(status);
    }

    /** Serves {@code ipop status}; a node without its socket still runs (the log says why). */
    private void startStatusServer() {
        Path socket = socketFile(config.iface().name());
        try {
            StatusService service = new StatusService(statusBoard, config.dataPlane().countersFile());
            StatusServer server = StatusServer.start(socket,
                    request -> service.answer(request, System.currentTimeMillis()));
            synchronized (lock) {
                if (!stopping) {
                    statusServer = server;
                    return;
                }
            }
            server.close();
        } catch (IOException e) {
            log("cannot serve the status socket " + socket + " (ipop status will not see this node): "
                    + e.getMessage());
        }
    }

    private void stopStatusServer() {
        StatusServer s;
        synchronized (lock) {
            s = statusServer;
            statusServer = null;
        }
        if (s != null) {
            try {
                s.close();
            } catch (IOException e) {
                log("cannot remove the status socket " + s.path() + ": " + e.getMessage());
            }
        }
    }

    private void stopChild() {
        ProcessHandle p;
        Process started;
        synchronized (lock) {
            p = child;
            started = childProcess;
            child = null;
            childProcess = null;
        }
        if (p == null) {
            return;
        }
        if (p.isAlive()) {
            p.destroy();
            try {
                // Through the Process when it is ours: its exit value is known once its own future completes.
                (started != null ? started.onExit() : p.onExit()).get(CHILD_STOP_TIMEOUT.toMillis(),
                        TimeUnit.MILLISECONDS);
                log("data plane stopped (exit code " + (started != null ? started.exitValue() : "unknown") + ")");
            } catch (TimeoutException e) {
                log("the data plane (pid " + p.pid() + ") ignored SIGTERM for " + CHILD_STOP_TIMEOUT.toSeconds()
                        + " s; killing it");
                p.destroyForcibly();
                try {
                    p.onExit().get(CHILD_STOP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
                } catch (TimeoutException | ExecutionException e2) {
                    log("the data plane (pid " + p.pid() + ") survived SIGKILL for "
                            + CHILD_STOP_TIMEOUT.toSeconds() + " s");
                } catch (InterruptedException e2) {
                    Thread.currentThread().interrupt();
                }
            } catch (ExecutionException e) {
                log("waiting for the data plane failed: " + e.getCause());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                p.destroyForcibly();
            }
        }
        if (!p.isAlive()) {
            try {
                Files.deleteIfExists(dataPlanePidFile(config.iface().name()));
            } catch (IOException e) {
                log("cannot remove " + dataPlanePidFile(config.iface().name()) + ": " + e.getMessage());
            }
        }
    }

    private void writePidFile() throws IOException {
        createRunDirectory();
        writePid(pidFile, ProcessHandle.current().pid());
    }

    /** Writes {@code pid} to {@code file} (mode 0644) through a rename, so readers never see half a number. */
    private static void writePid(Path file, long pid) throws IOException {
        Path temp = file.resolveSibling(file.getFileName() + ".tmp" + ProcessHandle.current().pid());
        Files.writeString(temp, pid + "\n", StandardCharsets.US_ASCII);
        Files.setPosixFilePermissions(temp, PosixFilePermissions.fromString("rw-r--r--"));
        try {
            Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(temp, file, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    private void removePidFile() {
        // Only our own: a node started after us (after a failed start) may have written its pid meanwhile.
        OptionalLong pid = readPid(pidFile);
        if (pid.isPresent() && pid.getAsLong() == ProcessHandle.current().pid()) {
            try {
                Files.deleteIfExists(pidFile);
            } catch (IOException e) {
                log("cannot remove " + pidFile + ": " + e.getMessage());
            }
        }
    }
}
