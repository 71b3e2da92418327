package net.ipop.control;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import net.ipop.ffm.testing.TestNamespace;

/**
 * An iperf3 TCP transfer over the overlay (server in one namespace, client in another) reporting every half
 * second; a daemon thread records each interval's bytes with the wall-clock time it was read, so a test can see
 * a transfer stall at a fault and move data again. Thread-safe.
 */
final class IperfProbe implements AutoCloseable {
    private static final Pattern INTERVAL = Pattern.compile(
            "\\[\\s*\\d+]\\s+([0-9.]+)-([0-9.]+)\\s+sec\\s+([0-9.]+)\\s+(\\S?)Bytes\\s+([0-9.]+)\\s+\\S*bits/sec");

    /** One interval: when it was read (epoch ms) and how many bytes it moved. */
    record Interval(long readEpochMs, double bytes) {
    }

    private final Process server;
    private final Process client;
    private final List<Interval> intervals = new ArrayList<>(); // guarded by this
    private final StringBuilder output = new StringBuilder();     // guarded by this

    private IperfProbe(Process server, Process client) {
        this.server = server;
        this.client = client;
    }

    /**
     * Starts a server on {@code serverAddress} in {@code serverNs} and a client in {@code clientNs} sending for
     * {@code seconds} at most {@code rate} (iperf3's {@code -b}, e.g. "200M"; "0" for unlimited) on one stream.
     */
    static IperfProbe start(TestNamespace serverNs, String serverAddress, TestNamespace clientNs, int seconds,
            String rate) throws Exception {
        // The previous probe's server may still be exiting: the wait for a listener below would take it for ours,
        // and the client would then find the port closed.
        long free = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (serverNs.execAllowingFailure(5, "ss", "-Hltn", "sport", "= :5201").output().contains("5201")) {
            if (System.nanoTime() - free > 0) {
                throw new AssertionError("an iperf3 server still listens on port 5201 in " + serverNs.name());
            }
            Thread.sleep(100);
        }
        Process server = serverNs.start("iperf3", "-s", "-1", "-B", serverAddress);
        Process client = null;
        try {
            // The server needs a moment to listen; iperf3 itself has no retry.
            for (int attempt = 0; attempt < 50; attempt++) {
                if (serverNs.execAllowingFailure(5, "ss", "-Hltn", "sport", "= :5201").output().contains("5201")) {
                    break;
                }
                Thread.sleep(100);
            }
            client = clientNs.start("iperf3", "-c", serverAddress, "-t", Integer.toString(seconds), "-i", "0.5",
                    "-b", rate, "--forceflush");
        } catch (Exception | Error e) {
            server.destroyForcibly();
            throw e;
        }
        IperfProbe probe = new IperfProbe(server, client);
        Thread reader = new Thread(probe::read, "iperf-probe");
        reader.setDaemon(true);
        reader.start();
        return probe;
    }

    private void read() {
        try (BufferedReader in = new BufferedReader(new InputStreamReader(client.getInputStream(),
                StandardCharsets.UTF_8))) {
            String line;
            while ((line = in.readLine()) != null) {
                Matcher m = INTERVAL.matcher(line);
                synchronized (this) {
                    output.append(line).append('\n');
                    // The summary lines span the whole run (0.00-N); intervals are half a second.
                    if (m.find() && Double.parseDouble(m.group(2)) - Double.parseDouble(m.group(1)) < 0.9) {
                        intervals.add(new Interval(System.currentTimeMillis(),
                                Double.parseDouble(m.group(3)) * scale(m.group(4))));
                    }
                }
            }
        } catch (IOException e) {
            // destroyed
        }
    }

    private static double scale(String prefix) {
        return switch (prefix) {
            case "K" -> 1e3;
            case "M" -> 1e6;
            case "G" -> 1e9;
            default -> 1;
        };
    }

    /** Waits until {@code n} intervals moved data, or fails after {@code seconds}. */
    void awaitMoving(int n, int seconds) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (moving(0) < n) {
            if (System.nanoTime() - deadline > 0 || !client.isAlive()) {
                throw new AssertionError("iperf3 did not get going:\n" + output());
            }
            Thread.sleep(50);
        }
    }

    /** Intervals read after {@code sinceEpochMs} that moved data. */
    synchronized int moving(long sinceEpochMs) {
        int n = 0;
        for (Interval i : intervals) {
            if (i.readEpochMs() > sinceEpochMs && i.bytes() > 0) {
                n++;
            }
        }
        return n;
    }

    /**
     * Waits until, after an interval read after {@code faultEpochMs}, {@code n} intervals in a row moved data;
     * returns the time from the fault to the first of them, or -1 if that did not happen within {@code boundMs}.
     */
    long awaitResumed(long faultEpochMs, int n, long boundMs) throws InterruptedException {
        while (true) {
            long resumed = resumed(faultEpochMs, n);
            if (resumed >= 0 || System.currentTimeMillis() - faultEpochMs > boundMs || !client.isAlive()) {
                return resumed;
            }
            Thread.sleep(50);
        }
    }

    private synchronized long resumed(long faultEpochMs, int n) {
        int run = 0;
        long start = -1;
        boolean stalled = false;
        for (Interval i : intervals) {
            if (i.readEpochMs() <= faultEpochMs) {
                continue;
            }
            if (i.bytes() > 0) {
                if (run++ == 0) {
                    start = i.readEpochMs();
                }
                if (run >= n) {
                    // A fault that never stalled the transfer cost it nothing.
                    return stalled ? start - faultEpochMs : 0;
                }
            } else {
                stalled = true;
                run = 0;
            }
        }
        return -1;
    }

    /** Mean throughput, bits per second, of the intervals read in {@code [fromEpochMs, toEpochMs)}. */
    synchronized double bitsPerSecond(long fromEpochMs, long toEpochMs) {
        double bytes = 0;
        int n = 0;
        for (Interval i : intervals) {
            if (i.readEpochMs() >= fromEpochMs && i.readEpochMs() < toEpochMs) {
                bytes += i.bytes();
                n++;
            }
        }
        return n == 0 ? 0 : bytes * 8 / (n * 0.5);
    }

    /** Waits for the client to finish within {@code seconds} and returns its exit code (-1 if it did not). */
    int await(int seconds) throws InterruptedException {
        return client.waitFor(seconds, TimeUnit.SECONDS) ? client.exitValue() : -1;
    }

    synchronized String output() {
        return output.toString();
    }

    @Override
    public void close() {
        client.destroyForcibly();
        server.destroyForcibly();
    }
}
