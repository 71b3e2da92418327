package net.ipop.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import net.ipop.crypto.cert.X25519Keys;
import net.ipop.ffm.testing.Privileged;
import net.ipop.ffm.testing.TestNamespace;

/**
 * The systemd unit's promise that a node needs no capability but those in its {@code CapabilityBoundingSet}: the
 * node runs as {@code ipop up --foreground} (the unit's ExecStart) under {@code setpriv} with only those
 * capabilities, no new privileges and the unit's umask, brings its interface up, answers {@code ipop status} and
 * stops cleanly on SIGTERM. (This machine has no systemd to run the unit itself.)
 */
@Privileged
@Timeout(value = 150, unit = TimeUnit.SECONDS)
class ServiceHardeningTest {
    private static final SecureRandom RANDOM = new SecureRandom();
    /** CAP_NET_ADMIN's number (linux/capability.h). */
    private static final int CAP_NET_ADMIN = 12;

    @TempDir
    Path temp;

    @Test
    void theNodeRunsWithOnlyTheUnitsCapabilities() throws Exception {
        List<String> unit = Files.readAllLines(Path.of("..", "dist", "systemd", "ipop@.service"));
        assertTrue(unit.contains("ExecStart=/opt/ipop/ipop up --config /etc/ipop/%i.yaml --foreground"), unit.toString());
        assertTrue(unit.contains("UMask=0077"), unit.toString());
        String caps = unit.stream().filter(l -> l.startsWith("CapabilityBoundingSet=")).findFirst().orElseThrow()
                .substring("CapabilityBoundingSet=".length());
        assertEquals("CAP_NET_ADMIN", caps, "this test knows the bit of CAP_NET_ADMIN only");
        String setprivCaps = "-all,+" + caps.toLowerCase(Locale.ROOT).substring("cap_".length());

        Path dir = Files.createDirectories(temp.resolve("node"));
        Path key = dir.resolve("alpha.key");
        Files.writeString(key, X25519Keys.toBase64(X25519Keys.generatePrivateKey(RANDOM)) + "\n");
        Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("rw-------"));
        Path runDir = dir.resolve("run");
        Path counters = dir.resolve("ipop0.counters");
        Path config = Files.writeString(dir.resolve("node.yaml"), """
                node:
                  name: alpha
                  privateKeyFile: %s
                interface:
                  name: ipop0
                  addresses: [192.0.2.1/24]
                listen:
                  port: 51820
                dataplane:
                  countersFile: %s
                  aeronDirectory: %s
                peers:
                  - name: beta
                    publicKey: %s
                    endpoint: 127.0.0.1:51821
                    allowedAddresses: [192.0.2.2/32]
                """.formatted(key, counters, Path.of("/dev/shm", "ipopt-hard-" + ProcessHandle.current().pid()),
                X25519Keys.toBase64(X25519Keys.publicKey(X25519Keys.generatePrivateKey(RANDOM)))));
        try (TestNamespace ns = TestNamespace.create("hard")) {
            ns.exec("ip", "link", "set", "lo", "up");
            List<String> command = new ArrayList<>(List.of("setpriv", "--no-new-privs", "--bounding-set",
                    setprivCaps, "--inh-caps", setprivCaps, "--", "sh", "-c", "umask 077 && exec \"$@\"", "sh"));
            command.addAll(cli(runDir, "up", "--config", config.toString(), "--foreground"));
            Process node = ns.start(command.toArray(String[]::new));
            try {
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
                Path socket = runDir.resolve("ipop0.sock");
                while (!Files.exists(socket) || ns.execAllowingFailure(5, "ip", "link", "show", "ipop0").exitCode() != 0) {
                    if (!node.isAlive()) {
                        throw new AssertionError("the node exited: " + output(node));
                    }
                    assertTrue(System.nanoTime() - deadline < 0, "no ipop0 within 90 s");
                    Thread.sleep(200);
                }
                // setpriv execs the JVM in place: the process started is the node, its child the data plane.
                ProcessHandle dataPlane = node.toHandle().children().findFirst().orElseThrow();
                for (ProcessHandle p : List.of(node.toHandle(), dataPlane)) {
                    assertEquals(1L << CAP_NET_ADMIN, capabilities(p, "CapEff"), "effective capabilities of " + p);
                    assertEquals(1L << CAP_NET_ADMIN, capabilities(p, "CapBnd"), "bounding set of " + p);
                }
                assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(socket)));

                TestNamespace.Cmd.Result status = run(ns, runDir, "status");
                assertEquals(0, status.exitCode(), status.output() + output(node));
                assertTrue(status.output().contains("node alpha on ipop0 (192.0.2.1/24)"), status.output());

                assertTrue(node.toHandle().destroy());
                assertTrue(node.waitFor(30, TimeUnit.SECONDS), "the node did not stop on SIGTERM");
                String out = output(node);
                assertEquals(0, node.exitValue(), out);
                assertTrue(out.contains("ipop-dataplane: stopped"), out);
                assertFalse(Files.exists(socket), "the socket outlived its node");
                assertTrue(ns.execAllowingFailure(5, "ip", "link", "show", "ipop0").exitCode() != 0);
            } finally {
                node.destroyForcibly();
                removeDirectory(Path.of("/dev/shm", "ipopt-hard-" + ProcessHandle.current().pid()));
            }
        }
    }

    /** A capability set of a process, from {@code /proc/PID/status}. */
    private static long capabilities(ProcessHandle p, String set) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc", Long.toString(p.pid()), "status"))) {
            if (line.startsWith(set + ":")) {
                return Long.parseUnsignedLong(line.substring(set.length() + 1).strip(), 16);
            }
        }
        throw new AssertionError("no " + set + " for " + p);
    }

    /** The CLI's command line as the launcher builds it, with its own run directory. */
    private static List<String> cli(Path runDir, String... args) {
        List<String> command = new ArrayList<>();
        command.add(ProcessHandle.current().info().command().orElseThrow());
        command.addAll(NodeMain.JVM_FLAGS);
        String classPath = System.getProperty("java.class.path");
        command.addAll(List.of("-cp", classPath, "-D" + NodeMain.DATAPLANE_CLASSPATH_PROPERTY + "=" + classPath,
                "-D" + NodeMain.RUN_DIRECTORY_PROPERTY + "=" + runDir, "net.ipop.cli.IpopCommand"));
        command.addAll(List.of(args));
        return command;
    }

    private static TestNamespace.Cmd.Result run(TestNamespace ns, Path runDir, String... args) throws Exception {
        Process p = ns.start(cli(runDir, args).toArray(String[]::new));
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("ipop " + String.join(" ", args) + " did not finish");
        }
        return new TestNamespace.Cmd.Result(p.exitValue(), output(p));
    }

    private static String output(Process p) throws IOException {
        return p.isAlive() ? "(still running)" : new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    }

    private static void removeDirectory(Path dir) throws IOException {
        if (Files.exists(dir)) {
            try (var walk = Files.walk(dir)) {
                for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }
}
