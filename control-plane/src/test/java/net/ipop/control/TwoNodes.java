package net.ipop.control;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;

import net.ipop.crypto.cert.X25519Keys;
import net.ipop.ffm.testing.TestNamespace;
import net.ipop.ipc.counters.CountersFileReader;
import net.ipop.ipc.counters.CountersSnapshot;

/**
 * Two nodes as an operator runs them ({@code ipop up --config} in two namespaces joined by a veth pair, each
 * node daemon supervising its own data plane process), handshaken and pinging each other. {@link #close()}
 * runs {@code ipop down} for both, removes what a failed test may have left and deletes the namespaces.
 */
final class TwoNodes implements AutoCloseable {
    static final String UNDERLAY_A = "198.51.100.1";
    static final String UNDERLAY_B = "198.51.100.2";
    static final String OVERLAY_A = "192.0.2.1";
    static final String OVERLAY_B = "192.0.2.2";
    /** The overlay addresses of {@link #upIpv6}'s nodes. */
    static final String OVERLAY6_A = "2001:db8::1";
    static final String OVERLAY6_B = "2001:db8::2";
    static final int PORT = 51820;
    private static final SecureRandom RANDOM = new SecureRandom();

    /** One node: its namespace and files. */
    record Node(TestNamespace ns, Path config, Path runDir, Path aeronDir, Path countersFile) {
        /** The node daemon's pid, from its pid file. */
        long pid() throws IOException {
            return Long.parseLong(Files.readString(runDir.resolve("ipop0.pid")).strip());
        }

        /** The data plane process the node supervises now: its child, or the one it adopted. */
        ProcessHandle dataPlane() throws IOException {
            ProcessHandle node = ProcessHandle.of(pid()).orElseThrow(() -> new AssertionError("the node is gone"
                    + log()));
            return node.children().findFirst().or(() -> ProcessHandle.of(dataPlanePid()))
                    .orElseThrow(() -> new AssertionError("no data plane" + log()));
        }

        /** The pid in the node's data plane pid file. */
        long dataPlanePid() {
            try {
                return Long.parseLong(Files.readString(runDir.resolve("ipop0.dataplane.pid")).strip());
            } catch (IOException e) {
                throw new AssertionError("no data plane pid file" + log(), e);
            }
        }

        /** The counters of this node's data plane, read directly from its counters file. */
        CountersSnapshot counters() throws IOException {
            return CountersFileReader.open(countersFile).snapshot(System.currentTimeMillis());
        }

