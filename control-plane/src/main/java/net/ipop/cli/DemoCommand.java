package net.ipop.cli;

import java.util.concurrent.Callable;

import net.ipop.cli.demo.Demo;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code ipop demo}: a three-node overlay across two NATs on this machine, measured, then removed. */
@Command(name = "demo",
        description = {"Build an overlay of three nodes on this machine and measure it: two sites behind NATs and"
            + " an internet (with Prosody and coturn) in network namespaces, a node in each; then ping and iperf3"
            + " across the overlay and print a table of throughput, RTT and path per pair.",
            "Everything it creates is removed at the end, on error and on Ctrl-C. Needs root; installs missing"
            + " Debian packages (iperf3, nftables, prosody, coturn, ...)."},
        footer = {"", "Exit codes: 0 every pair answered and carried traffic; 1 a step or a pair failed (the"
            + " message says which); 3 not root, or packages missing that cannot be installed."})
final class DemoCommand implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @CommandLine.Mixin
    HelpOption helpOption;

    @Option(names = "--iperf-seconds", paramLabel = "N", defaultValue = "3",
            description = "How long each iperf3 stream runs, 1-60 seconds (default: ${DEFAULT-VALUE}).")
    int iperfSeconds;

    @Option(names = "--static", description = "Run the nodes with static peers (the sites reach each other"
            + " forwarded through the hub) instead of as overlay members that find each other through XMPP and"
            + " connect with ICE.")
    boolean staticPeers;

    @Option(names = "--json", description = "Print the results as one JSON object on standard output (progress"
            + " goes to standard error).")
    boolean json;

    @Override
    public Integer call() {
        if (iperfSeconds < 1 || iperfSeconds > 60) {
            Verbs.report(spec, "--iperf-seconds " + iperfSeconds + " is out of range; use 1 to 60");
            return IpopCommand.EXIT_USAGE;
        }
        return Demo.run(staticPeers, iperfSeconds, json, spec.commandLine().getOut(), spec.commandLine().getErr());
    }
}
