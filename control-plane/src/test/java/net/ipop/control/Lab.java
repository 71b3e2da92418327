package net.ipop.control;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import net.ipop.crypto.cert.X25519Keys;
import net.ipop.ffm.testing.TestNamespace;
import net.ipop.ipc.counters.CountersFileReader;
import net.ipop.ipc.counters.CountersSnapshot;

/**
 * A small overlay of static-mode nodes for fault, soak and attack tests: a hub namespace holding a bridge (the
 * "internet", 198.51.100.0/24), and per node a namespace joined to it by a veth pair. A node {@link Spec#natted
 * behind a NAT} sits at 203.0.113.N in its own namespace behind a NAT namespace (nftables masquerade, address
 * 198.51.100.(100+N) on the bridge); the others sit on the bridge at 198.51.100.N. Node N's overlay address is
 * 192.0.2.N. Every node knows every other's key; it is given another's endpoint only when that one is {@link
 * Spec#announced}, so a NAT-ed or late-joining node is the one that initiates. Nodes are started with
 * {@code ipop up} ({@link #up}) and stopped with {@code ipop down}; {@link #close()} removes everything.
 */
final class Lab implements AutoCloseable {
    static final int PORT = 51820;
    private static final SecureRandom RANDOM = new SecureRandom();

    /**
     * One node's part in the lab.
     *
     * @param index 1..99: its addresses' last byte
     * @param natted behind a NAT of its own
     * @param announced the others know its endpoint
     * @param keepaliveMs its keepalive interval towards every peer, 0 for none
     */
    record Spec(String name, int index, boolean natted, boolean announced, int keepaliveMs) {
    }

    /** One node: its namespaces and files. */
    record Node(Spec spec, TestNamespace ns, TestNamespace nat, Path config, Path runDir, Path aeronDir,
            Path countersFile, Path keyFile) {
        String overlay() {
            return "192.0.2." + spec.index();
        }

        /** Its address on its own link: on the bridge, or behind its NAT. */
        String underlay() {
            return (spec.natted() ? "203.0.113." : "198.51.100.") + spec.index();
        }

        /** The node daemon's pid, from its pid file. */
        long pid() throws IOException {
            return Long.parseLong(Files.readString(runDir.resolve("ipop0.pid")).strip());
        }

        boolean running() {
            try {
                return Files.exists(runDir.resolve("ipop0.pid")) && ProcessHandle.of(pid()).isPresent();
            } catch (IOException | NumberFormatException e) {
                return false;
            }
        }

        /** The data plane process the node supervises now. */
        ProcessHandle dataPlane() throws IOException {
            return ProcessHandle.of(pid()).orElseThrow(() -> new AssertionError("the node is gone" + log()))
                    .children().findFirst().orElseThrow(() -> new AssertionError("no data plane child" + log()));
        }

        /** The counters of this node's data plane, read directly from its counters file. */
        CountersSnapshot counters() throws IOException {
            return CountersFileReader.open(countersFile).snapshot(System.currentTimeMillis());
        }

        String log() {
            try {
                return "\nlog of " + spec.name() + ":\n" + Files.readString(runDir.resolve("ipop0.log"));
            } catch (IOException e) {
                return "\n(no log of " + spec.name() + ": " + e + ")";
            }
        }
    }

    private final TestNamespace hub;
    private final Map<String, Node> nodes = new LinkedHashMap<>();
    private final List<TestNamespace> hosts = new ArrayList<>();

    private Lab(TestNamespace hub) {
        this.hub = hub;
    }

    /** Builds the hub, the namespaces, links and configs of {@code specs}; starts no node. */
    static Lab create(Path temp, String tag, List<Spec> specs) throws Exception {
        Lab lab = new Lab(TestNamespace.create(tag + "h"));
        try {
            lab.hub.exec("ip", "link", "add", "br0", "type", "bridge");
            lab.hub.exec("ip", "link", "set", "br0", "up");
            Map<String, byte[]> keys = new LinkedHashMap<>();
            for (Spec s : specs) {
                keys.put(s.name(), X25519Keys.generatePrivateKey(RANDOM));
            }
            for (Spec s : specs) {
                lab.nodes.put(s.name(), lab.build(temp, tag, s, specs, keys));
            }
            return lab;
        } catch (Exception | Error e) {
            lab.close();
            throw e;
        }
    }

