package net.ipop.cli;

import java.util.concurrent.Callable;

import picocli.AutoComplete;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code ipop completion bash}: the bash completion script for every verb and option, on standard output. */
@Command(name = "completion",
        description = {"Print a shell completion script for ipop (bash; also works in zsh with bashcompinit).",
            "Install: ipop completion bash > /etc/bash_completion.d/ipop (then open a new shell),",
            "or for one user: source <(ipop completion bash) in ~/.bashrc."},
        footer = {"", "Exit codes: 0 ok; 2 a shell other than bash."})
final class CompletionCommand implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @CommandLine.Mixin
    HelpOption helpOption;

    @Parameters(paramLabel = "SHELL", description = "The shell: bash.")
    String shell;

    @Override
    public Integer call() {
        return Verbs.run(spec, () -> {
            if (!shell.equals("bash")) {
                throw CliError.usage(shell + ": no completion for that shell; use ipop completion bash (zsh: load it"
                        + " after autoload -U bashcompinit && bashcompinit)");
            }
            spec.commandLine().getOut().print(AutoComplete.bash("ipop", spec.root().commandLine()));
            spec.commandLine().getOut().flush();
            return 0;
        });
    }
}
