package net.ipop.cli.demo;

import java.io.PrintWriter;
import java.util.Locale;

/**
 * The demo's progress lines, each prefixed with the seconds since the start, so a user sees what it is doing
 * and where the time goes. Silent once the demo is being stopped (Ctrl-C), so a half-done step does not print
 * errors over the removal's own lines. Thread-safe.
 */
final class Progress {
    private final PrintWriter out;
    private final long startNanos = System.nanoTime();
    private boolean quiet;

    Progress(PrintWriter out) {
        this.out = out;
    }

    synchronized void step(String text) {
        if (!quiet) {
            out.println(String.format(Locale.ROOT, "[%5.1f s] ", seconds()) + text);
            out.flush();
        }
    }

    /** Prints {@code text} as is (the table). */
    synchronized void print(String text) {
        if (!quiet) {
            out.print(text);
            out.flush();
        }
    }

    /** From now on only {@link #always} prints. */
    synchronized void quiet() {
        quiet = true;
    }

    synchronized void always(String text) {
        out.println(String.format(Locale.ROOT, "[%5.1f s] ", seconds()) + text);
        out.flush();
    }

    double seconds() {
        return (System.nanoTime() - startNanos) / 1e9;
    }
}
