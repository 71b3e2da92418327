package net.ipop.perf.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import net.ipop.perf.report.JmhReport;
import net.ipop.perf.report.MarkdownSections;

/**
 * Renders the results of {@code perf/bench.sh} (see {@link BenchResults}) as markdown: per metric
 * the median and min–max of every target; the ratios of every target's medians to the raw veth
 * pair's; IPOP's ratios to the best peer VPN of each metric; then the mission's goals checked
 * against those medians. Draws the chart ({@link BenchChart}), prints the markdown, and with a
 * section name also replaces that section of the given markdown file.
 *
 * <p>Ratios are ratios of medians of the same interleaved run, never figures from different runs.
 *
 * <p>Usage: {@code BenchReport <results.tsv> <command> <conditions> <chart.png> [<doc.md> <section>]},
 * where {@code conditions} is what the script knows of the machine (kernel, load average), shown
 * as is.
 */
public final class BenchReport {
    /** Goals from docs/mission.md ("How fast"). */
    static final double GOAL_OF_RAW = 1.0 / 3;
    static final double GOAL_OVER_WIREGUARD = 5;

    private BenchReport() {
    }

    public static void main(String[] args) throws IOException {
        if (args.length != 4 && args.length != 6) {
            System.err.println("usage: BenchReport <results.tsv> <command> <conditions> <chart.png> [<doc.md> <section>]");
            System.exit(2);
        }
        BenchResults results = BenchResults.parse(Files.readString(Path.of(args[0]), StandardCharsets.UTF_8));
        Path chart = Path.of(args[3]);
        BenchChart.write(results, chart);
        boolean toDoc = args.length == 6 && !args[4].isEmpty() && !args[5].isEmpty();
        Path doc = toDoc ? Path.of(args[4]) : null;
        String link = doc == null ? chart.toString() : linkFrom(doc, chart);
        String body = "_Command:_ `" + args[1] + "`  \n"
                + "_Run:_ " + Instant.now().toString().substring(0, 16).replace('T', ' ') + " UTC, "
                + "JDK " + Runtime.version() + ", " + Runtime.getRuntime().availableProcessors() + " CPUs, "
                + results.rounds() + " rounds, " + args[2]
                + JmhReport.loadAverage() + "\n\n"
                + "![Medians of the run: throughput, latency and CPU per GB of every target](" + link + ")\n\n"
                + render(results);
        System.out.println(body);
        System.out.println("Chart: " + chart);
        if (doc != null) {
            MarkdownSections.replace(doc, args[5], body);
            System.out.println("Updated section '" + args[5] + "' of " + doc);
        }
    }

    /** The chart's path as a markdown link from the document's directory. */
    static String linkFrom(Path doc, Path chart) {
        Path base = doc.toAbsolutePath().getParent();
        return base.relativize(chart.toAbsolutePath()).toString().replace('\\', '/');
    }

    /** The tables and the goal lines. */
    static String render(BenchResults r) {
        List<String> targets = r.targets();
        StringBuilder sb = new StringBuilder();
        figures(sb, r, targets);
        againstRaw(sb, r, targets);
        againstBestPeer(sb, r, targets);
        goals(sb, r);
        return sb.toString();
    }

    private static void figures(StringBuilder sb, BenchResults r, List<String> targets) {
        header(sb, "metric", targets.stream().map(BenchTargets::label).toList());
        for (BenchMetric m : BenchMetric.values()) {
            sb.append("| ").append(m.label);
            for (String t : targets) {
                sb.append(" | ").append(cell(r.summary(t, m.key), m.format));
            }
            sb.append(" |\n");
        }
        sb.append("\nCells: median (min–max) over the rounds; – where not measured (the raw link has no"
                + " VPN process). Ratios below are ratios of these medians.\n\n");
    }

    private static void againstRaw(StringBuilder sb, BenchResults r, List<String> targets) {
        List<String> others = targets.stream().filter(t -> !t.equals(BenchTargets.RAW)).toList();
        if (!targets.contains(BenchTargets.RAW) || others.isEmpty()) {
            return;
        }
        sb.append("Against the raw veth pair (target / raw):\n\n");
        header(sb, "metric", others.stream().map(BenchTargets::label).toList());
        for (BenchMetric m : BenchMetric.values()) {
            BenchResults.Summary raw = r.summary(BenchTargets.RAW, m.key);
            if (!m.ratio || raw == null) {
                continue;
            }
            sb.append("| ").append(m.label);
            for (String t : others) {
                sb.append(" | ").append(ratio(r.summary(t, m.key), raw));
            }
            sb.append(" |\n");
        }
        sb.append('\n');
    }

