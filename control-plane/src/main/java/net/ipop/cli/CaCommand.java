package net.ipop.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code ipop ca}: the overlay CA's verbs. */
@Command(name = "ca",
        description = "Manage the overlay's certificate authority (create it, revoke node certificates).",
        subcommands = {CaCreateCommand.class, CaRevokeCommand.class})
final class CaCommand implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @CommandLine.Mixin
    HelpOption helpOption;

    @Override
    public void run() {
        Verbs.usage(spec);
    }
}
