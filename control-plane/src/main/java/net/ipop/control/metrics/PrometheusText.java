package net.ipop.control.metrics;

/**
 * Builds Prometheus text exposition format 0.0.4: a {@code # HELP} and {@code # TYPE} line per family, then its
 * samples, label values escaped as the format requires. Not thread-safe; one per scrape.
 */
final class PrometheusText {
    /** The Content-Type of this format. */
    static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

    private final StringBuilder text = new StringBuilder(4096);

    /** Starts a family: {@code type} is counter, gauge or histogram. */
    PrometheusText family(String name, String type, String help) {
        text.append("# HELP ").append(name).append(' ').append(help.replace("\\", "\\\\").replace("\n", "\\n"))
                .append('\n').append("# TYPE ").append(name).append(' ').append(type).append('\n');
        return this;
    }

    /** One sample; {@code labels} alternate names and values. */
    PrometheusText sample(String name, double value, String... labels) {
        text.append(name);
        if (labels.length > 0) {
            text.append('{');
            for (int i = 0; i < labels.length; i += 2) {
                if (i > 0) {
                    text.append(',');
                }
                text.append(labels[i]).append("=\"");
                escape(labels[i + 1]);
                text.append('"');
            }
            text.append('}');
        }
        text.append(' ').append(format(value)).append('\n');
        return this;
    }

    private void escape(String v) {
        for (int i = 0; i < v.length(); i++) {
            char c = v.charAt(i);
            switch (c) {
                case '\\' -> text.append("\\\\");
                case '"' -> text.append("\\\"");
                case '\n' -> text.append("\\n");
                default -> text.append(c);
            }
        }
    }

    /** Whole numbers without a fraction (counters up to 2^53 stay exact), the rest as Java prints doubles. */
    static String format(double v) {
        if (v == Double.POSITIVE_INFINITY) {
            return "+Inf";
        }
        if (v == Math.rint(v) && Math.abs(v) < 0x1p53) {
            return Long.toString((long) v);
        }
        return Double.toString(v);
    }

    @Override
    public String toString() {
        return text.toString();
    }
}
