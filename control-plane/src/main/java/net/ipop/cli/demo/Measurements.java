package net.ipop.cli.demo;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import net.ipop.control.status.JsonText;
import net.ipop.control.status.StatusClient;
import net.ipop.control.status.StatusServer;
import net.ipop.ipc.counters.CountersFileReader;
import net.ipop.ipc.counters.GlobalCounter;
import net.ipop.ipc.counters.PeerTotals;

/**
 * Ping and iperf3 between two nodes across the overlay, and which path the packets took, read from the nodes
 * themselves: the sending node's status (its status socket, what {@code ipop status --json} shows: the peer's
 * {@code path}, direct, relayed through TURN or forwarded through another member) when it knows the other node
 * as a peer of its own; otherwise (static mode, where a site reaches the other through the hub's allowed
 * addresses) a node whose data plane counted the pair's packets as {@code forwarded} relayed them. Blocking;
 * the demo's thread only.
 */
final class Measurements {
    static final int PINGS = 5;
    static final int IPERF_PORT = 5201;
    private static final Pattern PING_COUNTS = Pattern.compile("(\\d+) packets transmitted, (\\d+) received");
    private static final Pattern PING_RTT = Pattern.compile("= [0-9.]+/([0-9.]+)/[0-9.]+/[0-9.]+ ms");
    private static final Pattern IPERF_RECEIVER = Pattern.compile("([0-9.]+) Mbits/sec\\s+receiver");

    private final List<DemoNode> nodes;
    private final Path dir;
    private final int iperfSeconds;

    /** {@code dir} receives the iperf3 servers' logs; {@code iperfSeconds} is each stream's duration. */
    Measurements(List<DemoNode> nodes, Path dir, int iperfSeconds) {
        this.nodes = nodes;
        this.dir = dir;
        this.iperfSeconds = iperfSeconds;
    }

