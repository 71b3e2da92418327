package net.ipop.cli;

import java.security.SecureRandom;
import java.util.concurrent.Callable;

import net.ipop.crypto.cert.X25519Keys;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code ipop genkey}: a new X25519 private key in base64, as {@code wg genkey} prints one. */
@Command(name = "genkey",
        description = {"Print a new X25519 private key (base64) on standard output.",
            "Keep it private from the start: (umask 077; ipop genkey > node.key); ipop pubkey < node.key"})
final class GenkeyCommand implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @CommandLine.Mixin
    HelpOption helpOption;

    @Override
    public Integer call() {
        spec.commandLine().getOut().println(X25519Keys.toBase64(X25519Keys.generatePrivateKey(new SecureRandom())));
        return 0;
    }
}
