package net.ipop.cli;

import java.io.PrintWriter;
import java.util.Map;
import java.util.concurrent.Callable;

import net.ipop.control.status.JsonText;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code ipop status}: the running node and its peers, asked through the node's status socket: overlay addresses,
 * path, RTT, traffic and last handshake per peer.
 */
@Command(name = "status",
        description = {"Show the running node and its peers: overlay addresses, path (direct / relayed / forwarded"
            + " via), handshake RTT, traffic and last handshake.",
            "Asks the node through its socket /run/ipop/<interface>.sock (root only)."},
        footer = {"", "Exit codes: 0 ok; 1 the node did not answer; 2 bad arguments or config file; 3 the node is"
            + " not running."})
final class StatusCommand implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @CommandLine.Mixin
    HelpOption helpOption;

    @CommandLine.Mixin
    NodeOptions node;

    @Option(names = "--json", description = "Print the node's status document (one JSON object) instead.")
    boolean json;

    @Override
    public Integer call() {
        return Verbs.run(spec, () -> {
            Map<String, Object> doc = node.status(spec);
            PrintWriter out = spec.commandLine().getOut();
            if (json) {
                out.println(JsonText.write(doc));
            } else {
                out.print(StatusTable.table(doc));
            }
            out.flush();
            return 0;
        });
    }
}
