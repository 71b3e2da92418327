package net.ipop.control.ipc;

import net.ipop.ffm.testing.ShmDirectory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import net.ipop.ipc.sbe.Result;

/**
 * The data plane in a child JVM, the control plane in this one: commands are answered across processes, and
 * after {@code kill -9} of the data plane the control plane fails calls with a message saying it stopped.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class DataPlaneProcessTest {
    private static final Duration DRIVER_TIMEOUT = Duration.ofSeconds(2);

    @Test
    void aKilledDataPlaneIsNoticedAndNothingIsLeftInShm() throws Exception {
        ShmDirectory dir = new ShmDirectory("proc");
        Process child = null;
        try {
            child = startChild(dir.path);
            BlockingQueue<String> output = drain(child);
            String line;
            while (!EchoDataPlane.READY.equals(line = output.poll(30, TimeUnit.SECONDS))) {
                assertTrue(line != null && child.isAlive(), "the child data plane did not start: " + output);
            }

            try (DataPlaneConnection connection = DataPlaneConnection.connect(dir.path, DRIVER_TIMEOUT)) {
                Reply reply = connection.call(p -> p.removePeer(5), Duration.ofSeconds(5));
                assertEquals(Result.OK, reply.result());
                assertEquals("RemovePeer 5", reply.detail());
                assertTrue(connection.isDataPlaneAlive());

                // destroyForcibly is SIGKILL on Linux: no shutdown hook, no driver cleanup.
                child.destroyForcibly();
                assertTrue(child.waitFor(10, TimeUnit.SECONDS), "child survived SIGKILL");
                assertEquals(128 + 9, child.exitValue());

                DataPlaneUnavailableException unanswered = assertThrows(DataPlaneUnavailableException.class,
                        () -> connection.call(p -> p.removePeer(6), Duration.ofMillis(300)));
                assertTrue(unanswered.getMessage().startsWith("the data plane at " + dir.path), unanswered.getMessage());

                long deadline = System.nanoTime() + DRIVER_TIMEOUT.multipliedBy(4).toNanos();
                while (connection.isDataPlaneAlive()) {
                    assertTrue(System.nanoTime() - deadline < 0, "the dead data plane still looks alive");
                    Thread.sleep(50);
                }
                DataPlaneUnavailableException stopped = assertThrows(DataPlaneUnavailableException.class,
                        () -> connection.call(p -> p.removePeer(7), Duration.ofMillis(300)));
                assertTrue(stopped.getMessage().startsWith("the data plane at " + dir.path + " stopped"),
                        stopped.getMessage());
                assertTrue(stopped.getMessage().contains("is `ipop up` still running?"), stopped.getMessage());
            }
            // The killed driver could not delete its directory: that is the cleanup's job (or the next start's).
            assertTrue(Files.exists(dir.path));
        } finally {
            if (child != null) {
                child.destroyForcibly();
                child.waitFor(10, TimeUnit.SECONDS);
            }
            dir.close();
        }
        assertFalse(Files.exists(dir.path), "left behind: " + dir.path);
        try (var entries = Files.list(Path.of("/dev/shm"))) {
            assertEquals(List.of(), entries.filter(p -> p.getFileName().toString().startsWith(
                    dir.path.getFileName().toString())).toList());
        }
    }

    /** This JVM's java, flags and class path, running {@link EchoDataPlane#main}. */
    private static Process startChild(Path directory) throws IOException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        for (String argument : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (argument.startsWith("--") || argument.startsWith("-X") || argument.startsWith("-D")) {
                command.add(argument);
            }
        }
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add(EchoDataPlane.class.getName());
        command.add(directory.toString());
        return new ProcessBuilder(command).redirectErrorStream(true).start();
    }

    /** Reads the child's output on a daemon thread so it never blocks on a full pipe. */
    private static BlockingQueue<String> drain(Process child) {
        BlockingQueue<String> lines = new LinkedBlockingQueue<>();
        Thread reader = new Thread(() -> {
            try (BufferedReader in = new BufferedReader(
                    new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line = in.readLine(); line != null; line = in.readLine()) {
                    lines.add(line);
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }, "child-output");
        reader.setDaemon(true);
        reader.start();
        return lines;
    }
}
