package net.ipop.cli.demo;

import java.util.List;
import java.util.Locale;

/** The demo's closing table: one row per pair of nodes, columns aligned for a terminal; or the same as JSON. */
final class ResultTable {
    private static final String[] HEADER = {"pair", "path", "ping", "RTT avg", "throughput"};

    private ResultTable() {
    }

    /** The table as text, lines ending in '\n'. */
    static String format(List<PairResult> results) {
        String[][] rows = new String[results.size() + 1][];
        rows[0] = HEADER;
        for (int i = 0; i < results.size(); i++) {
            PairResult r = results.get(i);
            rows[i + 1] = new String[] {
                r.from() + " -> " + r.to(),
                r.path(),
                r.pingsReceived() + "/" + r.pingsSent() + " replies",
                Double.isNaN(r.rttAvgMs()) ? "-" : String.format(Locale.ROOT, "%.2f ms", r.rttAvgMs()),
                String.format(Locale.ROOT, "%.0f Mbit/s", r.mbitPerSecond())};
        }
        int[] widths = new int[HEADER.length];
        for (String[] row : rows) {
            for (int c = 0; c < row.length; c++) {
                widths[c] = Math.max(widths[c], row[c].length());
            }
        }
        StringBuilder sb = new StringBuilder();
        for (String[] row : rows) {
            for (int c = 0; c < row.length; c++) {
                // Text left-aligned, numbers right-aligned.
                String cell = c < 2 ? pad(row[c], widths[c], false) : pad(row[c], widths[c], true);
                sb.append(c == 0 ? "  " : "   ").append(cell);
            }
            sb.append('\n');
        }
        return sb.toString().replaceAll(" +\n", "\n");
    }

    /**
     * The results as one JSON object: {@code {"ok":true,"pairs":[{"from":..,"to":..,"path":..,"pingsSent":..,
     * "pingsReceived":..,"rttAvgMs":..|null,"throughputMbitPerSecond":..}]}}. Node names and paths are the demo's
     * own ({@code a-z}, digits, spaces), so they need no escaping.
     */
    static String json(List<PairResult> results, boolean ok) {
        StringBuilder sb = new StringBuilder("{\"ok\":").append(ok).append(",\"pairs\":[");
        for (int i = 0; i < results.size(); i++) {
            PairResult r = results.get(i);
            sb.append(i == 0 ? "" : ",").append(String.format(Locale.ROOT,
                    "{\"from\":\"%s\",\"to\":\"%s\",\"path\":\"%s\",\"pingsSent\":%d,\"pingsReceived\":%d,"
                    + "\"rttAvgMs\":%s,\"throughputMbitPerSecond\":%.1f}", r.from(), r.to(), r.path(),
                    r.pingsSent(), r.pingsReceived(),
                    Double.isNaN(r.rttAvgMs()) ? "null" : String.format(Locale.ROOT, "%.3f", r.rttAvgMs()),
                    r.mbitPerSecond()));
        }
        return sb.append("]}").toString();
    }

    private static String pad(String s, int width, boolean right) {
        String fill = " ".repeat(width - s.length());
        return right ? fill + s : s + fill;
    }
}
