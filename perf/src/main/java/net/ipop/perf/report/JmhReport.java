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
                + "JDK " + Runtime.version() + ", " + Runtime.getRuntime().availableProcessors() + " CPUs\n\n"
                + table;
        MarkdownSections.replace(Path.of(args[2]), args[1], section);
    }

    /** One table row per benchmark and parameter set; gc.alloc.rate.norm joins its primary row. */
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
            if (colon < 0) {
                lines.put(k, new String[] {k, r.get(mode), fmt(r.get(score)) + " ± " + fmt(r.get(error)), r.get(unit), ""});
            } else if (bench.endsWith("gc.alloc.rate.norm") && lines.containsKey(k)) {
                lines.get(k)[4] = fmt(r.get(score));
            }
        }
        StringBuilder sb = new StringBuilder("| benchmark | mode | score | unit | alloc B/op |\n|---|---|---|---|---|\n");
        for (String[] l : lines.values()) {
            sb.append("| ").append(String.join(" | ", l)).append(" |\n");
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
