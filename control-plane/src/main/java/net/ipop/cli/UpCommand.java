package net.ipop.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import net.ipop.control.NodeMain;
import net.ipop.control.config.ConfigException;
import net.ipop.control.config.ConfigProblem;
import net.ipop.control.config.NodeConfig;
import net.ipop.control.config.NodeConfigParser;
import net.ipop.control.ipc.DataPlaneConnection;
import net.ipop.control.ipc.DataPlaneUnavailableException;
import net.ipop.control.ipc.Reply;
import net.ipop.crypto.cert.IpPrefix;
import net.ipop.ipc.sbe.Result;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code ipop up --config FILE [--foreground]}: validates the file as {@code ipop config check} does, then starts
 * the node ({@link NodeMain}) as a detached JVM whose output goes to {@code /run/ipop/<interface>.log}, and waits
 * until its interface exists and its data plane answers. {@code --foreground} runs the node in this process
 * instead, until SIGTERM (for systemd {@code Type=simple}).
 */
@Command(name = "up",
        description = {"Start the node a config file describes: its data plane, the overlay interface and the"
            + " handshakes with its static peers.",
            "Runs in the background (output in /run/ipop/<interface>.log) unless --foreground; stop it with ipop down."},
        footer = {"", "Exit codes: 0 up; 1 it did not come up (the end of its log is shown) or is up already;"
            + " 2 the config file has problems; 3 the data plane's class path is unknown (run through the ipop"
            + " launcher)."})
final class UpCommand implements Callable<Integer> {
    /** How long the node may take to bring its interface up and answer (two JVM starts on a slow machine). */
    static final Duration READY_TIMEOUT = Duration.ofSeconds(45);
    static final int LOG_LINES_SHOWN = 20;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @CommandLine.Mixin
    HelpOption helpOption;

    @Option(names = "--config", required = true, paramLabel = "FILE",
            description = "The node config file (YAML), e.g. /etc/ipop/node.yaml.")
    Path file;

    @Option(names = "--log-level", paramLabel = "[COMPONENT=]LEVEL",
            description = "A log level for one component (node, ipc, signal, ice, metrics, reload) or, without"
                + " COMPONENT, for all; wins over the file's log: section. Levels: off, error, warning, info, debug,"
                + " trace. Repeatable.")
    List<String> logLevels = new ArrayList<>();

    @Option(names = "--foreground", description = "Run the node in this process until SIGTERM, logging to"
            + " standard error (for systemd Type=simple).")
    boolean foreground;

    @Override
    public Integer call() {
        return Verbs.run(spec, () -> {
            NodeConfig config = parse(spec, file);
            if (config == null) {
                return IpopCommand.EXIT_USAGE;
            }
            java.util.Map<String, String> levels;
            try {
                levels = net.ipop.control.logging.LogLevels.parseOverrides(logLevels);
            } catch (IllegalArgumentException e) {
                throw CliError.usage(e.getMessage());
            }
            String iface = config.iface().name();
            Optional<ProcessHandle> running = NodeMain.runningNode(iface);
            if (running.isPresent()) {
                throw CliError.failed(iface + " is already up (pid " + running.get().pid() + "); run ipop down"
                        + " --config " + file + " first");
            }
            String dataPlaneClassPath = System.getProperty(NodeMain.DATAPLANE_CLASSPATH_PROPERTY);
            if (dataPlaneClassPath == null || dataPlaneClassPath.isBlank()) {
                Verbs.report(spec, "the data plane's class path is unknown (the system property "
                        + NodeMain.DATAPLANE_CLASSPATH_PROPERTY + " is not set); run ipop through its launcher");
                return IpopCommand.EXIT_ENVIRONMENT;
            }
            if (foreground) {
                spec.commandLine().getErr().flush();
                // Returns only on failure; a stop by signal ends the JVM with 0 from NodeMain's shutdown hook.
                return NodeMain.run(file.toAbsolutePath(), System.err, levels);
            }
            return startDetached(config, dataPlaneClassPath);
        });
    }

    /**
     * Parses {@code file}; prints its problems as {@code ipop config check} does and returns null if it has any.
     */
    static NodeConfig parse(CommandLine.Model.CommandSpec spec, Path file) {
        try {
            return NodeConfigParser.parse(file);
        } catch (ConfigException e) {
            PrintWriter err = spec.commandLine().getErr();
            List<ConfigProblem> problems = e.problems();
            for (ConfigProblem p : problems) {
                err.println(p);
            }
            Verbs.report(spec, problems.size() + (problems.size() == 1 ? " problem" : " problems") + " in " + file
                    + "; the format is described in docs/configuration.md");
            return null;
        }
    }

