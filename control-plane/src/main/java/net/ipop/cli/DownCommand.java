package net.ipop.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.Callable;

import net.ipop.control.NodeMain;
import net.ipop.control.config.NodeConfig;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code ipop down --config FILE}: stops the node {@code ipop up} started for that file. Sends SIGTERM to the pid
 * in {@code /run/ipop/<interface>.pid}, waits for the process to end (it stops its data plane, which removes the
 * interface, its driver directory and counters file) and checks that the interface is gone.
 */
@Command(name = "down",
        description = {"Stop the node a config file describes (started with ipop up): its data plane and the"
            + " overlay interface go with it."},
        footer = {"", "Exit codes: 0 stopped; 1 it did not stop in time; 2 the config file has problems; 3 it is"
            + " not up."})
final class DownCommand implements Callable<Integer> {
    /** How long the node may take to stop (it gives its data plane 10 s before killing it). */
    static final Duration STOP_TIMEOUT = Duration.ofSeconds(15);
    static final Duration INTERFACE_GONE_TIMEOUT = Duration.ofSeconds(5);

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @CommandLine.Mixin
    HelpOption helpOption;

    @Option(names = "--config", required = true, paramLabel = "FILE",
            description = "The node config file (YAML) the node was started with.")
    Path file;

    @Override
    public Integer call() {
        return Verbs.run(spec, () -> {
            NodeConfig config = UpCommand.parse(spec, file);
            if (config == null) {
                return IpopCommand.EXIT_USAGE;
            }
            String iface = config.iface().name();
            Optional<ProcessHandle> running = NodeMain.runningNode(iface);
            if (running.isEmpty()) {
                // A pid file left by a node that died without cleaning up says nothing true any more.
                Files.deleteIfExists(NodeMain.pidFile(iface));
                Optional<ProcessHandle> orphan = NodeMain.orphanedDataPlane(iface);
                if (orphan.isEmpty()) {
                    throw CliError.notRunning(iface + " is not up");
                }
                // Its node was killed without its hooks; the data plane it left would hold the interface.
                long pid = orphan.get().pid();
                if (!NodeMain.stop(orphan.get(), STOP_TIMEOUT)) {
                    throw CliError.failed(iface + " is not up, but the data plane its node left running (pid " + pid
                            + ") did not stop");
                }
                Files.deleteIfExists(NodeMain.dataPlanePidFile(iface));
                throw CliError.failed(iface + " is not up (its node was gone; stopped the data plane it left"
                        + " running, pid " + pid + ")");
            }
            ProcessHandle node = running.get();
            if (!node.destroy()) {
                throw CliError.failed("cannot signal the node of " + iface + " (pid " + node.pid() + ")");
            }
            long deadline = System.nanoTime() + STOP_TIMEOUT.toNanos();
            while (node.isAlive()) {
                if (System.nanoTime() - deadline > 0) {
                    throw CliError.failed("the node of " + iface + " (pid " + node.pid() + ") did not stop within "
                            + STOP_TIMEOUT.toSeconds() + " s; see " + NodeMain.logFile(iface));
                }
                UpCommand.sleep(50);
            }
            long gone = System.nanoTime() + INTERFACE_GONE_TIMEOUT.toNanos();
            while (UpCommand.interfaceExists(iface)) {
                if (System.nanoTime() - gone > 0) {
                    throw CliError.failed("the node of " + iface + " stopped but the interface is still there; see "
                            + NodeMain.logFile(iface));
                }
                UpCommand.sleep(50);
            }
            Files.deleteIfExists(NodeMain.pidFile(iface));
            spec.commandLine().getOut().println(iface + " down (pid " + node.pid() + " stopped)");
            return 0;
        });
    }
}
