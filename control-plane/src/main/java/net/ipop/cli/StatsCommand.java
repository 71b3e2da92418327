package net.ipop.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.AccessDeniedException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

import net.ipop.ipc.counters.CountersFileReader;
import net.ipop.ipc.counters.CountersFormatException;
import net.ipop.ipc.counters.CountersLayout;
import net.ipop.ipc.counters.CountersSnapshot;
import net.ipop.ipc.counters.Liveness;
import net.ipop.ipc.counters.WriterStatus;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code ipop stats}: the counters of a running data plane, read straight from the memory-mapped
 * counters file it keeps in {@code /run/ipop}, without asking the control plane. Works while the
 * control plane is down, and shows the last values of a data plane that died (with a warning).
 */
@Command(name = "stats",
        description = {"Show a data plane's counters: traffic per peer, drops by reason, and totals.",
            "Reads the counters file the data plane keeps in /run/ipop (owner-only: run as its user)."},
        footer = {"", "Exit codes: 0 ok; 1 an unreadable counters file; 2 several files and no --file; 3 no counters"
            + " file, or its data plane is not running (its last values are still shown)."})
final class StatsCommand implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @CommandLine.Mixin
    HelpOption helpOption;

    @Option(names = "--file", paramLabel = "PATH",
            description = "The counters file to read (default: the only *.counters file in /run/ipop).")
    Path file;

    @Option(names = "--json", description = "Print one JSON object instead of tables.")
    boolean json;

    @Override
    public Integer call() {
        return Verbs.run(spec, () -> {
            Path path = file != null ? file : locate(CountersLayout.DEFAULT_DIRECTORY);
            CountersSnapshot s = read(path);
            PrintWriter out = spec.commandLine().getOut();
            if (json) {
                out.println(StatsReport.json(s));
            } else {
                out.print(StatsReport.table(s));
            }
            out.flush();
            WriterStatus w = s.writer();
            if (w.liveness() != Liveness.ALIVE) {
                Verbs.report(spec, "the data plane that writes " + path + " is not running (pid " + w.pid() + " "
                        + (w.liveness() == Liveness.EXITED ? "has exited" : "does not respond") + ", last heartbeat "
                        + StatsReport.age(w.heartbeatAgeMs()) + " ago); these are the last values it wrote");
                return IpopCommand.EXIT_NOT_RUNNING;
            }
            return 0;
        });
    }

    /** The one counters file in {@code dir}; a clear error for none or several. */
    static Path locate(Path dir) throws IOException {
        List<Path> found = CountersFileReader.find(dir);
        if (found.isEmpty()) {
            throw CliError.notRunning("no running IPOP data plane found (looked in " + dir + "); start one with ipop up,"
                    + " or pass --file");
        }
        if (found.size() > 1) {
            StringBuilder sb = new StringBuilder("several data planes keep counters in " + dir + ":");
            for (Path p : found) {
                sb.append(' ').append(p.getFileName());
            }
            throw CliError.usage(sb.append("; choose one with --file PATH").toString());
        }
        return found.get(0);
    }

    private static CountersSnapshot read(Path path) throws IOException {
        try {
            return CountersFileReader.open(path).snapshot(System.currentTimeMillis());
        } catch (NoSuchFileException e) {
            throw CliError.notRunning(path + ": no such file; is the data plane running? (ipop up starts one)");
        } catch (AccessDeniedException e) {
            throw CliError.failed(path + ": permission denied; the counters file is readable by its owner only,"
                    + " run ipop stats as the user that runs the data plane");
        } catch (CountersFormatException e) {
            throw CliError.failed(e.getMessage());
        }
    }
}
