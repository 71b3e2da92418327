package net.ipop.cli;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Runs an {@code iperf3} client (one TCP stream, {@code -J}) and reads its JSON summary. iperf3's own server must
 * be running at the target ({@code iperf3 -s}); this class never starts one. Blocking; one call at a time.
 */
final class Iperf {
    /** What one run measured: received goodput and the sender's TCP retransmissions. */
    record Result(double bitsPerSecond, long retransmits) {
        double gbitPerSecond() {
            return bitsPerSecond / 1e9;
        }
    }

    private static final Pattern SUM_SENT = Pattern.compile("\"sum_sent\"\\s*:\\s*\\{([^}]*)}");
    private static final Pattern SUM_RECEIVED = Pattern.compile("\"sum_received\"\\s*:\\s*\\{([^}]*)}");
    private static final Pattern BITS = Pattern.compile("\"bits_per_second\"\\s*:\\s*([0-9.eE+-]+)");
    private static final Pattern RETRANSMITS = Pattern.compile("\"retransmits\"\\s*:\\s*(\\d+)");
    private static final Pattern ERROR = Pattern.compile("\"error\"\\s*:\\s*\"((?:[^\"\\\\]|\\\\.)*)\"");

    /** What iperf3 says when its server is still in another test. */
    static final String BUSY = "the server is busy";
    static final int BUSY_ATTEMPTS = 10;

    private Iperf() {
    }

    /**
     * Runs {@code iperf3 -c host -p port -t seconds -J} and returns its summary.
     *
     * @throws CliError (failed) with iperf3's own error and a hint when it cannot connect or measure
     * @throws IOException if iperf3 cannot be started (not installed)
     */
    static Result run(String host, int port, int seconds) throws IOException, InterruptedException {
        // iperf3's server serves one test at a time and takes a moment to accept the next after a client ends.
        for (int attempt = 1; ; attempt++) {
            try {
                return runOnce(host, port, seconds);
            } catch (CliError e) {
                if (!e.getMessage().contains(BUSY) || attempt == BUSY_ATTEMPTS) {
                    throw e;
                }
                Thread.sleep(1000);
            }
        }
    }

    private static Result runOnce(String host, int port, int seconds) throws IOException, InterruptedException {
        List<String> command = List.of("iperf3", "-c", host, "-p", Integer.toString(port), "-t",
                Integer.toString(seconds), "-J", "--connect-timeout", "3000");
        Process p = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
        String out;
        try (InputStream in = p.getInputStream()) {
            out = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        if (!p.waitFor(seconds + 20L, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw CliError.failed("iperf3 to " + host + " did not finish within " + (seconds + 20) + " s");
        }
        return parse(out, host, port);
    }

    /** Reads iperf3's {@code -J} output; see {@link #run}. */
    static Result parse(String json, String host, int port) {
        Matcher error = ERROR.matcher(json);
        if (error.find()) {
            throw CliError.failed("iperf3 to " + host + " port " + port + ": " + error.group(1).replace("\\\"", "\"")
                    + "; is iperf3 -s running there (and reachable on this path)?");
        }
        Matcher sent = SUM_SENT.matcher(json);
        Matcher received = SUM_RECEIVED.matcher(json);
        if (!sent.find() || !received.find()) {
            throw CliError.failed("iperf3 to " + host + " gave no summary: "
                    + json.substring(0, Math.min(json.length(), 200)).strip());
        }
        Matcher bits = BITS.matcher(received.group(1));
        Matcher retransmits = RETRANSMITS.matcher(sent.group(1));
        if (!bits.find()) {
            throw CliError.failed("iperf3 to " + host + ": no bits_per_second in its summary");
        }
        return new Result(Double.parseDouble(bits.group(1)), retransmits.find() ? Long.parseLong(retransmits.group(1))
                : 0);
    }
}
