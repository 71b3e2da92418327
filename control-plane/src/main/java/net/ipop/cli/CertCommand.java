package net.ipop.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code ipop cert}: node certificate verbs. */
@Command(name = "cert",
        description = "Sign, inspect and check node certificates.",
        subcommands = {CertSignCommand.class, CertShowCommand.class, CertVerifyCommand.class})
final class CertCommand implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @CommandLine.Mixin
    HelpOption helpOption;

    @Override
    public void run() {
        Verbs.usage(spec);
    }
}
