package net.ipop.cli;

import java.io.IOException;

import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;

/** What every certificate verb shares: running its body and turning failures into one clear line. */
final class Verbs {
    private Verbs() {
    }

    /** The body of a verb; returns its exit code. */
    interface Body {
        int run() throws IOException;
    }

    /**
     * Runs {@code body}, printing {@code "ipop ca create: <message>"} to the error stream for a
     * {@link CliError} or an I/O error, so the user sees which verb failed and why, never a trace.
     */
    static int run(CommandSpec spec, Body body) {
        try {
            return body.run();
        } catch (CliError e) {
            report(spec, e.getMessage());
            return e.exitCode;
        } catch (IOException e) {
            report(spec, e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage());
            return IpopCommand.EXIT_FAILED;
        }
    }

    static void report(CommandSpec spec, String message) {
        spec.commandLine().getErr().println(spec.qualifiedName() + ": " + message);
    }

    /** A parent verb ({@code ipop ca}, {@code ipop cert}) given no sub-verb prints its usage. */
    static void usage(CommandSpec spec) {
        CommandLine cl = spec.commandLine();
        cl.usage(cl.getOut());
    }
}
