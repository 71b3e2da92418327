package net.ipop.cli;

import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

import net.ipop.crypto.cert.CaCertificate;
import net.ipop.crypto.cert.IpPrefix;
import net.ipop.crypto.cert.Names;
import net.ipop.crypto.cert.NodeCertificate;
import net.ipop.crypto.cert.OverlayCa;
import net.ipop.crypto.cert.X25519Keys;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code ipop cert sign}: issues a node certificate with the CA in {@code --ca}. */
@Command(name = "sign",
        description = {"Sign a node certificate binding its name, X25519 public key, overlay addresses and groups.",
            "Example: ipop cert sign --ca /etc/ipop/ca --name node-1 --pubkey \"$(ipop pubkey < node.key)\""
                + " --address 192.0.2.5/24 --group lab --out node-1.crt"})
final class CertSignCommand implements Callable<Integer> {
    static final int DEFAULT_DAYS = 365;
    /** Backdating absorbs clocks a little behind the signer's, so a fresh certificate is valid at once. */
    static final Duration BACKDATE = Duration.ofMinutes(1);

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @CommandLine.Mixin
    HelpOption helpOption;

    @Option(names = "--ca", required = true, paramLabel = "DIR", description = "The CA directory.")
    Path caDir;

    @Option(names = "--name", required = true, paramLabel = "NODE", description = "The node's name.")
    String name;

    @Option(names = "--pubkey", required = true, paramLabel = "B64",
            description = "The node's X25519 public key, as 'ipop pubkey' prints it.")
    String publicKeyText;

    @Option(names = "--address", required = true, paramLabel = "PREFIX", converter = Converters.Prefix.class,
            description = "An overlay address with its subnet length, e.g. 192.0.2.5/24; repeat for IPv6.")
    List<IpPrefix> addresses;

    @Option(names = "--group", paramLabel = "GROUP", description = "A group the node belongs to; repeatable.")
    List<String> groups = new ArrayList<>();

    @Option(names = "--days", paramLabel = "D",
            description = "Validity in days (default: " + DEFAULT_DAYS + ", or less if the CA expires sooner).")
    Integer days;

    @Option(names = "--out", required = true, paramLabel = "FILE", description = "Where to write the certificate.")
    Path out;

    @Override
    public Integer call() {
        return Verbs.run(spec, () -> {
            byte[] publicKey;
            try {
                publicKey = X25519Keys.fromBase64(publicKeyText, "--pubkey '" + publicKeyText + "'");
                Names.require(name, "--name");
                for (String g : groups) {
                    Names.require(g, "--group");
                }
            } catch (IllegalArgumentException e) {
                throw CliError.usage(e.getMessage());
            }
            if (days != null) {
                CaCreateCommand.requireDays(days, CaCreateCommand.MAX_DAYS);
            }
            if (Files.exists(out)) {
                throw CliError.failed("--out " + out + " already exists; refusing to overwrite (choose another file"
                        + " or remove it first)");
            }
            OverlayCa ca = new CaDirectory(caDir, "--ca").readCa();
            CaCertificate caCert = ca.certificate();
            for (IpPrefix a : addresses) {
                if (!caCert.inOverlay(a)) {
                    throw CliError.usage("--address " + a + " is not inside the overlay "
                            + CaCreateCommand.join(caCert.overlayPrefixes()) + " that " + caDir.resolve(CaDirectory.CERT)
                            + " states; pick an address there (and a subnet length no shorter than the overlay's)");
                }
            }
            Instant now = Instant.now();
            if (!now.isBefore(caCert.notAfter())) {
                throw CliError.failed("--ca " + caDir + ": the CA expired at " + caCert.notAfter()
                        + "; create a new one");
            }
            Instant from = now.minus(BACKDATE).isBefore(caCert.notBefore()) ? caCert.notBefore() : now.minus(BACKDATE);
            Instant to = now.plus(Duration.ofDays(days == null ? DEFAULT_DAYS : days));
            if (to.isAfter(caCert.notAfter())) {
                if (days != null) {
                    long left = Duration.between(now, caCert.notAfter()).toDays();
                    throw CliError.usage("--days " + days + " would outlive the CA, which expires at "
                            + caCert.notAfter() + "; use --days " + Math.max(left, 1) + " or less");
                }
                to = caCert.notAfter();
            }
            NodeCertificate cert;
            try {
                cert = ca.issue(name, publicKey, addresses, groups, from, to, new SecureRandom());
            } catch (IllegalArgumentException e) {
                throw CliError.usage(e.getMessage()); // a rule the checks above do not repeat, e.g. too many addresses
            }
            try {
                CaDirectory.writePublic(out, cert.toPem(), false);
            } catch (FileAlreadyExistsException e) {
                throw CliError.failed("--out " + out + " already exists; refusing to overwrite");
            }
            spec.commandLine().getOut().println("signed '" + name + "' serial " + cert.serialHex() + " valid until "
                    + cert.notAfter() + " -> " + out);
            return 0;
        });
    }
}
