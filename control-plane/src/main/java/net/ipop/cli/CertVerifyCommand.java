package net.ipop.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.concurrent.Callable;

import net.ipop.crypto.cert.CaCertificate;
import net.ipop.crypto.cert.CertificateFormatException;
import net.ipop.crypto.cert.MembershipResult;
import net.ipop.crypto.cert.MembershipVerifier;
import net.ipop.crypto.cert.NodeCertificate;
import net.ipop.crypto.cert.Pem;
import net.ipop.crypto.cert.X25519Keys;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code ipop cert verify}: the decision a node would make about this certificate now, with the
 * CA directory's {@code ca.crt} and (if present) {@code ca.crl}. Exit 0 if it is a member, 1 if not.
 */
@Command(name = "verify", description = {"Check a node certificate the way a node would: CA signature, revocation"
        + " (ca.crl if present), validity now, addresses inside the overlay.",
    "Prints the reason (OK, REVOKED, EXPIRED, ...); exit 0 only for OK."})
final class CertVerifyCommand implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @CommandLine.Mixin
    HelpOption helpOption;

    @Parameters(paramLabel = "FILE", description = "The node certificate PEM file.")
    Path file;

    @Option(names = "--ca", required = true, paramLabel = "DIR", description = "The CA directory (ca.crt, ca.crl).")
    Path caDir;

    @Option(names = "--pubkey", paramLabel = "B64",
            description = "Also check that the certificate binds this X25519 public key.")
    String publicKeyText;

    @Override
    public Integer call() {
        return Verbs.run(spec, () -> {
            byte[] key = null;
            if (publicKeyText != null) {
                try {
                    key = X25519Keys.fromBase64(publicKeyText, "--pubkey '" + publicKeyText + "'");
                } catch (IllegalArgumentException e) {
                    throw CliError.usage(e.getMessage());
                }
            }
            CaDirectory dir = new CaDirectory(caDir, "--ca");
            CaCertificate ca = dir.readCertificate();
            MembershipVerifier verifier = MembershipVerifier.forCa(ca).withRevocations(dir.readRevocations(ca));
            byte[] der = readDer();
            MembershipResult r = verifier.verify(der, key != null ? key : certifiedKey(der), Instant.now());
            spec.commandLine().getOut().println(r.reason() + ": " + r.detail());
            return r.ok() ? 0 : IpopCommand.EXIT_FAILED;
        });
    }

    /** Without --pubkey there is no handshake key to compare; use the certificate's own (or none). */
    private static byte[] certifiedKey(byte[] der) {
        try {
            return NodeCertificate.parse(der).publicKey();
        } catch (CertificateFormatException e) {
            return new byte[X25519Keys.KEY_BYTES]; // the verifier reports MALFORMED first
        }
    }

    private byte[] readDer() {
        String pem;
        try {
            pem = Files.readString(file, StandardCharsets.US_ASCII);
        } catch (NoSuchFileException e) {
            throw CliError.failed("FILE " + file + ": no such file");
        } catch (IOException e) {
            throw CliError.failed("FILE " + file + ": cannot read it (" + e.getMessage() + ")");
        }
        try {
            return Pem.decode(Pem.CERTIFICATE, pem);
        } catch (CertificateFormatException e) {
            throw CliError.failed("FILE " + file + ": " + e.getMessage());
        }
    }
}
