package net.ipop.perf.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Locale;

import net.ipop.perf.report.MarkdownSections;

/**
 * Renders the results of {@code perf/bench.sh} (see {@link BenchResults}) as a markdown table:
 * per metric the median and min–max of every target, and the overlay's ratios to the raw veth
 * pair and to wireguard-go, then the mission's goals checked against those medians. Prints it, and
 * with a section name also replaces that section of the given markdown file.
 *
 * <p>Ratios are ratios of medians of the same interleaved run, never figures from different runs.
 *
 * <p>Usage: {@code BenchReport <results.tsv> <command> <conditions> [<doc.md> <section>]}, where
 * {@code conditions} is what the script knows of the machine (kernel, load average), shown as is.
 */
public final class BenchReport {
    static final String RAW = "raw";
    static final String IPOP = "ipop";
    static final String WIREGUARD = "wireguard-go";

    /** Goals from docs/mission.md ("How fast"). */
    static final double GOAL_OF_RAW = 1.0 / 3;
    static final double GOAL_OVER_WIREGUARD = 5;

    /** A table row: the metric's key in the TSV, its label, its number format, whether a ratio means anything. */
    private record Metric(String key, String label, String format, boolean ratio) {
    }

    private static final Metric[] METRICS = {
        new Metric("tcp1", "TCP, 1 stream (Gbit/s)", "%.2f", true),
        new Metric("tcp4", "TCP, 4 streams (Gbit/s)", "%.2f", true),
        new Metric("udp", "UDP 1400 B, received (Gbit/s)", "%.2f", true),
        new Metric("udp_loss", "UDP 1400 B, lost (%)", "%.1f", false),
        new Metric("lat_p50", "latency p50 (µs, one way)", "%.1f", true),
        new Metric("lat_p99", "latency p99 (µs, one way)", "%.1f", true),
    };

    private BenchReport() {
    }

    public static void main(String[] args) throws IOException {
        if (args.length != 3 && args.length != 5) {
            System.err.println("usage: BenchReport <results.tsv> <command> <conditions> [<doc.md> <section>]");
            System.exit(2);
        }
        BenchResults results = BenchResults.parse(Files.readString(Path.of(args[0]), StandardCharsets.UTF_8));
        String body = "_Command:_ `" + args[1] + "`  \n"
                + "_Run:_ " + Instant.now().toString().substring(0, 16).replace('T', ' ') + " UTC, "
                + "JDK " + Runtime.version() + ", " + Runtime.getRuntime().availableProcessors() + " CPUs, "
                + results.rounds() + " rounds, " + args[2] + "\n\n"
                + render(results);
        System.out.println(body);
        if (args.length == 5 && !args[3].isEmpty() && !args[4].isEmpty()) {
            MarkdownSections.replace(Path.of(args[3]), args[4], body);
            System.out.println("Updated section '" + args[4] + "' of " + args[3]);
        }
    }

    /** The table and the goal lines. */
    static String render(BenchResults r) {
        StringBuilder sb = new StringBuilder()
                .append("| metric | raw veth | IPOP | wireguard-go | IPOP / raw | IPOP / wireguard-go |\n")
                .append("|---|---|---|---|---|---|\n");
        for (Metric m : METRICS) {
            BenchResults.Summary raw = r.summary(RAW, m.key());
            BenchResults.Summary ipop = r.summary(IPOP, m.key());
            BenchResults.Summary wg = r.summary(WIREGUARD, m.key());
            sb.append("| ").append(m.label())
                    .append(" | ").append(cell(raw, m.format()))
                    .append(" | ").append(cell(ipop, m.format()))
                    .append(" | ").append(cell(wg, m.format()))
                    .append(" | ").append(m.ratio() ? ratio(ipop, raw) : "–")
                    .append(" | ").append(m.ratio() ? ratio(ipop, wg) : "–")
                    .append(" |\n");
        }
        sb.append("\nCells: median (min–max) over the rounds. Goals (docs/mission.md), on the medians:\n");
        BenchResults.Summary rawTcp = r.summary(RAW, "tcp1");
        BenchResults.Summary ipopTcp = r.summary(IPOP, "tcp1");
        BenchResults.Summary wgTcp = r.summary(WIREGUARD, "tcp1");
        goal(sb, "single-stream TCP over IPOP at least 1/3 of raw veth", ipopTcp, rawTcp,
                ipopTcp != null && rawTcp != null && ipopTcp.median() >= GOAL_OF_RAW * rawTcp.median());
        goal(sb, "single-stream TCP over IPOP at least 5x wireguard-go", ipopTcp, wgTcp,
                ipopTcp != null && wgTcp != null && ipopTcp.median() >= GOAL_OVER_WIREGUARD * wgTcp.median());
        BenchResults.Summary ipopLat = r.summary(IPOP, "lat_p50");
        BenchResults.Summary wgLat = r.summary(WIREGUARD, "lat_p50");
        goal(sb, "latency p50 over IPOP at or below wireguard-go", ipopLat, wgLat,
                ipopLat != null && wgLat != null && ipopLat.median() <= wgLat.median());
        return sb.toString();
    }

    private static void goal(StringBuilder sb, String what, BenchResults.Summary ours, BenchResults.Summary other,
                             boolean met) {
        sb.append("- ").append(what).append(": ")
                .append(ours == null || other == null ? "not measured" : (met ? "**met**" : "**not met**")
                        + " (" + ratio(ours, other) + ")")
                .append('\n');
    }

    private static String cell(BenchResults.Summary s, String format) {
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

    private static String ratio(BenchResults.Summary ours, BenchResults.Summary other) {
        if (ours == null || other == null || other.median() == 0) {
            return "–";
        }
        return String.format(Locale.ROOT, "%.2fx", ours.median() / other.median());
    }
}
