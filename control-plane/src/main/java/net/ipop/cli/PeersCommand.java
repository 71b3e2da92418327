package net.ipop.cli;

import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;

import net.ipop.control.status.JsonText;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code ipop peers}: the running node's peers, one line each (for scripts and a quick look). */
@Command(name = "peers",
        description = {"List the running node's peers, one line each: name, overlay addresses, path, endpoint,"
            + " handshake RTT and last handshake."},
        footer = {"", "Exit codes: 0 ok; 1 the node did not answer; 2 bad arguments or config file; 3 the node is"
            + " not running."})
final class PeersCommand implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @CommandLine.Mixin
    HelpOption helpOption;

    @CommandLine.Mixin
    NodeOptions node;

    @Option(names = "--json", description = "Print {\"peers\":[...]} (the peers of ipop status --json) instead.")
    boolean json;

    @Override
    public Integer call() {
        return Verbs.run(spec, () -> {
            Map<String, Object> doc = node.status(spec);
            PrintWriter out = spec.commandLine().getOut();
            if (json) {
                Map<String, Object> peers = new LinkedHashMap<>();
                peers.put("peers", doc.get("peers"));
                out.println(JsonText.write(peers));
            } else {
                out.print(StatusTable.lines(doc));
            }
            out.flush();
            return 0;
        });
    }
}
