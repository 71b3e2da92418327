package net.ipop.perf.bench;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * The raw figures of one {@code perf/bench.sh} run, as the script wrote them: a TSV with the
 * header {@code round target metric value} and one line per measurement. A measurement that failed
 * has no line, so targets and metrics may have fewer values than there were rounds.
 */
final class BenchResults {
    private final Map<String, Map<String, List<Double>>> values = new LinkedHashMap<>();
    private final TreeSet<String> rounds = new TreeSet<>();

    private BenchResults() {
    }

    /**
     * @throws IllegalArgumentException naming the line when a line does not have four fields or
     *                                  its value is not a finite number
     */
    static BenchResults parse(String tsv) {
        BenchResults r = new BenchResults();
        String[] lines = tsv.split("\r?\n");
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i];
            if (line.isBlank() || (i == 0 && line.startsWith("round\t"))) {
                continue;
            }
            String[] f = line.split("\t");
            if (f.length != 4) {
                throw new IllegalArgumentException("line " + (i + 1) + ": expected round, target, metric, value: " + line);
            }
            double v;
            try {
                v = Double.parseDouble(f[3]);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("line " + (i + 1) + ": not a number: " + f[3], e);
            }
            if (!Double.isFinite(v)) {
                throw new IllegalArgumentException("line " + (i + 1) + ": not a finite number: " + f[3]);
            }
            r.rounds.add(f[0]);
            r.values.computeIfAbsent(f[1], t -> new LinkedHashMap<>())
                    .computeIfAbsent(f[2], m -> new ArrayList<>()).add(v);
        }
        return r;
    }

    /** The targets, in the order of their first line (the order the script measured them). */
    List<String> targets() {
        return List.copyOf(values.keySet());
    }

    /**
     * The peer VPN (see {@link BenchTargets#isPeer}) with the best median of {@code metric}, or
     * {@code null} when no peer has that figure. Ties go to the one measured first.
     */
    String bestPeer(BenchMetric metric) {
        String best = null;
        double bestMedian = 0;
        for (String t : values.keySet()) {
            Summary s = BenchTargets.isPeer(t) ? summary(t, metric.key) : null;
            if (s != null && (best == null || metric.better(s.median(), bestMedian))) {
                best = t;
                bestMedian = s.median();
            }
        }
        return best;
    }

    /** How many distinct rounds the file holds. */
    int rounds() {
        return rounds.size();
    }

    /** Median and spread of one metric of one target, or {@code null} when it was never measured. */
    Summary summary(String target, String metric) {
        List<Double> v = values.getOrDefault(target, Map.of()).get(metric);
        if (v == null || v.isEmpty()) {
            return null;
        }
        double[] a = new double[v.size()];
        for (int i = 0; i < a.length; i++) {
            a[i] = v.get(i);
        }
        return Summary.of(a);
    }

    /**
     * @param median the middle value (the mean of the two middle values for an even count)
     * @param n      how many values
     */
    record Summary(double median, double min, double max, int n) {
        static Summary of(double[] values) {
            double[] s = values.clone();
            Arrays.sort(s);
            int n = s.length;
            double median = n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
            return new Summary(median, s[0], s[n - 1], n);
        }
    }
}
