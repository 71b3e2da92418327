package net.ipop.control;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One process's footprint at one moment, from /proc: resident memory, open descriptors, threads. Cheap enough
 * to take every few seconds; the Java heap is measured separately ({@link #heapAfterFullGcKiB}: it attaches
 * {@code jcmd}, a JVM of its own).
 *
 * @param epochMs when it was taken
 * @param rssKiB {@code VmRSS}
 */
record ProcessSample(long epochMs, long rssKiB, int fds, int threads) {
    /** The serial collector's generations in {@code GC.heap_info}: "DefNew total 7488K, used 0K [...". */
    private static final Pattern USED = Pattern.compile(
            "^\\s*(?:DefNew|Tenured|def new generation|tenured generation)\\s+total\\s+\\d+K,\\s+used\\s+(\\d+)K",
            Pattern.MULTILINE);

    /** Samples {@code pid}; fails if it is gone. */
    static ProcessSample of(long pid) throws IOException {
        Path proc = Path.of("/proc", Long.toString(pid));
        long rss = -1;
        int threads = -1;
        for (String line : Files.readAllLines(proc.resolve("status"))) {
            if (line.startsWith("VmRSS:")) {
                rss = Long.parseLong(line.replaceAll("\\D", ""));
            } else if (line.startsWith("Threads:")) {
                threads = Integer.parseInt(line.replaceAll("\\D", ""));
            }
        }
        int fds;
        try (var list = Files.list(proc.resolve("fd"))) {
            fds = (int) list.count();
        }
        return new ProcessSample(System.currentTimeMillis(), rss, fds, threads);
    }

    /**
     * Runs a full GC in the JVM {@code pid} and returns the heap it still uses, KiB (the sum of the serial
     * collector's generations, as {@code jcmd GC.heap_info} prints them): what is live, the figure a leak grows.
     */
    static long heapAfterFullGcKiB(long pid) throws IOException, InterruptedException {
        String jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd").toString();
        run(List.of(jcmd, Long.toString(pid), "GC.run"));
        String info = run(List.of(jcmd, Long.toString(pid), "GC.heap_info"));
        Matcher m = USED.matcher(info);
        long used = 0;
        boolean found = false;
        while (m.find()) {
            used += Long.parseLong(m.group(1));
            found = true;
        }
        if (!found) {
            throw new AssertionError("no heap figures from jcmd " + pid + " GC.heap_info:\n" + info);
        }
        return used;
    }

    private static String run(List<String> command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError(command + " did not finish in 60 s");
        }
        String out = new String(p.getInputStream().readAllBytes());
        if (p.exitValue() != 0) {
            throw new AssertionError(command + " failed: " + out);
        }
        return out;
    }
}
