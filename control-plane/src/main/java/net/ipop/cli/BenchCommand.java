package net.ipop.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.net.InetAddress;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

import net.ipop.control.config.NodeConfig;
import net.ipop.control.config.PeerConfig;
import net.ipop.crypto.cert.IpPrefix;
import net.ipop.control.status.JsonText;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code ipop bench PEER --config FILE}: TCP throughput to a peer through the overlay (its own overlay address,
 * the first single address of its {@code allowedAddresses}) and, for comparison, over the underlay (the host of
 * its {@code endpoint}), with iperf3, one after the other. iperf3's server must run on the peer ({@code iperf3 -s},
 * which listens on every address, so one server answers both paths).
 */
@Command(name = "bench",
        description = {"Measure TCP throughput to a peer through the overlay and over the underlay with iperf3.",
            "Run 'iperf3 -s' on the peer first (it answers on both its overlay and its underlay address)."},
        footer = {"", "Exit codes: 0 measured; 1 iperf3 failed (no server on the peer, unreachable); 2 bad arguments,"
            + " a bad config file or a peer it does not name; 3 iperf3 is not installed."})
final class BenchCommand implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @CommandLine.Mixin
    HelpOption helpOption;

    @Parameters(index = "0", paramLabel = "PEER", description = "The peer's name in the config file.")
    String peer;

    @Option(names = "--config", required = true, paramLabel = "FILE", description = "This node's config file.")
    Path file;

    @Option(names = "--seconds", paramLabel = "N", defaultValue = "5",
            description = "How long each iperf3 run lasts (default ${DEFAULT-VALUE}).")
    int seconds;

    @Option(names = "--port", paramLabel = "PORT", defaultValue = "5201",
            description = "The iperf3 server's port on the peer (default ${DEFAULT-VALUE}).")
    int port;

    @Option(names = "--plot", paramLabel = "FILE.png", description = "Also draw a bar chart of the two runs.")
    Path plot;

    @Option(names = "--json", description = "Print one JSON object instead of the table.")
    boolean json;

    @Override
    public Integer call() {
        return Verbs.run(spec, () -> {
            if (seconds < 1 || seconds > 3600) {
                throw CliError.usage("--seconds " + seconds + ": use 1 to 3600");
            }
            NodeConfig config = UpCommand.parse(spec, file);
            if (config == null) {
                return IpopCommand.EXIT_USAGE;
            }
            PeerConfig p = config.peers().stream().filter(c -> c.name().equals(peer)).findFirst().orElseThrow(
                    () -> CliError.usage("no peer '" + peer + "' in " + file + "; it names "
                            + config.peers().stream().map(PeerConfig::name).toList()));
            String overlay = overlayAddress(p).getHostAddress();
            if (p.endpoint().isEmpty()) {
                throw CliError.usage("peer " + peer + " has no endpoint in " + file
                        + "; the underlay run needs its address");
            }
            String underlay = p.endpoint().get().getAddress().getHostAddress();
            Iperf.Result o;
            Iperf.Result u;
            try {
                o = Iperf.run(overlay, port, seconds);
                u = Iperf.run(underlay, port, seconds);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw CliError.failed("interrupted");
            } catch (IOException e) {
                Verbs.report(spec, "cannot run iperf3 (" + e.getMessage() + "); install it: apt-get install iperf3");
                return IpopCommand.EXIT_ENVIRONMENT;
            }
            double ratio = u.bitsPerSecond() > 0 ? o.bitsPerSecond() / u.bitsPerSecond() : 0;
            PrintWriter out = spec.commandLine().getOut();
            if (json) {
                out.println("{\"peer\":" + JsonText.write(peer) + ",\"seconds\":" + seconds + ",\"overlay\":"
                        + json(overlay, o) + ",\"underlay\":" + json(underlay, u) + ",\"ratio\":"
                        + String.format(Locale.ROOT, "%.4f", ratio) + "}");
            } else {
                out.printf(Locale.ROOT, "%-9s %-40s %8s %12s%n", "path", "target", "Gbit/s", "retransmits");
                out.printf(Locale.ROOT, "%-9s %-40s %8.2f %12d%n", "overlay", overlay, o.gbitPerSecond(),
                        o.retransmits());
                out.printf(Locale.ROOT, "%-9s %-40s %8.2f %12d%n", "underlay", underlay, u.gbitPerSecond(),
                        u.retransmits());
                out.printf(Locale.ROOT, "overlay/underlay: %.2f (%d s each, one TCP stream, iperf3 port %d)%n", ratio,
                        seconds, port);
            }
            out.flush();
            if (plot != null) {
                BarChart.write(plot, "ipop bench: " + config.name() + " to " + peer + ", " + seconds + " s",
                        "Gbit/s", List.of(
                                new BarChart.Bar("overlay " + overlay, o.gbitPerSecond(), gbit(o)),
                                new BarChart.Bar("underlay " + underlay, u.gbitPerSecond(), gbit(u))));
            }
            return 0;
        });
    }

    /** The peer's own address: its first host prefix (/32 or /128) in allowedAddresses. */
    static InetAddress overlayAddress(PeerConfig p) {
        for (IpPrefix prefix : p.allowedAddresses()) {
            if (prefix.prefixLength() == (prefix.isIpv4() ? 32 : 128)) {
                return prefix.inetAddress();
            }
        }
        throw CliError.usage("peer " + p.name() + " has no single address (/32 or /128) in allowedAddresses;"
                + " ipop bench measures to that address");
    }

    private static String gbit(Iperf.Result r) {
        return String.format(Locale.ROOT, "%.2f Gbit/s", r.gbitPerSecond());
    }

    private static String json(String target, Iperf.Result r) {
        return "{\"target\":" + JsonText.write(target) + ",\"bitsPerSecond\":" + Math.round(r.bitsPerSecond())
                + ",\"gbitPerSecond\":" + String.format(Locale.ROOT, "%.3f", r.gbitPerSecond())
                + ",\"retransmits\":" + r.retransmits() + "}";
    }
}
