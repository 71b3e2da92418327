package net.ipop.control;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import net.ipop.ffm.testing.TestNamespace;

/**
 * {@code ping -D -i 0.01} over the overlay, one process per measured fault: every reply is recorded with its
 * sequence number and the wall-clock time ping printed for it, so a fault's loss is counted by sequence number
 * and its recovery is timed from the fault to the first reply after the last lost request. Thread-safe: a
 * daemon thread reads ping's output.
 */
final class PingProbe implements AutoCloseable {
    /** Interval between echo requests. */
    static final int INTERVAL_MS = 10;
    private static final Pattern REPLY = Pattern.compile("^\\[(\\d+)\\.(\\d+)] .*icmp_seq=(\\d+) ");

    private final Process ping;
    private final TreeMap<Integer, Long> replies = new TreeMap<>(); // seq -> epoch ms; guarded by this
    private final StringBuilder tail = new StringBuilder();         // guarded by this

    private PingProbe(Process ping) {
        this.ping = ping;
    }

    /** Starts pinging {@code target} from {@code ns} every {@link #INTERVAL_MS}. */
    static PingProbe start(TestNamespace ns, String target) throws IOException {
        return start(ns, target, "0.01");
    }

    /** Starts pinging {@code target} from {@code ns} every {@code intervalSeconds} (ping's {@code -i}). */
    static PingProbe start(TestNamespace ns, String target, String intervalSeconds) throws IOException {
        PingProbe probe = new PingProbe(ns.start("ping", "-D", "-n", "-i", intervalSeconds, "-W", "1", target));
        Thread reader = new Thread(probe::read, "ping-probe");
        reader.setDaemon(true);
        reader.start();
        return probe;
    }

    private void read() {
        try (BufferedReader in = new BufferedReader(new InputStreamReader(ping.getInputStream(),
                StandardCharsets.UTF_8))) {
            String line;
            while ((line = in.readLine()) != null) {
                Matcher m = REPLY.matcher(line);
                synchronized (this) {
                    if (m.find()) {
                        long micros = Long.parseLong((m.group(2) + "000000").substring(0, 6));
                        replies.put(Integer.parseInt(m.group(3)), Long.parseLong(m.group(1)) * 1000 + micros / 1000);
                    } else if (tail.length() < 4000) {
                        tail.append(line).append('\n');
                    }
                }
            }
        } catch (IOException e) {
            // the process was destroyed
        }
    }

    /** Replies received so far. */
    synchronized int replies() {
        return replies.size();
    }

    /** Waits until {@code n} replies have come, or fails after {@code seconds}. */
    void awaitReplies(int n, int seconds) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (replies() < n) {
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("ping: " + replies() + " replies in " + seconds + " s\n" + output());
            }
            Thread.sleep(20);
        }
    }

    /**
     * Waits until the replies of requests sent after {@code faultEpochMs} have run unbroken for {@code
     * stableReplies} in a row; returns false if that did not happen within {@code boundMs} of the fault.
     */
    boolean awaitRecovery(long faultEpochMs, int stableReplies, long boundMs) throws InterruptedException {
        while (System.currentTimeMillis() - faultEpochMs < boundMs) {
            if (recovered(faultEpochMs, stableReplies)) {
                return true;
            }
            Thread.sleep(50);
        }
        return recovered(faultEpochMs, stableReplies);
    }

    private synchronized boolean recovered(long faultEpochMs, int stableReplies) {
        if (replies.isEmpty()) {
            return false;
        }
        int run = 0;
        int previous = -1;
        for (var e : replies.descendingMap().entrySet()) {
            if (e.getValue() < faultEpochMs || (previous >= 0 && e.getKey() != previous - 1)) {
                break;
            }
            previous = e.getKey();
            if (++run >= stableReplies) {
                return true;
            }
        }
        return false;
    }

    /**
     * What a fault at {@code faultEpochMs} cost: requests lost (sequence numbers between the first and the last
     * reply that never got one) and the time from the fault to the first reply after the last lost request (0
     * when nothing was lost).
     */
    synchronized Outcome outcome(long faultEpochMs) {
        if (replies.isEmpty()) {
            return new Outcome(0, 0, -1);
        }
        int first = replies.firstKey();
        int last = replies.lastKey();
        int lost = 0;
        int lastLost = -1;
        for (int seq = first; seq <= last; seq++) {
            if (!replies.containsKey(seq)) {
                lost++;
                lastLost = seq;
            }
        }
        long recoveryMs = 0;
        if (lastLost >= 0) {
            Integer next = replies.higherKey(lastLost);
            recoveryMs = next == null ? -1 : Math.max(0, replies.get(next) - faultEpochMs);
        }
        return new Outcome(last - first + 1, lost, recoveryMs);
    }

    /**
     * Requests between the first and the last reply that got none and were sent at or after {@code epochMs}. A
     * request's send time is estimated as {@code seq * intervalMs} after the origin that the fastest reply gives
     * (ping sends on a fixed schedule; replies come late, never early).
     */
    synchronized int lostSentAtOrAfter(long epochMs, int intervalMs) {
        if (replies.isEmpty()) {
            return 0;
        }
        long origin = Long.MAX_VALUE;
        for (var e : replies.entrySet()) {
            origin = Math.min(origin, e.getValue() - (long) e.getKey() * intervalMs);
        }
        int lost = 0;
        for (int seq = replies.firstKey(); seq <= replies.lastKey(); seq++) {
            if (!replies.containsKey(seq) && origin + (long) seq * intervalMs >= epochMs) {
                lost++;
            }
        }
        return lost;
    }

    /** A fault's cost: requests between the first and last reply, how many got none, the recovery time. */
    record Outcome(int requests, int lost, long recoveryMs) {
    }

    synchronized String output() {
        return tail.toString();
    }

    @Override
    public void close() {
        ping.destroyForcibly();
    }

    /** Replies recorded, oldest first, as {@code seq@epochMs}; for failure messages. */
    synchronized List<String> sample(int n) {
        List<String> out = new ArrayList<>();
        for (var e : replies.descendingMap().entrySet()) {
            if (out.size() == n) {
                break;
            }
            out.addFirst(e.getKey() + "@" + e.getValue());
        }
        return out;
    }
}
