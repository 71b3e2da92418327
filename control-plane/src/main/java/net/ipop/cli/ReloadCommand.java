package net.ipop.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;

import net.ipop.control.NodeMain;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code ipop reload}: sends the running node SIGHUP (it reads its config file again; docs/configuration.md,
 * "Reloading: SIGHUP") and prints the reload's lines from the node's log file: what changed, each key refused
 * because it needs a restart, each member disconnected. A node whose log is not the run directory's file (under
 * systemd it is the journal) only gets the signal.
 */
@Command(name = "reload",
        description = {"Make the running node read its config file again (SIGHUP) and show what the reload did.",
            "Peers, log levels, metrics and, for an overlay node, revocation lists, allowed groups and the ICE"
                + " consent timeout change at once; other keys need a restart and are named."},
        footer = {"", "Exit codes: 0 reloaded; 1 a changed key needs a restart (the rest was applied), or the node"
            + " did not report the reload; 2 bad arguments, or the config file has problems (nothing changed); 3"
            + " the node is not running."})
final class ReloadCommand implements Callable<Integer> {
    /** How long the node may take to log that the reload is done. */
    static final long DONE_TIMEOUT_MS = 10_000;
    /** After "done", how long lines of the work handed to the node's thread (peers, members) may still come. */
    static final long SETTLE_MS = 1_000;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @CommandLine.Mixin
    HelpOption helpOption;

    @CommandLine.Mixin
    NodeOptions node;

    @Override
    public Integer call() {
        return Verbs.run(spec, () -> {
            String iface = node.interfaceName(spec);
            Optional<ProcessHandle> running = NodeMain.runningNode(iface);
            if (running.isEmpty()) {
                throw CliError.notRunning("no IPOP node is running on " + iface + "; start it with ipop up --config"
                        + " FILE");
            }
            long pid = running.get().pid();
            Path log = NodeMain.logFile(iface);
            long from = Files.exists(log) ? Files.size(log) : -1;
            signal(pid);
            PrintWriter out = spec.commandLine().getOut();
            if (from < 0) {
                out.println("sent SIGHUP to the node of " + iface + " (pid " + pid + "); its log (the journal under"
                        + " systemd) says what changed");
                return 0;
            }
            List<String> lines = await(log, from);
            boolean done = false;
            boolean refused = false;
            boolean restart = false;
            for (String line : lines) {
                out.println(line);
                done |= line.contains("reload of ") && line.contains(" done");
                refused |= line.contains("reload refused: ");
                restart |= line.contains(": restart needed");
            }
            out.flush();
            if (refused) {
                Verbs.report(spec, "the config file has problems (above); nothing changed");
                return IpopCommand.EXIT_USAGE;
            }
            if (!done) {
                Verbs.report(spec, "the node (pid " + pid + ") did not log a reload within " + DONE_TIMEOUT_MS / 1000
                        + " s; see " + log);
                return IpopCommand.EXIT_FAILED;
            }
            if (restart) {
                Verbs.report(spec, "some changes need a restart (above): ipop down, then ipop up; the rest is"
                        + " applied");
                return IpopCommand.EXIT_FAILED;
            }
            return 0;
        });
    }

    /** SIGHUP through the system's kill: the JDK signals other processes only with SIGTERM and SIGKILL. */
    private static void signal(long pid) throws IOException {
        Process kill;
        try {
            kill = new ProcessBuilder("kill", "-HUP", Long.toString(pid)).redirectErrorStream(true).start();
        } catch (IOException e) {
            throw new CliError(IpopCommand.EXIT_ENVIRONMENT, "cannot run kill (" + e.getMessage() + "); send the"
                    + " node SIGHUP another way: kill -HUP " + pid);
        }
        try {
            if (!kill.waitFor(10, TimeUnit.SECONDS) || kill.exitValue() != 0) {
                String why = new String(kill.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
                throw CliError.failed("kill -HUP " + pid + " failed" + (why.isEmpty() ? "" : ": " + why)
                        + "; run this as root");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw CliError.failed("interrupted while signalling the node");
        }
    }

    /**
     * The reload's lines the log gets after {@code from}: until the reload is reported done or refused, then
     * {@link #SETTLE_MS} more for the node thread's lines, or {@link #DONE_TIMEOUT_MS} in all.
     */
    private static List<String> await(Path log, long from) throws IOException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(DONE_TIMEOUT_MS);
        long settleAt = 0;
        List<String> lines = new ArrayList<>();
        while (true) {
            lines.clear();
            for (String line : read(log, from)) {
                if (line.contains("reload")) {
                    lines.add(line);
                }
            }
            boolean finished = lines.stream().anyMatch(l -> (l.contains("reload of ") && l.contains(" done"))
                    || l.contains(" problem(s) in "));
            long now = System.nanoTime();
            if (finished && settleAt == 0) {
                settleAt = now + TimeUnit.MILLISECONDS.toNanos(SETTLE_MS);
            }
            if ((settleAt != 0 && now - settleAt >= 0) || now - deadline >= 0) {
                return List.copyOf(lines);
            }
            UpCommand.sleep(100);
        }
    }

    /** The whole lines of {@code log} after byte {@code from} (a line still being written is left out). */
    private static List<String> read(Path log, long from) throws IOException {
        try (RandomAccessFile f = new RandomAccessFile(log.toFile(), "r")) {
            long length = f.length();
            if (length <= from) {
                return List.of();
            }
            byte[] bytes = new byte[(int) Math.min(length - from, 1 << 20)];
            f.seek(from);
            f.readFully(bytes);
            String text = new String(bytes, StandardCharsets.UTF_8);
            int end = text.lastIndexOf('\n');
            return end < 0 ? List.of() : text.substring(0, end).lines().toList();
        }
    }
}