    Node node(String name) {
        Node n = nodes.get(name);
        if (n == null) {
            throw new IllegalArgumentException("no node " + name);
        }
        return n;
    }

    TestNamespace hub() {
        return hub;
    }

    /** A plain namespace on the bridge at 198.51.100.{@code index} (no node: a host, or an attacker). */
    TestNamespace host(String tag, int index) throws IOException {
        TestNamespace ns = TestNamespace.create(tag);
        hosts.add(ns);
        String hubSide = "h" + index;
        hub.exec("ip", "link", "add", hubSide, "type", "veth", "peer", "name", "eth0", "netns", ns.name());
        ns.exec("ip", "addr", "add", "198.51.100." + index + "/24", "dev", "eth0");
        hub.exec("ip", "link", "set", hubSide, "master", "br0");
        hub.exec("ip", "link", "set", hubSide, "up");
        ns.exec("ip", "link", "set", "eth0", "up");
        ns.exec("ip", "link", "set", "lo", "up");
        return ns;
    }

    private Node build(Path temp, String tag, Spec s, List<Spec> specs, Map<String, byte[]> keys) throws Exception {
        TestNamespace ns = TestNamespace.create(tag + s.index());
        TestNamespace nat = null;
        try {
            ns.exec("ip", "link", "set", "lo", "up");
            String hubSide = "h" + s.index();
            if (!s.natted()) {
                hub.exec("ip", "link", "add", hubSide, "type", "veth", "peer", "name", "eth0", "netns", ns.name());
                ns.exec("ip", "addr", "add", "198.51.100." + s.index() + "/24", "dev", "eth0");
            } else {
                nat = TestNamespace.create(tag + "n" + s.index());
                hub.exec("ip", "link", "add", hubSide, "type", "veth", "peer", "name", "wan", "netns", nat.name());
                nat.exec("ip", "link", "add", "lan", "type", "veth", "peer", "name", "eth0", "netns", ns.name());
                nat.exec("ip", "addr", "add", "198.51.100." + (100 + s.index()) + "/24", "dev", "wan");
                nat.exec("ip", "addr", "add", "203.0.113.254/24", "dev", "lan");
                nat.exec("ip", "link", "set", "wan", "up");
                nat.exec("ip", "link", "set", "lan", "up");
                nat.exec("ip", "link", "set", "lo", "up");
                nat.exec("sysctl", "-qw", "net.ipv4.ip_forward=1");
                nat.exec("nft", "add table ip nat; add chain ip nat post { type nat hook postrouting priority 100; };"
                        + " add rule ip nat post oifname wan masquerade");
                ns.exec("ip", "addr", "add", "203.0.113." + s.index() + "/24", "dev", "eth0");
            }
            hub.exec("ip", "link", "set", hubSide, "master", "br0");
            hub.exec("ip", "link", "set", hubSide, "up");
            ns.exec("ip", "link", "set", "eth0", "up");
            if (s.natted()) {
                ns.exec("ip", "route", "add", "default", "via", "203.0.113.254");
            }
            return write(temp, ns, nat, s, specs, keys);
        } catch (Exception | Error e) {
            ns.close();
            if (nat != null) {
                nat.close();
            }
            throw e;
        }
    }

    private static Node write(Path temp, TestNamespace ns, TestNamespace nat, Spec s, List<Spec> specs,
            Map<String, byte[]> keys) throws IOException {
        Path dir = Files.createDirectories(temp.resolve(s.name()));
        Path keyFile = dir.resolve(s.name() + ".key");
        Files.writeString(keyFile, X25519Keys.toBase64(keys.get(s.name())) + "\n");
        Files.setPosixFilePermissions(keyFile, PosixFilePermissions.fromString("rw-------"));
        Path aeron = Path.of("/dev/shm", "ipopt-" + ns.name());
        Path counters = dir.resolve("ipop0.counters");
        StringBuilder peers = new StringBuilder();
        for (Spec p : specs) {
            if (p.equals(s)) {
                continue;
            }
            peers.append("  - name: ").append(p.name()).append('\n')
                    .append("    publicKey: ").append(X25519Keys.toBase64(X25519Keys.publicKey(keys.get(p.name()))))
                    .append('\n')
                    .append("    allowedAddresses: [192.0.2.").append(p.index()).append("/32]\n");
            if (p.announced()) {
                peers.append("    endpoint: 198.51.100.").append(p.index()).append(':').append(PORT).append('\n');
            }
            if (s.keepaliveMs() > 0) {
                peers.append("    keepaliveIntervalMs: ").append(s.keepaliveMs()).append('\n');
            }
        }
        Path config = dir.resolve("node.yaml");
        Files.writeString(config, """
                node:
                  name: %s
                  privateKeyFile: %s
                interface:
                  name: ipop0
                  addresses: [192.0.2.%d/24]
                listen:
                  port: %d
                dataplane:
                  countersFile: %s
                  aeronDirectory: %s
                peers:
                %s""".formatted(s.name(), keyFile, s.index(), PORT, counters, aeron, peers));
        return new Node(s, ns, nat, config, dir.resolve("run"), aeron, counters, keyFile);
    }

