package net.ipop.ffm.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import net.ipop.ffm.netns.NetNamespace;

/**
 * A network namespace a test creates and always removes, plus a dedicated platform thread that
 * lives inside it.
 *
 * <p>Everything the test opens through {@link #call} (TUN devices, sockets, netlink) is created in
 * the namespace, so deleting the namespace removes it even if the test fails half-way. Names start
 * with {@code ipopt-} so a leftover is easy to recognise and the names of parallel runs never clash.
 */
public final class TestNamespace implements AutoCloseable {
    private static final SecureRandom RANDOM = new SecureRandom();

    private final String name;
    private final ExecutorService thread;

    private TestNamespace(String name) {
        this.name = name;
        this.thread = Executors.newSingleThreadExecutor(task -> {
            Thread t = new Thread(() -> {
                try {
                    NetNamespace.enterNamed(name);
                } catch (IOException e) {
                    throw new IllegalStateException("cannot enter namespace " + name, e);
                }
                task.run();
            }, "netns-" + name);
            t.setDaemon(true);
            return t;
        });
    }

    /** Creates a fresh namespace with its loopback up. */
    public static TestNamespace create(String tag) throws IOException {
        byte[] r = new byte[3];
        RANDOM.nextBytes(r);
        String name = "ipopt-" + tag + "-" + HexFormat.of().formatHex(r);
        Cmd.run("ip", "netns", "add", name);
        TestNamespace ns = new TestNamespace(name);
        try {
            ns.exec("ip", "link", "set", "lo", "up");
        } catch (IOException | RuntimeException e) {
            ns.close();
            throw e;
        }
        return ns;
    }

    public String name() {
        return name;
    }

    /** Runs {@code body} on this namespace's own thread and returns its result (30 s limit). */
    public <T> T call(Callable<T> body) throws Exception {
        return call(body, 30);
    }

    /** Runs {@code body} on this namespace's own thread with a limit in seconds. */
    public <T> T call(Callable<T> body, int timeoutSeconds) throws Exception {
        Future<T> f = thread.submit(body);
        try {
            return f.get(timeoutSeconds, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof Exception ex) {
                throw ex;
            }
            throw e;
        } catch (TimeoutException e) {
            f.cancel(true);
            throw e;
        }
    }

    /** Starts {@code body} on this namespace's thread without waiting. */
    public <T> Future<T> submit(Callable<T> body) {
        return thread.submit(body);
    }

    /** Runs a command inside the namespace ({@code ip netns exec}) and returns its output; fails on non-zero exit. */
    public String exec(String... command) throws IOException {
        return Cmd.run(inside(command));
    }

    /** Starts a long-running command inside the namespace; the caller must destroy it. */
    public Process start(String... command) throws IOException {
        return new ProcessBuilder(inside(command)).redirectErrorStream(true).start();
    }

    /** Runs a command inside the namespace and returns its exit code and output, whatever the code. */
    public Cmd.Result execAllowingFailure(int timeoutSeconds, String... command) throws IOException {
        return Cmd.runAllowingFailure(timeoutSeconds, inside(command));
    }

    private List<String> inside(String... command) {
        List<String> all = new ArrayList<>(List.of("ip", "netns", "exec", name));
        all.addAll(List.of(command));
        return all;
    }

    /**
     * Stops the namespace thread and, if {@link #create} made the namespace, deletes it (with
     * everything created inside it).
     */
    @Override
    public void close() throws IOException {
        thread.shutdownNow();
        try {
            thread.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        // Kill anything still running inside before the namespace goes, so no process outlives the test.
        Cmd.runAllowingFailure(10, "ip", "netns", "pids", name).output().lines()
                .filter(s -> !s.isBlank())
                .forEach(pid -> {
                    try {
                        Cmd.runAllowingFailure(5, "kill", "-9", pid.trim());
                    } catch (IOException ignored) {
                        // Already gone.
                    }
                });
        Cmd.run("ip", "netns", "del", name);
    }

    /** Runs host commands with a time limit and captured output. */
    public static final class Cmd {
        private Cmd() {
        }

        /** Exit code and combined stdout/stderr. */
        public record Result(int exitCode, String output) {
        }

        /** Runs and fails with the output when the exit code is not 0. */
        public static String run(String... command) throws IOException {
            return run(List.of(command));
        }

        static String run(List<String> command) throws IOException {
            Result r = runAllowingFailure(60, command);
            if (r.exitCode() != 0) {
                throw new IOException(String.join(" ", command) + " exited " + r.exitCode() + ": " + r.output());
            }
            return r.output();
        }

        public static Result runAllowingFailure(int timeoutSeconds, String... command) throws IOException {
            return runAllowingFailure(timeoutSeconds, List.of(command));
        }

        static Result runAllowingFailure(int timeoutSeconds, List<String> command) throws IOException {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            try {
                if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                    throw new IOException(String.join(" ", command) + " did not finish in " + timeoutSeconds + " s");
                }
            } catch (InterruptedException e) {
                p.destroyForcibly();
                Thread.currentThread().interrupt();
                throw new IOException("interrupted: " + String.join(" ", command), e);
            }
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            return new Result(p.exitValue(), out);
        }
    }
}
