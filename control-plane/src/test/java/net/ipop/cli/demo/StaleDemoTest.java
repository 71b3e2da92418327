package net.ipop.cli.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import net.ipop.ffm.testing.Privileged;

/**
 * What a demo killed with SIGKILL leaves (a namespace with a process in it, a temporary directory whose owner is
 * gone, an Aeron directory) is found and removed; a live owner that is not an IPOP JVM (a reused pid) does not
 * count as a running demo. Uses its own temporary and shm roots, and a namespace of the demo's prefix.
 */
@Privileged
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class StaleDemoTest {
    @TempDir
    Path temp;

    @Test
    void removesWhatAKilledDemoLeftAndRecognisesNoRunningDemo() throws Exception {
        Path tmpRoot = Files.createDirectory(temp.resolve("tmp"));
        Path shmRoot = Files.createDirectory(temp.resolve("shm"));
        String ns = DemoResources.PREFIX + "stale-test";
        Process sleeper = null;
        Process inNamespace = null;
        try {
            Shell.run(10, "ip", "netns", "add", ns);
            inNamespace = new ProcessBuilder(Shell.inNamespace(ns, "sleep", "300")).start();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (DemoResources.processesIn(ns).isEmpty()) {
                assertTrue(System.nanoTime() - deadline < 0, "the process never appeared in " + ns);
                Thread.sleep(20);
            }
            // A killed demo's directory: its pid now belongs to some other program.
            sleeper = new ProcessBuilder("sleep", "300").start();
            Path dead = Files.createDirectory(tmpRoot.resolve(DemoResources.PREFIX + "4242"));
            Files.writeString(dead.resolve(StaleDemo.OWNER_FILE), sleeper.pid() + "\n");
            Files.writeString(dead.resolve("node.yaml"), "node:\n");
            Files.createDirectory(shmRoot.resolve(DemoResources.PREFIX + "4242-hub"));
            Path unrelated = Files.createDirectory(tmpRoot.resolve("other"));

            StaleDemo stale = new StaleDemo(tmpRoot, shmRoot);
            assertEquals(Optional.empty(), stale.runningDemo());
            List<String> problems = new ArrayList<>();
            List<String> removed = stale.removeAll(problems);

            assertEquals(List.of(), problems);
            assertTrue(removed.contains("1 temporary directory") && removed.contains("1 Aeron directory")
                    && removed.stream().anyMatch(r -> r.endsWith("namespaces") || r.endsWith("namespace")),
                    removed.toString());
            assertFalse(DemoResources.existingNamespaces().contains(ns));
            assertTrue(inNamespace.waitFor(15, TimeUnit.SECONDS), "the process in the namespace still runs");
            assertFalse(Files.exists(dead));
            assertFalse(Files.exists(shmRoot.resolve(DemoResources.PREFIX + "4242-hub")));
            assertTrue(Files.exists(unrelated), "removed something not of a demo");
            assertTrue(sleeper.isAlive(), "killed the process that reused the dead demo's pid");
        } finally {
            if (sleeper != null) {
                sleeper.destroyForcibly();
            }
            if (inNamespace != null) {
                inNamespace.destroyForcibly();
            }
            Shell.runAllowingFailure(10, "ip", "netns", "del", ns);
        }
    }
}
