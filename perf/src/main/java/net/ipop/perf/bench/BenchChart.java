package net.ipop.perf.bench;

import java.awt.Color;
import java.awt.Font;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.text.DecimalFormat;
import java.text.DecimalFormatSymbols;
import java.util.List;
import java.util.Locale;

import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.CategoryAxis;
import org.jfree.chart.axis.LogAxis;
import org.jfree.chart.axis.NumberTickUnit;
import org.jfree.chart.plot.CategoryPlot;
import org.jfree.chart.plot.CombinedDomainCategoryPlot;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.chart.renderer.category.BarRenderer;
import org.jfree.chart.renderer.category.StandardBarPainter;
import org.jfree.data.category.DefaultCategoryDataset;

/**
 * Draws the medians of a bench run as one PNG: three bar panels sharing the list of targets
 * (throughput in Gbit/s, latency in µs, VPN CPU seconds per GB), so a reader sees at a glance
 * where each VPN stands. The spread is in the markdown table beside it, not on the bars.
 *
 * <p>Runs headless (the script sets {@code java.awt.headless}); needs no display, only fonts.
 */
final class BenchChart {
    static final int WIDTH = 1000;
    static final int HEIGHT = 1100;

    private static final List<List<BenchMetric>> PANELS = List.of(
            List.of(BenchMetric.TCP1, BenchMetric.TCP4, BenchMetric.UDP),
            List.of(BenchMetric.LATENCY_P50, BenchMetric.LATENCY_P99),
            List.of(BenchMetric.CPU_PER_GB));
    /**
     * The raw link is tens of times faster than any VPN, one bad p99 dwarfs every p50, and a cold
     * JVM's CPU per GB dwarfs everyone's: every panel uses a log scale, so every target stays
     * readable. Bars grow from the panel's floor (a log axis has no zero): 1 Mbit/s, 1 µs,
     * 0.1 CPU s per GB.
     */
    private static final List<String> AXIS_LABELS = List.of("Gbit/s, log scale (higher is better)",
            "µs one way, log scale (lower is better)", "CPU s/GB, log (lower is better)");
    private static final double[] LOG_FLOOR = {0.001, 1, 0.1};
    private static final Color[] PALETTE = {
        new Color(0x1f77b4), new Color(0x4c9be8), new Color(0x9ecae9),
        new Color(0xd62728), new Color(0xff9896), new Color(0x2ca02c),
    };

    private BenchChart() {
    }

    /**
     * Writes the chart to {@code png}, creating its directory.
     *
     * @throws IOException if the file cannot be written
     */
    static void write(BenchResults results, Path png) throws IOException {
        CategoryAxis targets = new CategoryAxis(null);
        targets.setMaximumCategoryLabelLines(2);
        CombinedDomainCategoryPlot plot = new CombinedDomainCategoryPlot(targets);
        plot.setGap(16);
        int color = 0;
        for (int i = 0; i < PANELS.size(); i++) {
            // Height by the number of series, but tall enough for its axis label.
            plot.add(panel(results, PANELS.get(i), AXIS_LABELS.get(i), LOG_FLOOR[i], color),
                    Math.max(2, PANELS.get(i).size()));
            color += PANELS.get(i).size();
        }
        plot.setOrientation(PlotOrientation.VERTICAL);
        JFreeChart chart = new JFreeChart("IPOP and peer VPNs over one veth pair (medians)",
                new Font(Font.SANS_SERIF, Font.BOLD, 16), plot, true);
        chart.setBackgroundPaint(Color.WHITE);
        Path parent = png.toAbsolutePath().getParent();
        Files.createDirectories(parent);
        ChartUtils.saveChartAsPNG(png.toFile(), chart, WIDTH, HEIGHT);
    }

    /** One bar panel with a logarithmic value axis starting at {@code logFloor}. */
    private static CategoryPlot panel(BenchResults results, List<BenchMetric> metrics, String axisLabel,
                                      double logFloor, int firstColor) {
        DefaultCategoryDataset data = new DefaultCategoryDataset();
        for (BenchMetric m : metrics) {
            for (String t : results.targets()) {
                BenchResults.Summary s = results.summary(t, m.key);
                // A missing figure stays an empty bar, so every panel lists the same targets.
                data.addValue(s == null ? null : s.median(), m.label, BenchTargets.label(t));
            }
        }
        BarRenderer renderer = new BarRenderer();
        renderer.setBarPainter(new StandardBarPainter());
        renderer.setShadowVisible(false);
        renderer.setItemMargin(0.05);
        for (int i = 0; i < metrics.size(); i++) {
            renderer.setSeriesPaint(i, PALETTE[(firstColor + i) % PALETTE.length]);
        }
        LogAxis axis = new LogAxis(axisLabel);
        axis.setSmallestValue(logFloor);
        axis.setTickUnit(new NumberTickUnit(1)); // one tick per power of ten
        axis.setNumberFormatOverride(new DecimalFormat("0.###", DecimalFormatSymbols.getInstance(Locale.ROOT)));
        renderer.setBase(logFloor);
        CategoryPlot p = new CategoryPlot(data, null, axis, renderer);
        p.setBackgroundPaint(Color.WHITE);
        p.setRangeGridlinePaint(Color.LIGHT_GRAY);
        return p;
    }
}
