package net.ipop.perf.report;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Turns a JMH CSV result file into a markdown section of {@code docs/performance.md}, replacing
 * what stood between {@code <!-- BEGIN name -->} and {@code <!-- END name -->}.
 *
 * <p>Why a tool: figures in the docs must come from a named run, never from a hand edit. The section
 * records the command, the JVM and the time of the run beside the table.
 *
 * <p>Usage: {@code JmhReport <results.csv> <section-name> <doc.md> <command that produced it>}
 */
public final class JmhReport {
    private JmhReport() {
    }

    public static void main(String[] args) throws IOException {
        if (args.length != 4) {
            System.err.println("usage: JmhReport <results.csv> <section-name> <doc.md> <command>");
            System.exit(2);
        }
        List<List<String>> rows = Csv.parse(Files.readString(Path.of(args[0]), StandardCharsets.UTF_8));
        String table = render(rows);
        String section = "_Command:_ `" + args[3] + "`  \n"
                + "_Run:_ " + Instant.now().toString().substring(0, 16).replace('T', ' ') + " UTC, "
                + "JDK " + Runtime.version() + ", " + Runtime.getRuntime().availableProcessors() + " CPUs"
                + loadAverage() + "\n\n"
                + table;
        MarkdownSections.replace(Path.of(args[2]), args[1], section);
    }

    /**
     * The machine's load over the last 5 and 15 minutes when the report is written, because a shared machine's
     * figures mean little without it; empty where /proc is absent.
     */
    public static String loadAverage() {
        try {
            String[] f = Files.readString(Path.of("/proc/loadavg"), StandardCharsets.US_ASCII).split(" ");
            return ", load average " + f[1] + " (5 min), " + f[2] + " (15 min)";
        } catch (IOException | ArrayIndexOutOfBoundsException e) {
            return "";
        }
    }

    /** Secondary results shown as extra columns of their primary row, in this order, when present. */
    private static final String[][] EXTRA_COLUMNS = {
        {"cpu.time.norm", "CPU ns/op"},
        {"gc.alloc.rate.norm", "alloc B/op"},
    };

    /**
     * One table row per benchmark and parameter set; known secondary results join their primary row
     * as columns; secondary results that are not a profiler's (group methods, auxiliary counters)
     * get rows of their own.
     */
    static String render(List<List<String>> rows) {
        List<String> header = rows.get(0);
        int name = header.indexOf("Benchmark");
        int mode = header.indexOf("Mode");
        int score = header.indexOf("Score");
        int error = header.indexOf("Score Error (99.9%)");
        int unit = header.indexOf("Unit");
        List<Integer> params = new ArrayList<>();
        for (int i = 0; i < header.size(); i++) {
            if (header.get(i).startsWith("Param: ")) {
                params.add(i);
            }
        }
        boolean[] present = new boolean[EXTRA_COLUMNS.length];
        Map<String, String[]> lines = new LinkedHashMap<>();
        for (List<String> r : rows.subList(1, rows.size())) {
            String bench = r.get(name);
            int colon = bench.indexOf(':');
            String base = colon < 0 ? bench : bench.substring(0, colon);
            StringBuilder key = new StringBuilder(shortName(base));
            for (int p : params) {
                if (!r.get(p).isEmpty()) {
                    key.append(' ').append(header.get(p).substring(7)).append('=').append(r.get(p));
                }
            }
            String k = key.toString();
            String secondary = colon < 0 ? "" : bench.substring(colon + 1);
            if (!secondary.isEmpty() && secondary.indexOf('.') < 0) {
                // Not a profiler's figure (those are dotted: gc.alloc.rate.norm) but one method of a
                // @Group or an @AuxCounters field (handoff:delivered): a row of its own.
                k = shortName(base) + ":" + secondary + k.substring(shortName(base).length());
            }
            if (colon < 0 || secondary.indexOf('.') < 0) {
                String[] line = new String[4 + EXTRA_COLUMNS.length];
                java.util.Arrays.fill(line, "");
                line[0] = k;
                line[1] = r.get(mode);
                line[2] = fmt(r.get(score)) + " ± " + fmt(r.get(error));
                line[3] = r.get(unit);
                lines.put(k, line);
                continue;
            }
            for (int c = 0; c < EXTRA_COLUMNS.length; c++) {
                if (bench.endsWith(EXTRA_COLUMNS[c][0]) && lines.containsKey(k)) {
                    lines.get(k)[4 + c] = fmt(r.get(score));
                    present[c] = true;
                }
            }
        }
        StringBuilder head = new StringBuilder("| benchmark | mode | score | unit |");
        StringBuilder rule = new StringBuilder("|---|---|---|---|");
        for (int c = 0; c < EXTRA_COLUMNS.length; c++) {
            if (present[c]) {
                head.append(' ').append(EXTRA_COLUMNS[c][1]).append(" |");
                rule.append("---|");
            }
        }
        StringBuilder sb = new StringBuilder().append(head).append('\n').append(rule).append('\n');
        for (String[] l : lines.values()) {
            sb.append("| ").append(l[0]).append(" | ").append(l[1]).append(" | ").append(l[2]).append(" | ").append(l[3]).append(" |");
            for (int c = 0; c < EXTRA_COLUMNS.length; c++) {
                if (present[c]) {
                    sb.append(' ').append(l[4 + c]).append(" |");
                }
            }
            sb.append('\n');
        }
        return sb.toString();
    }

    private static String shortName(String fqcn) {
        String[] parts = fqcn.split("\\.");
        return parts.length < 2 ? fqcn : parts[parts.length - 2] + "." + parts[parts.length - 1];
    }

    private static String fmt(String number) {
        if (number.isEmpty() || number.equals("NaN")) {
            return "–";
        }
        double d = Double.parseDouble(number);
        return Math.abs(d) >= 100 ? String.format(Locale.ROOT, "%,.0f", d) : String.format(Locale.ROOT, "%.3f", d);
    }
}
