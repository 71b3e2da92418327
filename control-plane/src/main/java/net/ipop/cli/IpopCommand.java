package net.ipop.cli;

import java.io.PrintWriter;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code ipop} command line: the entry point operators use. Each verb is its own class; this
 * one only wires them together and maps failures to exit codes, so that a user never sees a stack
 * trace for a mistake of theirs.
 *
 * <p>Exit codes (docs/cli.md): 0 success; 1 the operation failed; 2 bad usage (unknown verb, bad argument) or a
 * config file with problems; 3 what the verb needs is not there: the node it asks is not running, or the
 * environment lacks something (no JDK 25, no root, no /dev/net/tun).
 */
@Command(name = "ipop",
        mixinStandardHelpOptions = true,
        versionProvider = VersionCommand.Provider.class,
        description = "IP-over-P2P: user-defined VPN overlays across NATs, with a line-rate data plane.",
        subcommands = {VersionCommand.class, DoctorCommand.class, GenkeyCommand.class, PubkeyCommand.class,
            CaCommand.class, CertCommand.class, ConfigCommand.class, StatsCommand.class, UpCommand.class,
            DownCommand.class, StatusCommand.class, PeersCommand.class, PingCommand.class, ReloadCommand.class, CompletionCommand.class,
            DemoCommand.class, BenchCommand.class, CommandLine.HelpCommand.class},
        footer = {"", "Exit codes: 0 ok, 1 failed, 2 bad usage or config, 3 not running or environment missing"
            + " something (docs/cli.md)."})
public final class IpopCommand implements Runnable {
    public static final int EXIT_FAILED = 1;
    public static final int EXIT_USAGE = 2;
    public static final int EXIT_ENVIRONMENT = 3;
    /** The node a verb asks or stops is not running: the same code as a missing environment. */
    public static final int EXIT_NOT_RUNNING = EXIT_ENVIRONMENT;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        // A bare "ipop" shows what there is to do rather than doing nothing silently.
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    public static void main(String[] args) {
        System.exit(execute(new PrintWriter(System.out, true), new PrintWriter(System.err, true), args));
    }

    /** Runs the CLI with the given streams; returns the exit code. Tests call this directly. */
    public static int execute(PrintWriter out, PrintWriter err, String... args) {
        CommandLine cli = new CommandLine(new IpopCommand());
        cli.setOut(out);
        cli.setErr(err);
        cli.setExitCodeExceptionMapper(t -> EXIT_FAILED);
        cli.setParameterExceptionHandler((e, a) -> {
            err.println("ipop: " + e.getMessage());
            CommandLine.UnmatchedArgumentException.printSuggestions(e, err);
            err.println("Try 'ipop --help'.");
            return EXIT_USAGE;
        });
        cli.setExecutionExceptionHandler((e, c, p) -> {
            err.println("ipop " + c.getCommandName() + ": " + messageOf(e));
            return EXIT_FAILED;
        });
        return cli.execute(args);
    }

    private static String messageOf(Throwable e) {
        String m = e.getMessage();
        return m == null || m.isBlank() ? e.getClass().getSimpleName() : m;
    }
}
