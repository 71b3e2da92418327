package net.ipop.cli.demo;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import net.ipop.control.NodeMain;

/**
 * Finds and removes what an earlier demo left behind: one killed with SIGKILL runs no shutdown hook, so its
 * namespaces (and the nodes, Prosody and coturn in them), its temporary directory and its Aeron directories
 * stay. Everything of a demo is named with {@link DemoResources#PREFIX}; a run's temporary directory holds
 * {@value #OWNER_FILE}, the pid of the demo that made it, so a demo still running is told apart from a dead one
 * and is never disturbed.
 */
final class StaleDemo {
    /** The file in a run's temporary directory that names the demo's pid. */
    static final String OWNER_FILE = "demo.pid";

    private final Path tempRoot;
    private final Path shmRoot;

    StaleDemo(Path tempRoot, Path shmRoot) {
        this.tempRoot = tempRoot;
        this.shmRoot = shmRoot;
    }

    /** The system's locations: {@code java.io.tmpdir} and {@code /dev/shm}. */
    static StaleDemo system() {
        return new StaleDemo(Path.of(System.getProperty("java.io.tmpdir")), Path.of("/dev/shm"));
    }

    /**
     * The pid of another demo that is still running, if any: its temporary directory names a live process that
     * is an IPOP JVM.
     */
    Optional<Long> runningDemo() throws IOException {
        for (Path dir : entries(tempRoot)) {
            Optional<Long> owner = owner(dir);
            if (owner.isPresent() && owner.get() != ProcessHandle.current().pid()
                    && ProcessHandle.of(owner.get()).filter(ProcessHandle::isAlive)
                            .flatMap(NodeMain::commandLine).map(c -> c.contains("net.ipop.")).orElse(false)) {
                return owner;
            }
        }
        return Optional.empty();
    }

    /**
     * Removes every demo namespace (killing what runs in it), temporary directory and {@code /dev/shm} entry.
     * Call only after {@link #runningDemo} found none. Returns a description of what was removed, one item per
     * kind ("2 namespaces"), empty when there was nothing; problems go to {@code problems}.
     */
    List<String> removeAll(List<String> problems) throws IOException {
        List<String> removed = new ArrayList<>();
        List<String> namespaces = DemoResources.existingNamespaces().stream()
                .filter(n -> n.startsWith(DemoResources.PREFIX)).toList();
        DemoResources.removeNamespaces(namespaces, problems);
        count(removed, namespaces.size(), "namespace");
        List<Path> temps = entries(tempRoot);
        for (Path p : temps) {
            DemoResources.deleteRecursively(p, problems);
        }
        count(removed, temps.size(), "temporary directory", "temporary directories");
        List<Path> shm = entries(shmRoot);
        for (Path p : shm) {
            DemoResources.deleteRecursively(p, problems);
        }
        count(removed, shm.size(), "Aeron directory", "Aeron directories");
        return removed;
    }

    private static void count(List<String> removed, int n, String one) {
        count(removed, n, one, one + "s");
    }

    private static void count(List<String> removed, int n, String one, String many) {
        if (n > 0) {
            removed.add(n + " " + (n == 1 ? one : many));
        }
    }

    private static Optional<Long> owner(Path dir) {
        try {
            return Optional.of(Long.parseLong(Files.readString(dir.resolve(OWNER_FILE), StandardCharsets.US_ASCII)
                    .strip()));
        } catch (IOException | NumberFormatException e) {
            return Optional.empty();
        }
    }

    private static List<Path> entries(Path root) throws IOException {
        List<Path> found = new ArrayList<>();
        if (!Files.isDirectory(root)) {
            return found;
        }
        try (DirectoryStream<Path> dir = Files.newDirectoryStream(root, DemoResources.PREFIX + "*")) {
            for (Path p : dir) {
                found.add(p);
            }
        }
        return found;
    }
}
