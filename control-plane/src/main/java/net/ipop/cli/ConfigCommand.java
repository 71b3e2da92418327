package net.ipop.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

import net.ipop.control.config.ConfigException;
import net.ipop.control.config.ConfigProblem;
import net.ipop.control.config.NodeConfig;
import net.ipop.control.config.NodeConfigParser;
import net.ipop.control.status.JsonText;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code ipop config}: node configuration file verbs. */
@Command(name = "config",
        description = "Validate node configuration files (format: docs/configuration.md).",
        subcommands = {ConfigCommand.Check.class})
final class ConfigCommand implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @CommandLine.Mixin
    HelpOption helpOption;

    @Override
    public void run() {
        Verbs.usage(spec);
    }

    /**
     * {@code ipop config check FILE [--json]}: reads and validates the file, including the private
     * key file it names, and starts nothing. Exit 0 if it is usable, 2 if it has problems.
     */
    @Command(name = "check",
            description = {"Validate a node config file without starting anything: every key, every value, the"
                + " private key file (exists, chmod 600, a valid key) and the rules across peers.",
                "Prints 'FILE: ok (N peers)', or each problem as FILE:LINE:COLUMN: KEY: what is wrong and the fix."})
    static final class Check implements Callable<Integer> {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @CommandLine.Mixin
        HelpOption helpOption;

        @Parameters(paramLabel = "FILE", description = "The node config file (YAML), e.g. /etc/ipop/node.yaml.")
        Path file;

        @Option(names = "--json", description = "Print the result as one JSON object on standard output:"
                + " {\"file\", \"ok\", \"problems\": [{\"line\", \"column\", \"key\", \"message\"}]}.")
        boolean json;

        @Override
        public Integer call() {
            PrintWriter out = spec.commandLine().getOut();
            PrintWriter err = spec.commandLine().getErr();
            List<ConfigProblem> problems;
            int peers = 0;
            try {
                NodeConfig config = NodeConfigParser.parse(file);
                problems = List.of();
                peers = config.peers().size();
            } catch (ConfigException e) {
                problems = e.problems();
            }
            if (json) {
                out.println(toJson(file, problems));
            } else if (problems.isEmpty()) {
                out.println(file + ": ok (" + peers + (peers == 1 ? " peer)" : " peers)"));
            } else {
                for (ConfigProblem p : problems) {
                    err.println(p);
                }
                Verbs.report(spec, problems.size() + (problems.size() == 1 ? " problem" : " problems") + " in "
                        + file + "; the format is described in docs/configuration.md");
            }
            return problems.isEmpty() ? 0 : IpopCommand.EXIT_USAGE;
        }

        static String toJson(Path file, List<ConfigProblem> problems) {
            StringBuilder sb = new StringBuilder("{\"file\":").append(JsonText.write(file.toString()))
                    .append(",\"ok\":").append(problems.isEmpty()).append(",\"problems\":[");
            for (int i = 0; i < problems.size(); i++) {
                ConfigProblem p = problems.get(i);
                sb.append(i == 0 ? "" : ",").append("{\"line\":").append(p.line())
                        .append(",\"column\":").append(p.column())
                        .append(",\"key\":").append(JsonText.write(p.key()))
                        .append(",\"message\":").append(JsonText.write(p.message())).append('}');
            }
            return sb.append("]}").toString();
        }
    }
}