    private static void againstBestPeer(StringBuilder sb, BenchResults r, List<String> targets) {
        List<String> ours = targets.stream().filter(BenchTargets::isOurs).toList();
        if (ours.isEmpty() || targets.stream().noneMatch(BenchTargets::isPeer)) {
            return;
        }
        sb.append("IPOP against the best peer VPN of each metric (IPOP / best peer):\n\n");
        List<String> columns = new ArrayList<>();
        columns.add("best peer (median)");
        ours.forEach(t -> columns.add(BenchTargets.label(t)));
        header(sb, "metric", columns);
        for (BenchMetric m : BenchMetric.values()) {
            String best = r.bestPeer(m);
            if (!m.ratio || best == null) {
                continue;
            }
            BenchResults.Summary bestSummary = r.summary(best, m.key);
            sb.append("| ").append(m.label).append(" | ").append(BenchTargets.label(best)).append(" (")
                    .append(String.format(Locale.ROOT, m.format, bestSummary.median())).append(')');
            for (String t : ours) {
                sb.append(" | ").append(ratio(r.summary(t, m.key), bestSummary));
            }
            sb.append(" |\n");
        }
        sb.append('\n');
    }

    private static void goals(StringBuilder sb, BenchResults r) {
        sb.append("Goals (docs/mission.md), on the medians of ").append(BenchTargets.label(BenchTargets.IPOP))
                .append(":\n");
        BenchResults.Summary rawTcp = r.summary(BenchTargets.RAW, BenchMetric.TCP1.key);
        BenchResults.Summary ipopTcp = r.summary(BenchTargets.IPOP, BenchMetric.TCP1.key);
        BenchResults.Summary wgTcp = r.summary(BenchTargets.WIREGUARD, BenchMetric.TCP1.key);
        goal(sb, "single-stream TCP over IPOP at least 1/3 of raw veth", ipopTcp, rawTcp,
                ipopTcp != null && rawTcp != null && ipopTcp.median() >= GOAL_OF_RAW * rawTcp.median());
        goal(sb, "single-stream TCP over IPOP at least 5x wireguard-go", ipopTcp, wgTcp,
                ipopTcp != null && wgTcp != null && ipopTcp.median() >= GOAL_OVER_WIREGUARD * wgTcp.median());
        BenchResults.Summary ipopLat = r.summary(BenchTargets.IPOP, BenchMetric.LATENCY_P50.key);
        BenchResults.Summary wgLat = r.summary(BenchTargets.WIREGUARD, BenchMetric.LATENCY_P50.key);
        goal(sb, "latency p50 over IPOP at or below wireguard-go", ipopLat, wgLat,
                ipopLat != null && wgLat != null && ipopLat.median() <= wgLat.median());
    }

    private static void header(StringBuilder sb, String first, List<String> columns) {
        sb.append("| ").append(first);
        columns.forEach(c -> sb.append(" | ").append(c));
        sb.append(" |\n|---");
        columns.forEach(c -> sb.append("|---"));
        sb.append("|\n");
    }

    private static void goal(StringBuilder sb, String what, BenchResults.Summary ours, BenchResults.Summary other,
                             boolean met) {
        sb.append("- ").append(what).append(": ")
                .append(ours == null || other == null ? "not measured" : (met ? "**met**" : "**not met**")
                        + " (" + ratio(ours, other) + ")")
                .append('\n');
    }

    static String cell(BenchResults.Summary s, String format) {
        if (s == null) {
            return "–";
        }
        String median = String.format(Locale.ROOT, format, s.median());
        if (s.n() == 1) {
            return median;
        }
        return median + " (" + String.format(Locale.ROOT, format, s.min()) + "–"
                + String.format(Locale.ROOT, format, s.max()) + ")";
    }

    static String ratio(BenchResults.Summary ours, BenchResults.Summary other) {
        if (ours == null || other == null || other.median() == 0) {
            return "–";
        }
        return String.format(Locale.ROOT, "%.2fx", ours.median() / other.median());
    }
}