    /** Whether the kernel knows a network device of that name in this namespace. */
    static boolean interfaceExists(String name) {
        try {
            return NetworkInterface.getByName(name) != null;
        } catch (SocketException e) {
            return false;
        }
    }

    private int startDetached(NodeConfig config, String dataPlaneClassPath) throws IOException {
        String iface = config.iface().name();
        NodeMain.createRunDirectory();
        Path logFile = NodeMain.logFile(iface);
        // A data plane a killed node left running still writes to this file, and the node will adopt it: keep the
        // file then, so its lines and ours stay in one place. Appending (O_APPEND) keeps its writes and ours apart.
        if (NodeMain.orphanedDataPlane(iface).isEmpty()) {
            Files.deleteIfExists(logFile);
        }
        List<String> command = new ArrayList<>();
        // Its own session: the node outlives this command and the terminal it ran in.
        if (Files.isExecutable(Path.of("/usr/bin/setsid"))) {
            command.add("/usr/bin/setsid");
        }
        command.add(ProcessHandle.current().info().command().orElse(
                Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        command.addAll(NodeMain.JVM_FLAGS);
        command.addAll(List.of("-cp", System.getProperty("java.class.path"),
                "-D" + NodeMain.DATAPLANE_CLASSPATH_PROPERTY + "=" + dataPlaneClassPath));
        for (String property : List.of(NodeMain.RUN_DIRECTORY_PROPERTY, "ipop.home")) {
            String value = System.getProperty(property);
            if (value != null) {
                command.add("-D" + property + "=" + value);
            }
        }
        command.addAll(List.of(NodeMain.class.getName(), "--config", file.toAbsolutePath().toString()));
        for (String level : logLevels) {
            command.addAll(List.of("--log-level", level));
        }
        Process node = new ProcessBuilder(command)
                .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()))
                .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile()))
                .redirectErrorStream(true)
                .start();
        long deadline = System.nanoTime() + READY_TIMEOUT.toNanos();
        while (!ready(config)) {
            if (!node.isAlive()) {
                return notUp(iface, logFile, "the node exited with code " + node.exitValue());
            }
            if (System.nanoTime() - deadline > 0) {
                return notUp(iface, logFile, "it was not up within " + READY_TIMEOUT.toSeconds() + " s (pid "
                        + node.pid() + " still runs; ipop down --config " + file + " stops it)");
            }
            sleep(100);
        }
        int peers = config.peers().size();
        spec.commandLine().getOut().println(iface + " up: "
                + config.iface().addresses().stream().map(IpPrefix::toString).collect(Collectors.joining(", "))
                + ", " + peers + (peers == 1 ? " peer" : " peers") + ", listening on "
                + NodeMain.listenArgument(config) + " (pid " + node.pid() + ", log " + logFile + ")");
        return 0;
    }

    /**
     * The node runs its data plane, the interface exists and the data plane answers a query. The data plane must
     * be the node's own (started or adopted, see {@link NodeMain#dataPlaneOfRunningNode}): one left by a killed
     * node may still hold the interface and answer until the new node has adopted or stopped it.
     */
    private static boolean ready(NodeConfig config) {
        if (NodeMain.dataPlaneOfRunningNode(config.iface().name()).isEmpty()
                || !interfaceExists(config.iface().name())) {
            return false;
        }
        try (DataPlaneConnection c = DataPlaneConnection.connect(config.dataPlane().aeronDirectory(),
                Duration.ofSeconds(5))) {
            Reply reply = c.call(p -> p.queryState(), Duration.ofSeconds(5));
            return reply.result() == Result.OK;
        } catch (DataPlaneUnavailableException e) {
            return false;
        }
    }

    private int notUp(String iface, Path logFile, String why) throws IOException {
        PrintWriter err = spec.commandLine().getErr();
        Verbs.report(spec, iface + " did not come up: " + why + "; the end of " + logFile + ":");
        if (Files.exists(logFile)) {
            // Decoded leniently: the log holds whatever the JVMs printed.
            List<String> lines = new String(Files.readAllBytes(logFile), StandardCharsets.UTF_8).lines().toList();
            for (String line : lines.subList(Math.max(0, lines.size() - LOG_LINES_SHOWN), lines.size())) {
                err.println("  " + line);
            }
        }
        return IpopCommand.EXIT_FAILED;
    }

    static void sleep(long millis) {
        try {
            TimeUnit.MILLISECONDS.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw CliError.failed("interrupted");
        }
    }
}
