package net.ipop.cli.demo;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Runs the system commands the demo drives ({@code ip}, {@code nft}, {@code ping}, {@code iperf3}, ...), in the
 * root namespace or inside one of the demo's namespaces ({@code ip netns exec}). Blocking; any thread. A command
 * that does not finish in its time limit is killed. Output (stdout and stderr merged) is returned as text.
 */
final class Shell {
    private Shell() {
    }

    /** What a finished command printed and returned. */
    record Result(int exitCode, String output) {
        boolean ok() {
            return exitCode == 0;
        }
    }

    /** Runs {@code command}; a non-zero exit is a {@link DemoException} naming the command and its output. */
    static String run(int timeoutSeconds, String... command) {
        Result r = runAllowingFailure(timeoutSeconds, command);
        if (!r.ok()) {
            throw new DemoException("'" + String.join(" ", command) + "' failed (exit " + r.exitCode() + "): "
                    + r.output().strip());
        }
        return r.output();
    }

    /** Runs {@code command} inside network namespace {@code ns}; a non-zero exit is a {@link DemoException}. */
    static String in(String ns, int timeoutSeconds, String... command) {
        return run(timeoutSeconds, inNamespace(ns, command));
    }

    /** Runs {@code command} inside {@code ns} and returns its result whatever the exit code. */
    static Result inAllowingFailure(String ns, int timeoutSeconds, String... command) {
        return runAllowingFailure(timeoutSeconds, inNamespace(ns, command));
    }

    /** The command line that runs {@code command} inside network namespace {@code ns}. */
    static String[] inNamespace(String ns, String... command) {
        List<String> full = new ArrayList<>(List.of("ip", "netns", "exec", ns));
        full.addAll(List.of(command));
        return full.toArray(String[]::new);
    }

    /** Runs {@code command}; returns its exit code and output. A command that cannot start has exit code 127. */
    static Result runAllowingFailure(int timeoutSeconds, String... command) {
        return runWithEnvironment(Map.of(), timeoutSeconds, command);
    }

    /** As {@link #runAllowingFailure}, with extra environment variables. */
    static Result runWithEnvironment(Map<String, String> environment, int timeoutSeconds, String... command) {
        Process p;
        try {
            ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()));
            pb.environment().putAll(environment);
            p = pb.start();
        } catch (IOException e) {
            return new Result(127, command[0] + ": " + e.getMessage());
        }
        // Read while it runs: a chatty command would otherwise block on a full pipe.
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Thread reader = Thread.ofVirtual().start(() -> copy(p.getInputStream(), out));
        try {
            if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                p.waitFor(5, TimeUnit.SECONDS);
                reader.join(1000);
                return new Result(124, "timed out after " + timeoutSeconds + " s: " + text(out));
            }
            reader.join(5000);
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new DemoException("interrupted while running " + command[0]);
        }
        return new Result(p.exitValue(), text(out));
    }

    /** Whether an executable of this name is on the {@code PATH} (or in the sbin directories root has). */
    static boolean onPath(String name) {
        String path = System.getenv("PATH");
        List<String> dirs = new ArrayList<>(List.of((path == null ? "" : path).split(":")));
        dirs.addAll(List.of("/usr/local/sbin", "/usr/sbin", "/sbin", "/usr/bin", "/bin"));
        for (String dir : dirs) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, name))) {
                return true;
            }
        }
        return false;
    }

    private static void copy(InputStream in, ByteArrayOutputStream out) {
        try (in) {
            byte[] buf = new byte[8192];
            for (int n = in.read(buf); n >= 0; n = in.read(buf)) {
                synchronized (out) {
                    out.write(buf, 0, n);
                }
            }
        } catch (IOException e) {
            // The process went away; what it printed so far is all there is.
        }
    }

    private static String text(ByteArrayOutputStream out) {
        synchronized (out) {
            return out.toString(StandardCharsets.UTF_8);
        }
    }
}
