package net.ipop.cli.demo;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * Everything one demo run creates outside its own JVM, and its removal: network namespaces (with every process
 * in them) and files (the run's temporary directory, the nodes' Aeron directories in {@code /dev/shm}).
 *
 * <p>Every name carries {@link #PREFIX}, so that {@link StaleDemo} can find what a demo killed with SIGKILL left.
 * A resource is registered <em>before</em> it is created, so that a removal that runs meanwhile (Ctrl-C: the
 * shutdown hook) still covers it; once {@link #close} has begun, registering throws, which stops the demo's
 * thread from creating more. Thread-safe: the demo's thread registers, the shutdown hook may close.
 */
final class DemoResources implements AutoCloseable {
    /** The prefix of every namespace, temporary directory and {@code /dev/shm} entry of a demo. */
    static final String PREFIX = "ipop-demo-";
    /** How long processes get after SIGTERM (a node stops its data plane, which removes its files). */
    static final Duration STOP_TIMEOUT = Duration.ofSeconds(12);

    private final List<String> namespaces = new ArrayList<>();
    private final List<Path> paths = new ArrayList<>();
    private boolean closing;
    private boolean closed;

    /** Registers a namespace about to be created; throws if the demo is being removed. */
    synchronized void namespace(String name) {
        checkOpen();
        namespaces.add(name);
    }

    /** Registers a file or directory (removed recursively) about to be created; throws if being removed. */
    synchronized void path(Path path) {
        checkOpen();
        paths.add(path);
    }

    /** Whether a removal has begun: the demo's thread then stops quietly. */
    synchronized boolean closing() {
        return closing;
    }

    private void checkOpen() {
        if (closing) {
            throw new DemoException("stopping: the demo is being removed");
        }
    }

    /**
     * Stops every process in the namespaces (SIGTERM, then SIGKILL after {@link #STOP_TIMEOUT}), deletes the
     * namespaces, then the files; what could not be removed is added to {@code problems}. Only the first call
     * does it and returns true; a later (or concurrent) one waits for the first to finish and returns false.
     */
    synchronized boolean removeAll(List<String> problems) {
        closing = true;
        if (closed) {
            return false;
        }
        closed = true;
        removeNamespaces(namespaces, problems);
        for (Path p : paths.reversed()) {
            deleteRecursively(p, problems);
        }
        return true;
    }

    @Override
    public void close() {
        removeAll(new ArrayList<>());
    }

    /** Kills every process in {@code names} and deletes the namespaces; problems are added to {@code problems}. */
    static void removeNamespaces(List<String> names, List<String> problems) {
        List<ProcessHandle> processes = new ArrayList<>();
        for (String ns : names) {
            processes.addAll(processesIn(ns));
        }
        // All at once: a node's shutdown also waits for its data plane, so sequential stops would add up.
        for (ProcessHandle p : processes) {
            p.destroy();
        }
        long deadline = System.nanoTime() + STOP_TIMEOUT.toNanos();
        for (ProcessHandle p : processes) {
            while (p.isAlive() && System.nanoTime() - deadline < 0) {
                sleep(50);
            }
            if (p.isAlive()) {
                p.destroyForcibly();
            }
        }
        for (String ns : names) {
            for (ProcessHandle p : processesIn(ns)) {
                // Started after the first sweep (a node restarting its data plane): no second chance.
                p.destroyForcibly();
            }
            if (existingNamespaces().contains(ns)) {
                Shell.Result r = Shell.runAllowingFailure(30, "ip", "netns", "del", ns);
                if (!r.ok()) {
                    problems.add("cannot delete namespace " + ns + ": " + r.output().strip());
                }
            }
        }
    }

    /** The live processes whose network namespace is {@code ns} ({@code ip netns pids}). */
    static List<ProcessHandle> processesIn(String ns) {
        Shell.Result r = Shell.runAllowingFailure(10, "ip", "netns", "pids", ns);
        if (!r.ok()) {
            return List.of();
        }
        List<ProcessHandle> found = new ArrayList<>();
        long self = ProcessHandle.current().pid();
        for (String line : r.output().split("\\s+")) {
            if (!line.isBlank() && line.chars().allMatch(Character::isDigit)) {
                long pid = Long.parseLong(line);
                if (pid != self) {
                    ProcessHandle.of(pid).ifPresent(found::add);
                }
            }
        }
        return found;
    }

    /** The names of the network namespaces {@code ip netns list} shows. */
    static List<String> existingNamespaces() {
        Shell.Result r = Shell.runAllowingFailure(10, "ip", "netns", "list");
        List<String> names = new ArrayList<>();
        if (r.ok()) {
            for (String line : r.output().lines().toList()) {
                // "name (id: 3)" or just "name".
                String name = line.strip().split("\\s+")[0];
                if (!name.isEmpty()) {
                    names.add(name);
                }
            }
        }
        return names;
    }

    /** Deletes {@code path} and everything under it, without following symbolic links out of it. */
    static void deleteRecursively(Path path, List<String> problems) {
        if (!Files.exists(path, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(path)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException | java.io.UncheckedIOException e) {
            problems.add("cannot remove " + path + ": " + e.getMessage());
        }
    }

    static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new DemoException("interrupted");
        }
    }
}
