package net.ipop.cli;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import net.ipop.control.status.JsonText;
import net.ipop.crypto.cert.IpPrefix;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code ipop ping PEER}: pings a peer by name across the overlay. The node (through its status socket) says
 * which overlay address the peer has and which interface the overlay is; the system {@code ping} then sends
 * from that interface, so the echo crosses the tunnel or fails.
 */
@Command(name = "ping",
        description = {"Ping a peer by its name across the overlay and show the round-trip times.",
            "Resolves the name to the peer's overlay address through the running node, then runs the system ping"
                + " bound to the overlay interface."},
        footer = {"", "Exit codes: 0 at least one reply; 1 no reply; 2 bad arguments, or no such peer; 3 the node"
            + " is not running, or there is no ping command."})
final class PingCommand implements Callable<Integer> {
    static final int MAX_COUNT = 1000;
    /** Seconds the system ping waits for each reply. */
    static final int REPLY_WAIT_S = 2;
    private static final Pattern REPLY = Pattern.compile("icmp_seq=(\\d+).*time=([0-9.]+) ms");

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @CommandLine.Mixin
    HelpOption helpOption;

    @CommandLine.Mixin
    NodeOptions node;

    @Parameters(paramLabel = "PEER", description = "The peer's name, as ipop peers lists it.")
    String peer;

    @Option(names = "-c", paramLabel = "N", defaultValue = "3",
            description = "Echo requests to send, 1 to " + MAX_COUNT + " (default ${DEFAULT-VALUE}), one a second.")
    int count;

    @Option(names = "--json", description = "Print one JSON object: peer, address, sent, received, rttMs[].")
    boolean json;

    @Override
    public Integer call() {
        return Verbs.run(spec, () -> {
            if (count < 1 || count > MAX_COUNT) {
                throw CliError.usage("-c " + count + ": the count must be 1 to " + MAX_COUNT);
            }
            Map<String, Object> doc = node.status(spec);
            String iface = String.valueOf(StatusTable.map(doc.get("node")).get("interface"));
            String address = address(iface, doc);
            PrintWriter out = spec.commandLine().getOut();
            if (!json) {
                out.println("ping " + peer + " (" + address + ") over " + iface + ", " + count
                        + (count == 1 ? " request" : " requests"));
                out.flush();
            }
            List<Double> rtts = ping(iface, address, out);
            if (json) {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("peer", peer);
                m.put("address", address);
                m.put("interface", iface);
                m.put("sent", count);
                m.put("received", rtts.size());
                m.put("rttMs", rtts);
                out.println(JsonText.write(m));
            } else {
                StringBuilder sb = new StringBuilder(String.format(Locale.ROOT, "%s: %d sent, %d received",
                        peer, count, rtts.size()));
                if (!rtts.isEmpty()) {
                    double min = Double.MAX_VALUE;
                    double max = 0;
                    double sum = 0;
                    for (double r : rtts) {
                        min = Math.min(min, r);
                        max = Math.max(max, r);
                        sum += r;
                    }
                    sb.append(String.format(Locale.ROOT, ", rtt min/avg/max %.3f/%.3f/%.3f ms", min,
                            sum / rtts.size(), max));
                }
                out.println(sb);
            }
            out.flush();
            if (rtts.isEmpty()) {
                Verbs.report(spec, "no reply from " + peer + " (" + address + "); ipop status shows its last"
                        + " handshake and ipop stats its drops");
                return IpopCommand.EXIT_FAILED;
            }
            return 0;
        });
    }

    /** The peer's host address: its first allowed address that is a single host (a /32 or /128). */
    private String address(String iface, Map<String, Object> doc) {
        List<String> names = new ArrayList<>();
        for (Map<String, Object> p : StatusTable.peers(doc)) {
            String name = String.valueOf(p.get("name"));
            names.add(name);
            if (!name.equals(peer)) {
                continue;
            }
            for (String a : StatusTable.strings(p.get("allowedAddresses"))) {
                IpPrefix prefix = IpPrefix.parse(a);
                if (prefix.prefixLength() == prefix.address().length * 8) {
                    // The prefix's own text (RFC 5952 for IPv6: 2001:db8::2), not getHostAddress's 2001:db8:0:0:...
                    String text = prefix.toString();
                    return text.substring(0, text.indexOf('/'));
                }
            }
            throw CliError.failed(peer + " has no single overlay address (its allowed addresses are "
                    + String.join(", ", StatusTable.strings(p.get("allowedAddresses")))
                    + "); ping a host in them with the system ping -I " + iface);
        }
        throw CliError.usage("no peer named " + peer + " on " + iface + "; its peers: "
                + (names.isEmpty() ? "none" : String.join(", ", names)));
    }

    /** Runs the system ping, echoing each reply; returns the RTTs in ms. */
    private List<Double> ping(String iface, String address, PrintWriter out) throws IOException {
        List<String> command = List.of("ping", "-n", "-c", Integer.toString(count), "-W",
                Integer.toString(REPLY_WAIT_S), "-I", iface, address);
        Process p;
        try {
            p = new ProcessBuilder(command).redirectErrorStream(true).start();
        } catch (IOException e) {
            throw new CliError(IpopCommand.EXIT_ENVIRONMENT, "cannot run the system ping (" + e.getMessage()
                    + "); install it: apt-get install iputils-ping");
        }
        List<Double> rtts = new ArrayList<>();
        StringBuilder other = new StringBuilder();
        try (BufferedReader in = new BufferedReader(new InputStreamReader(p.getInputStream(),
                StandardCharsets.UTF_8))) {
            for (String line = in.readLine(); line != null; line = in.readLine()) {
                Matcher m = REPLY.matcher(line);
                if (m.find()) {
                    double ms = Double.parseDouble(m.group(2));
                    rtts.add(ms);
                    if (!json) {
                        out.println(String.format(Locale.ROOT, "reply from %s (%s): seq %s time %.3f ms", peer,
                                address, m.group(1), ms));
                        out.flush();
                    }
                } else if (line.startsWith("ping:")) {
                    other.append(line).append('\n');
                }
            }
        }
        try {
            p.waitFor();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            p.destroy();
        }
        if (!other.isEmpty()) {
            // The system ping's own complaint (e.g. an interface that went away) says more than "no reply".
            spec.commandLine().getErr().print(other);
        }
        return rtts;
    }
}
