package net.ipop.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import net.ipop.crypto.cert.X25519Keys;
import net.ipop.ffm.testing.Privileged;
import net.ipop.ffm.testing.TestNamespace;
import net.ipop.ipc.counters.CountersFileReader;
import net.ipop.ipc.counters.CountersSnapshot;
import net.ipop.ipc.counters.DropReason;
import net.ipop.ipc.counters.PeerTotals;

/**
 * A stock WireGuard peer as a member: Debian's wireguard-go in one namespace, our node started with
 * {@code ipop up --config} (daemon, data plane process, static peers) in another, joined by a veth pair.
 * The peer's suite is {@code chacha20poly1305}, so the handshake and the transport must be WireGuard's byte for
 * byte. Once with wireguard-go initiating the handshake, once with our node initiating: ping in both
 * directions over IPv4 and IPv6, iperf3 TCP both ways, wireguard-go's keepalives, then our counters show the
 * traffic and no packet of wireguard-go's failed to authenticate or parse.
 */
@Privileged
@Timeout(value = 150, unit = TimeUnit.SECONDS)
class WireGuardMemberTest {
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final String OUR_UNDERLAY = "198.51.100.1";
    private static final String WG_UNDERLAY = "198.51.100.2";
    private static final int PORT = 51820;
    private static final Pattern RECEIVED_BPS =
            Pattern.compile("\"sum_received\"\\s*:\\s*\\{[^}]*\"bits_per_second\"\\s*:\\s*([0-9.eE+]+)");

    @TempDir
    Path temp;

    @Test
    void wireguardGoInitiatesAndCarriesPingAndIperf3() throws Exception {
        run(false);
    }

    @Test
    void ourNodeInitiatesAndCarriesPingAndIperf3() throws Exception {
        run(true);
    }

    /**
     * @param weInitiate whether our node knows wireguard-go's endpoint (and initiates at start) or the other way
     *                   round (wireguard-go initiates when its kernel first sends to us)
     */
    private void run(boolean weInitiate) throws Exception {
        byte[] ourKey = X25519Keys.generatePrivateKey(RANDOM);
        byte[] wgKey = X25519Keys.generatePrivateKey(RANDOM);
        Path runDir = temp.resolve("run");
        Path counters = temp.resolve("ipop0.counters");
        String tag = HexFormat.of().formatHex(randomBytes(3));
        Path aeron = Path.of("/dev/shm", "ipopt-wgm-" + tag);
        // wireguard-go keeps its control socket in the shared /var/run/wireguard: the name must be unique.
        String wgIf = "wgm" + tag;
        Path config = writeConfig(ourKey, wgKey, counters, aeron, weInitiate);
        Path wgKeyFile = Files.writeString(temp.resolve("wg.key"), X25519Keys.toBase64(wgKey) + "\n");
        Files.setPosixFilePermissions(wgKeyFile, PosixFilePermissions.fromString("rw-------"));
        StringBuffer wgLog = new StringBuffer();
        Process wg = null;
        boolean up = false;
        try (TestNamespace ours = TestNamespace.create("wgo");
                TestNamespace theirs = TestNamespace.create("wgw")) {
            try {
                underlay(ours, theirs);
                wg = theirs.start("env", "LOG_LEVEL=verbose", "WG_PROCESS_FOREGROUND=1", "wireguard-go", "-f", wgIf);
                drain(wg.getInputStream(), wgLog);
                waitForDevice(theirs, wgIf, wg, wgLog);
                List<String> set = new ArrayList<>(List.of("wg", "set", wgIf, "private-key", wgKeyFile.toString(),
                        "listen-port", String.valueOf(PORT), "peer", X25519Keys.toBase64(X25519Keys.publicKey(ourKey)),
                        "allowed-ips", "192.0.2.1/32,2001:db8::1/128"));
                if (!weInitiate) {
                    set.addAll(List.of("endpoint", OUR_UNDERLAY + ":" + PORT));
                }
                theirs.exec(set.toArray(String[]::new));
                theirs.exec("ip", "addr", "add", "192.0.2.2/24", "dev", wgIf);
                theirs.exec("ip", "-6", "addr", "add", "2001:db8::2/64", "dev", wgIf, "nodad");
                theirs.exec("ip", "link", "set", wgIf, "up");

                Process upProcess = cli(ours, runDir, "up", "--config", config.toString());
                String upOut = finish(upProcess, 60);
                assertEquals(0, upProcess.exitValue(), "ipop up: " + upOut + log(runDir));
                up = true;

                // The first packet goes from the side that holds the other's endpoint; it starts the handshake.
                TestNamespace first = weInitiate ? ours : theirs;
                String firstTarget = weInitiate ? "192.0.2.2" : "192.0.2.1";
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(25);
                while (first.execAllowingFailure(5, "ping", "-c", "1", "-W", "1", firstTarget).exitCode() != 0) {
                    assertTrue(System.nanoTime() - deadline < 0, "no ping reply over the tunnel in 25 s" + log(runDir)
                            + "\nwireguard-go:\n" + wgLog);
                }
                String wgSaw = weInitiate ? "Received handshake initiation" : "Received handshake response";
                assertTrue(wgLog.toString().contains(wgSaw), "wireguard-go's log lacks '" + wgSaw + "':\n" + wgLog);

                // Keepalives (empty data messages) from wireguard-go every second while idle; they must
                // authenticate and parse here (any that did not would show among the drops checked below).
                theirs.exec("wg", "set", wgIf, "peer", X25519Keys.toBase64(X25519Keys.publicKey(ourKey)),
                        "persistent-keepalive", "1");
                long keepaliveDeadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                while (!wgLog.toString().contains("Sending keepalive packet")) {
                    assertTrue(System.nanoTime() - keepaliveDeadline < 0, "wireguard-go sent no keepalive:\n" + wgLog);
                    Thread.sleep(100);
                }

                assertPings(ours, "192.0.2.2", wgLog, runDir);
                assertPings(theirs, "192.0.2.1", wgLog, runDir);
                assertPings(ours, "2001:db8::2", wgLog, runDir);
                assertPings(theirs, "2001:db8::1", wgLog, runDir);

                double toUs = iperf3(ours, theirs, 5201, false, runDir);
                double fromUs = iperf3(ours, theirs, 5202, true, runDir);
                System.out.printf("wireguard-go -> ipop %.0f Mbit/s, ipop -> wireguard-go %.0f Mbit/s (%s)%n",
                        toUs / 1e6, fromUs / 1e6, weInitiate ? "we initiated" : "wireguard-go initiated");

                CountersSnapshot snapshot = CountersFileReader.open(counters).snapshot(System.currentTimeMillis());
                assertEquals(1, snapshot.peers().size(), snapshot.toString());
                PeerTotals peer = snapshot.peers().get(0);
                assertEquals("wg", peer.name(), snapshot.toString());
                // 13 pings each way at least, plus two iperf3 runs of a few seconds: megabytes each way.
                assertTrue(peer.rxPackets() > 26 && peer.txPackets() > 26, snapshot.toString());
                assertTrue(peer.rxBytes() > 1_000_000 && peer.txBytes() > 1_000_000, snapshot.toString());
                for (DropReason reason : List.of(DropReason.AUTH_FAILED, DropReason.MALFORMED,
                        DropReason.SOURCE_NOT_ALLOWED, DropReason.REPLAY)) {
                    assertEquals(0L, snapshot.drops().getOrDefault(reason, 0L), reason + ": " + snapshot);
                }

                Process down = cli(ours, runDir, "down", "--config", config.toString());
                String downOut = finish(down, 30);
                up = false;
                assertEquals(0, down.exitValue(), "ipop down: " + downOut + log(runDir));
            } finally {
                if (up) {
                    // Best effort after a failure; the namespace's removal kills whatever is left.
                    cli(ours, runDir, "down", "--config", config.toString()).waitFor(30, TimeUnit.SECONDS);
                }
                stop(wg);
                Files.deleteIfExists(Path.of("/var/run/wireguard", wgIf + ".sock"));
                deleteTree(aeron);
            }
        }
    }