        /** Runs the CLI with {@code args} in this node's namespace and returns exit code and output. */
        TestNamespace.Cmd.Result cli(int seconds, String... args) throws Exception {
            Process p = TwoNodes.cli(ns, runDir, args);
            if (!p.waitFor(seconds, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new AssertionError("ipop " + String.join(" ", args) + " did not finish in " + seconds + " s");
            }
            return new TestNamespace.Cmd.Result(p.exitValue(),
                    new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
        }

        String log() {
            try {
                return "\nlog:\n" + Files.readString(runDir.resolve("ipop0.log"));
            } catch (IOException e) {
                return "\n(no log: " + e + ")";
            }
        }
    }

    private final TestNamespace nsA;
    private final TestNamespace nsB;
    private final Node a;
    private final Node b;

    private TwoNodes(TestNamespace nsA, TestNamespace nsB, Node a, Node b) {
        this.nsA = nsA;
        this.nsB = nsB;
        this.a = a;
        this.b = b;
    }

    Node a() {
        return a;
    }

    Node b() {
        return b;
    }

    /**
     * Creates both namespaces and the underlay, brings both nodes up and waits until A pings B over the tunnel.
     * On any failure everything made so far is removed.
     */
    static TwoNodes up(Path temp, String tag) throws Exception {
        return up(temp, tag, false);
    }

    /** As {@link #up(Path, String)}, with IPv6 overlay addresses only ({@link #OVERLAY6_A}/64 and B). */
    static TwoNodes upIpv6(Path temp, String tag) throws Exception {
        return up(temp, tag, true);
    }

    private static TwoNodes up(Path temp, String tag, boolean ipv6) throws Exception {
        byte[] keyA = X25519Keys.generatePrivateKey(RANDOM);
        byte[] keyB = X25519Keys.generatePrivateKey(RANDOM);
        TestNamespace nsA = TestNamespace.create(tag + "a");
        TestNamespace nsB = null;
        TwoNodes nodes = null;
        try {
            nsB = TestNamespace.create(tag + "b");
            nsA.exec("ip", "link", "add", "veth-a", "type", "veth", "peer", "name", "veth-b", "netns", nsB.name());
            nsA.exec("ip", "addr", "add", UNDERLAY_A + "/24", "dev", "veth-a");
            nsB.exec("ip", "addr", "add", UNDERLAY_B + "/24", "dev", "veth-b");
            nsA.exec("ip", "link", "set", "veth-a", "up");
            nsB.exec("ip", "link", "set", "veth-b", "up");
            nsA.exec("ip", "link", "set", "lo", "up");
            nsB.exec("ip", "link", "set", "lo", "up");
            String self = ipv6 ? "\"2001:db8::%s/64\"" : "192.0.2.%s/24";
            String peer = ipv6 ? "\"2001:db8::%s/128\"" : "192.0.2.%s/32";
            Node a = write(temp, nsA, "a", "alpha", keyA, self.formatted("1"), keyB, "beta", UNDERLAY_B,
                    peer.formatted("2"));
            Node b = write(temp, nsB, "b", "beta", keyB, self.formatted("2"), keyA, "alpha", UNDERLAY_A,
                    peer.formatted("1"));
            nodes = new TwoNodes(nsA, nsB, a, b);
            Process upA = cli(nsA, a.runDir(), "up", "--config", a.config().toString());
            Process upB = cli(nsB, b.runDir(), "up", "--config", b.config().toString());
            // Two JVMs starting two more on a loaded 2-core machine: a minute is not unusual.
            for (Process up : List.of(upA, upB)) {
                if (!up.waitFor(150, TimeUnit.SECONDS) || up.exitValue() != 0) {
                    up.destroyForcibly();
                    throw new AssertionError("ipop up failed: "
                            + new String(up.getInputStream().readAllBytes(), StandardCharsets.UTF_8) + a.log() + b.log());
                }
            }
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (nsA.execAllowingFailure(5, "ping", "-c", "1", "-W", "1", ipv6 ? OVERLAY6_B : OVERLAY_B)
                    .exitCode() != 0) {
                if (System.nanoTime() - deadline > 0) {
                    throw new AssertionError("no ping reply over the tunnel in 60 s" + a.log() + b.log());
                }
            }
            return nodes;
        } catch (Exception | Error e) {
            if (nodes != null) {
                nodes.close();
            } else {
                nsA.close();
                if (nsB != null) {
                    nsB.close();
                }
            }
            throw e;
        }
    }

    private static Node write(Path temp, TestNamespace ns, String tag, String name, byte[] key, String self,
            byte[] peerKey, String peerName, String peerUnderlay, String peer) throws IOException {
        Path dir = Files.createDirectories(temp.resolve(tag));
        Path keyFile = dir.resolve(name + ".key");
        Files.writeString(keyFile, X25519Keys.toBase64(key) + "\n");
        Files.setPosixFilePermissions(keyFile, PosixFilePermissions.fromString("rw-------"));
        Path aeron = Path.of("/dev/shm", "ipopt-" + ns.name() + "-" + tag);
        Path counters = dir.resolve("ipop0.counters");
        Path config = dir.resolve("node.yaml");
        Files.writeString(config, """
                node:
                  name: %s
                  privateKeyFile: %s
                interface:
                  name: ipop0
                  addresses: [%s]
                listen:
                  port: %d
                dataplane:
                  countersFile: %s
                  aeronDirectory: %s
                peers:
                  - name: %s
                    publicKey: %s
                    endpoint: %s:%d
                    allowedAddresses: [%s]
                """.formatted(name, keyFile, self, PORT, counters, aeron, peerName,
                X25519Keys.toBase64(X25519Keys.publicKey(peerKey)), peerUnderlay, PORT, peer));
        return new Node(ns, config, dir.resolve("run"), aeron, counters);
    }

    /** Starts the CLI as the launcher would, inside {@code ns}, with the node's own run directory. */
    static Process cli(TestNamespace ns, Path runDir, String... args) throws IOException {
        List<String> command = new ArrayList<>();
        command.add(ProcessHandle.current().info().command().orElseThrow());
        command.addAll(NodeMain.JVM_FLAGS);
        String classPath = System.getProperty("java.class.path");
        command.addAll(List.of("-cp", classPath, "-D" + NodeMain.DATAPLANE_CLASSPATH_PROPERTY + "=" + classPath,
                "-D" + NodeMain.RUN_DIRECTORY_PROPERTY + "=" + runDir, "net.ipop.cli.IpopCommand"));
        command.addAll(List.of(args));
        return ns.start(command.toArray(String[]::new));
    }

    /** {@code ipop down} for both nodes (whatever state they are in), then removes namespaces and leftovers. */
    @Override
    public void close() throws IOException {
        try {
            for (Node n : List.of(a, b)) {
                if (Files.exists(n.runDir().resolve("ipop0.pid"))) {
                    n.cli(60, "down", "--config", n.config().toString());
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while stopping the nodes", e);
        } catch (Exception e) {
            throw new IOException("ipop down failed: " + e, e);
        } finally {
            try {
                nsA.close();
            } finally {
                nsB.close();
                removeDirectory(a.aeronDir());
                removeDirectory(b.aeronDir());
            }
        }
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