    /** {@code ipop up} for each of {@code names} (started together), failing with the logs if one fails. */
    void up(String... names) throws Exception {
        List<Process> ups = new ArrayList<>();
        for (String name : names) {
            Node n = node(name);
            ups.add(cli(n, "up", "--config", n.config().toString()));
        }
        for (int i = 0; i < ups.size(); i++) {
            Process up = ups.get(i);
            // JVMs starting JVMs on a loaded 2-core machine: a minute is not unusual.
            if (!up.waitFor(150, TimeUnit.SECONDS) || up.exitValue() != 0) {
                up.destroyForcibly();
                throw new AssertionError("ipop up " + names[i] + " failed: "
                        + new String(up.getInputStream().readAllBytes(), StandardCharsets.UTF_8)
                        + node(names[i]).log());
            }
        }
    }

    /** {@code ipop down} for the node. */
    void down(String name) throws Exception {
        Node n = node(name);
        TestNamespace.Cmd.Result r = run(n, 60, "down", "--config", n.config().toString());
        if (r.exitCode() != 0) {
            throw new AssertionError("ipop down " + name + " failed: " + r.output() + n.log());
        }
    }

    /** Waits until {@code from} pings {@code to} over the overlay, within {@code seconds}. */
    void awaitPing(String from, String to, int seconds) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (node(from).ns().execAllowingFailure(5, "ping", "-c", "1", "-W", "1", node(to).overlay())
                .exitCode() != 0) {
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("no ping reply from " + to + " to " + from + " in " + seconds + " s"
                        + node(from).log() + node(to).log());
            }
        }
    }

    /** Runs the CLI in the node's namespace and returns exit code and output. */
    TestNamespace.Cmd.Result run(Node n, int seconds, String... args) throws Exception {
        Process p = cli(n, args);
        if (!p.waitFor(seconds, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("ipop " + String.join(" ", args) + " did not finish in " + seconds + " s");
        }
        return new TestNamespace.Cmd.Result(p.exitValue(),
                new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
    }

    /** Starts the CLI as the launcher would, inside the node's namespace, with the node's own run directory. */
    static Process cli(Node n, String... args) throws IOException {
        List<String> command = new ArrayList<>();
        command.add(ProcessHandle.current().info().command().orElseThrow());
        command.addAll(NodeMain.JVM_FLAGS);
        String classPath = System.getProperty("java.class.path");
        command.addAll(List.of("-cp", classPath, "-D" + NodeMain.DATAPLANE_CLASSPATH_PROPERTY + "=" + classPath,
                "-D" + NodeMain.RUN_DIRECTORY_PROPERTY + "=" + n.runDir(), "net.ipop.cli.IpopCommand"));
        command.addAll(List.of(args));
        return n.ns().start(command.toArray(String[]::new));
    }

    /** Stops every running node, then removes namespaces and leftovers, whatever state they are in. */
    @Override
    public void close() throws IOException {
        IOException failure = null;
        for (Node n : nodes.values()) {
            try {
                if (n.running()) {
                    run(n, 60, "down", "--config", n.config().toString());
                }
            } catch (Exception e) {
                failure = failure == null ? new IOException("ipop down " + n.spec().name() + " failed: " + e, e)
                        : failure;
            }
        }
        for (Node n : nodes.values()) {
            try {
                n.ns().close();
                if (n.nat() != null) {
                    n.nat().close();
                }
                removeDirectory(n.aeronDir());
            } catch (IOException e) {
                failure = failure == null ? e : failure;
            }
        }
        for (TestNamespace ns : hosts) {
            try {
                ns.close();
            } catch (IOException e) {
                failure = failure == null ? e : failure;
            }
        }
        hub.close();
        if (failure != null) {
            throw failure;
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