    private static void assertPings(TestNamespace ns, String target, StringBuffer wgLog, Path runDir)
            throws IOException {
        TestNamespace.Cmd.Result ping = ns.execAllowingFailure(20, "ping", "-c", "3", "-i", "0.2", "-W", "2", target);
        assertEquals(0, ping.exitCode(), ping.output() + log(runDir) + "\nwireguard-go:\n" + wgLog);
        assertTrue(ping.output().contains("3 received"), ping.output());
    }

    /**
     * Runs a one-off iperf3 server on our node at {@code port} (a fresh server per run: iperf3 3.12 sometimes resets
     * a client that arrives while it tears down the previous test) and a TCP client for 3 s on wireguard-go's side
     * ({@code reverse}: the server sends); returns the received bit rate.
     */
    private static double iperf3(TestNamespace ours, TestNamespace theirs, int port, boolean reverse, Path runDir)
            throws Exception {
        Process server = ours.start("iperf3", "-s", "-1", "-B", "192.0.2.1", "-p", String.valueOf(port));
        StringBuffer serverOut = new StringBuffer();
        drain(server.getInputStream(), serverOut);
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (!ours.exec("ss", "-ltn").contains("192.0.2.1:" + port)) {
                assertTrue(server.isAlive(), "iperf3 server exited: " + serverOut);
                assertTrue(System.nanoTime() - deadline < 0, "iperf3 server not listening in 10 s");
                Thread.sleep(50);
            }
            List<String> command = new ArrayList<>(List.of("iperf3", "-c", "192.0.2.1", "-p", String.valueOf(port),
                    "-t", "3", "-J"));
            if (reverse) {
                command.add("-R");
            }
            TestNamespace.Cmd.Result r = theirs.execAllowingFailure(30, command.toArray(String[]::new));
            server.waitFor(10, TimeUnit.SECONDS);
            assertEquals(0, r.exitCode(), r.output() + "\nserver:\n" + serverOut + log(runDir));
            Matcher m = RECEIVED_BPS.matcher(r.output());
            assertTrue(m.find(), "no received rate in " + r.output() + "\nserver:\n" + serverOut + log(runDir));
            double bps = Double.parseDouble(m.group(1));
            assertTrue(bps > 0, r.output());
            return bps;
        } finally {
            stop(server);
        }
    }

    private Path writeConfig(byte[] ourKey, byte[] wgKey, Path counters, Path aeron, boolean withEndpoint)
            throws IOException {
        Path keyFile = temp.resolve("ours.key");
        Files.writeString(keyFile, X25519Keys.toBase64(ourKey) + "\n");
        Files.setPosixFilePermissions(keyFile, PosixFilePermissions.fromString("rw-------"));
        Path config = temp.resolve("node.yaml");
        Files.writeString(config, """
                node:
                  name: ours
                  privateKeyFile: %s
                interface:
                  name: ipop0
                  addresses: [192.0.2.1/24, "2001:db8::1/64"]
                listen:
                  port: %d
                dataplane:
                  countersFile: %s
                  aeronDirectory: %s
                peers:
                  - name: wg
                    publicKey: %s
                    suite: chacha20poly1305
                    allowedAddresses: [192.0.2.2/32, "2001:db8::2/128"]
                %s""".formatted(keyFile, PORT, counters, aeron, X25519Keys.toBase64(X25519Keys.publicKey(wgKey)),
                withEndpoint ? "    endpoint: " + WG_UNDERLAY + ":" + PORT + "\n" : ""));
        return config;
    }

    private static void underlay(TestNamespace a, TestNamespace b) throws IOException {
        a.exec("ip", "link", "add", "veth-o", "type", "veth", "peer", "name", "veth-w", "netns", b.name());
        a.exec("ip", "addr", "add", OUR_UNDERLAY + "/24", "dev", "veth-o");
        b.exec("ip", "addr", "add", WG_UNDERLAY + "/24", "dev", "veth-w");
        a.exec("ip", "link", "set", "veth-o", "up");
        b.exec("ip", "link", "set", "veth-w", "up");
        a.exec("ip", "link", "set", "lo", "up");
        b.exec("ip", "link", "set", "lo", "up");
    }

    /** Starts the CLI as the launcher would, inside {@code ns}, with its own run directory. */
    private static Process cli(TestNamespace ns, Path runDir, String... args) throws IOException {
        List<String> command = new ArrayList<>();
        command.add(ProcessHandle.current().info().command().orElseThrow());
        command.addAll(NodeMain.JVM_FLAGS);
        String classPath = System.getProperty("java.class.path");
        command.addAll(List.of("-cp", classPath, "-D" + NodeMain.DATAPLANE_CLASSPATH_PROPERTY + "=" + classPath,
                "-D" + NodeMain.RUN_DIRECTORY_PROPERTY + "=" + runDir, "net.ipop.cli.IpopCommand"));
        command.addAll(List.of(args));
        return ns.start(command.toArray(String[]::new));
    }

    /** Waits for the process and returns its output; kills it and fails if it takes longer than {@code seconds}. */
    private static String finish(Process p, int seconds) throws Exception {
        if (!p.waitFor(seconds, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            p.waitFor(5, TimeUnit.SECONDS);
            throw new AssertionError("did not finish in " + seconds + " s: " + p.info().commandLine().orElse("?"));
        }
        return new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    }

    private static String log(Path runDir) {
        try {
            return "\nnode log:\n" + Files.readString(runDir.resolve("ipop0.log"));
        } catch (IOException e) {
            return "\n(no node log: " + e + ")";
        }
    }

    private static void waitForDevice(TestNamespace ns, String ifname, Process wg, StringBuffer log) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (ns.execAllowingFailure(5, "wg", "show", ifname).exitCode() != 0) {
            assertTrue(wg.isAlive(), "wireguard-go exited:\n" + log);
            assertTrue(System.nanoTime() - deadline < 0, "wireguard-go did not create " + ifname + ":\n" + log);
            Thread.sleep(50);
        }
    }

    /** SIGTERM (wireguard-go then removes its device and socket), SIGKILL if that does not end it. */
    private static void stop(Process p) throws InterruptedException {
        if (p != null && p.isAlive()) {
            p.destroy();
            if (!p.waitFor(5, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                p.waitFor(5, TimeUnit.SECONDS);
            }
        }
    }

    /** Copies a process's output into {@code log} on a daemon thread until the process ends. */
    private static void drain(InputStream in, StringBuffer log) {
        Thread t = new Thread(() -> {
            byte[] b = new byte[4096];
            try {
                for (int k; (k = in.read(b)) > 0; ) {
                    log.append(new String(b, 0, k, StandardCharsets.UTF_8));
                }
            } catch (IOException ignored) {
                // The process is gone.
            }
        }, "process-output");
        t.setDaemon(true);
        t.start();
    }

    private static void deleteTree(Path dir) throws IOException {
        if (Files.exists(dir)) {
            try (var walk = Files.walk(dir)) {
                for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }

    private static byte[] randomBytes(int n) {
        byte[] b = new byte[n];
        RANDOM.nextBytes(b);
        return b;
    }
}