    /** Pings until {@code to} answers {@code from} (the handshakes are done), or fails after {@code seconds}. */
    void awaitReachable(DemoNode from, DemoNode to, int seconds) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (!Shell.inAllowingFailure(from.namespace(), 5, "ping", "-c", "1", "-W", "1", to.overlay()).ok()) {
            if (System.nanoTime() - deadline > 0) {
                throw new DemoException(from.name() + " got no ping reply from " + to.name() + " (" + to.overlay()
                        + ") within " + seconds + " s; the nodes' logs are " + from.log() + " and " + to.log());
            }
        }
    }

    /**
     * One second of iperf3 from {@code from} to {@code to}, not reported: a fresh data plane runs its packet
     * path interpreted until the JIT has compiled it, and the first stream through it measured a fraction of
     * the later ones (13 against 85 Mbit/s for the same pair in one run here).
     */
    void warmUp(DemoNode from, DemoNode to) throws IOException {
        iperf(from, to, 1);
    }

    /** Pings and runs iperf3 from {@code from} to {@code to}; the path is what the nodes' counters say. */
    PairResult measure(DemoNode from, DemoNode to) throws IOException {
        settle();
        Map<String, Long> before = forwardedCounts();
        Shell.Result ping = Shell.inAllowingFailure(from.namespace(), 30, "ping", "-q", "-c",
                Integer.toString(PINGS), "-i", "0.2", "-W", "2", to.overlay());
        int sent = 0;
        int received = 0;
        Matcher counts = PING_COUNTS.matcher(ping.output());
        if (counts.find()) {
            sent = Integer.parseInt(counts.group(1));
            received = Integer.parseInt(counts.group(2));
        }
        Matcher rtt = PING_RTT.matcher(ping.output());
        double rttMs = rtt.find() ? Double.parseDouble(rtt.group(1)) : Double.NaN;
        double mbit = iperf(from, to, iperfSeconds);
        Map<String, Long> after = forwardedCounts();
        String path = statusPath(from, to);
        return new PairResult(from.name(), to.name(), sent, received, rttMs, mbit,
                path != null ? path : path(from, to, before, after));
    }

    /**
     * The path {@code from}'s node reports for its peer {@code to} (by name), as the table shows it: "direct",
     * "relayed via TURN" (or via the relay it names), "forwarded via X", "none"; {@code null} if {@code from}
     * has no peer of that name (static mode).
     *
     * @throws DemoException if the node does not answer on its status socket
     */
    String statusPath(DemoNode from, DemoNode to) {
        Map<String, Object> peer = statusPeer(from, to.name());
        if (peer == null) {
            return null;
        }
        String path = String.valueOf(peer.get("path"));
        Object via = peer.get("via");
        return switch (path) {
            case "relayed" -> "relayed via TURN";
            case "forwarded" -> "forwarded via " + via;
            default -> path;
        };
    }

    private static Map<String, Object> statusPeer(DemoNode node, String peerName) {
        Path socket = StatusServer.socketFile(node.runDir(), DemoNode.INTERFACE);
        Object doc;
        try {
            doc = JsonText.parse(StatusClient.ask(socket, "{\"request\":\"status\"}", Duration.ofSeconds(10)));
        } catch (IOException | RuntimeException e) {
            throw new DemoException("cannot ask " + node.name() + " for its status through " + socket + ": " + e);
        }
        if (doc instanceof Map<?, ?> m && m.get("peers") instanceof List<?> peers) {
            for (Object p : peers) {
                if (p instanceof Map<?, ?> peer && peerName.equals(peer.get("name"))) {
                    Map<String, Object> copy = new HashMap<>();
                    peer.forEach((k, v) -> copy.put(String.valueOf(k), v));
                    return copy;
                }
            }
        }
        return null;
    }

    /**
     * "forwarded via X" for the node other than the pair's own that forwarded at least the pings' worth of
     * packets meanwhile (keepalives are never forwarded, and {@link #settle} let the previous pair's traffic
     * drain first), else "direct".
     */
    private String path(DemoNode from, DemoNode to, Map<String, Long> before, Map<String, Long> after) {
        String relay = null;
        long most = 0;
        for (DemoNode n : nodes) {
            if (n == from || n == to) {
                // Packets addressed to a node end there: whatever it forwarded meanwhile was someone else's.
                continue;
            }
            long delta = after.getOrDefault(n.name(), 0L) - before.getOrDefault(n.name(), 0L);
            if (delta >= PINGS && delta > most) {
                most = delta;
                relay = n.name();
            }
        }
        return relay == null ? "direct" : "forwarded via " + relay;
    }

    /**
     * Waits until the overlay is quiet (at most a few keepalives per interval), at most 5 s: a TCP sender keeps
     * draining its socket buffer after iperf3 exits, which would otherwise load the next pair's measurement.
     */
    private void settle() throws IOException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        long last = receivedPackets();
        while (System.nanoTime() - deadline < 0) {
            DemoResources.sleep(250);
            long now = receivedPackets();
            if (now - last <= nodes.size()) {
                return;
            }
            last = now;
        }
    }

    private long receivedPackets() throws IOException {
        long sum = 0;
        long now = System.currentTimeMillis();
        for (DemoNode n : nodes) {
            for (PeerTotals p : CountersFileReader.open(n.counters()).snapshot(now).peers()) {
                sum += p.rxPackets();
            }
        }
        return sum;
    }

    /** Each node's {@code forwarded} counter, from its counters file. */
    Map<String, Long> forwardedCounts() throws IOException {
        Map<String, Long> counts = new HashMap<>();
        long now = System.currentTimeMillis();
        for (DemoNode n : nodes) {
            counts.put(n.name(), CountersFileReader.open(n.counters()).snapshot(now).globals()
                    .getOrDefault(GlobalCounter.FORWARDED, 0L));
        }
        return counts;
    }

    /** A one-off iperf3 server on {@code to}, a client on {@code from}; the receiver's Mbit/s, 0 on failure. */
    private double iperf(DemoNode from, DemoNode to, int seconds) throws IOException {
        Path log = dir.resolve("iperf3-" + from.name() + "-" + to.name() + "-" + seconds + "s.log");
        // --logfile also puts the run's directory on the server's command line: a leftover is recognisable.
        Process server = new ProcessBuilder(Shell.inNamespace(to.namespace(), "iperf3", "-s", "-1", "-B",
                to.overlay(), "-p", Integer.toString(IPERF_PORT), "--logfile", log.toString()))
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile())).start();
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            String listening = to.overlay() + ":" + IPERF_PORT;
            while (!Shell.in(to.namespace(), 10, "ss", "-H", "-n", "-l", "-t").contains(listening)) {
                if (!server.isAlive() || System.nanoTime() - deadline > 0) {
                    throw new DemoException("the iperf3 server on " + to.name() + " did not start; see " + log);
                }
                DemoResources.sleep(50);
            }
            Shell.Result client = Shell.inAllowingFailure(from.namespace(), seconds + 30, "iperf3", "-c",
                    to.overlay(), "-p", Integer.toString(IPERF_PORT), "-t", Integer.toString(seconds),
                    "-f", "m");
            Matcher m = IPERF_RECEIVER.matcher(client.output());
            return m.find() ? Double.parseDouble(m.group(1)) : 0;
        } finally {
            server.destroy();
            try {
                if (!server.waitFor(5, TimeUnit.SECONDS)) {
                    server.destroyForcibly();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                server.destroyForcibly();
            }
        }
    }
}
