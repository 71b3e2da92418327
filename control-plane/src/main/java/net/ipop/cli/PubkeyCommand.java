package net.ipop.cli;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Callable;

import net.ipop.crypto.cert.X25519Keys;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code ipop pubkey}: reads a private key on standard input, prints its public key ({@code wg pubkey}). */
@Command(name = "pubkey",
        description = {"Read an X25519 private key (base64) on standard input; print its public key.",
            "Example: ipop pubkey < node.key"})
final class PubkeyCommand implements Callable<Integer> {
    /** A key is 44 characters; anything much longer is not one, and is not read to the end. */
    private static final int MAX_INPUT = 1024;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @CommandLine.Mixin
    HelpOption helpOption;

    @Override
    public Integer call() {
        return Verbs.run(spec, () -> {
            String text = readLimited(System.in);
            byte[] priv;
            try {
                priv = X25519Keys.fromBase64(text, "standard input");
            } catch (IllegalArgumentException e) {
                throw CliError.usage(e.getMessage());
            }
            spec.commandLine().getOut().println(X25519Keys.toBase64(X25519Keys.publicKey(priv)));
            return 0;
        });
    }

    private static String readLimited(InputStream in) throws IOException {
        byte[] b = in.readNBytes(MAX_INPUT + 1);
        if (b.length > MAX_INPUT) {
            throw CliError.usage("standard input is longer than a key; pipe in the one line 'ipop genkey' printed");
        }
        return new String(b, StandardCharsets.US_ASCII);
    }
}
