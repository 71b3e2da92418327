package net.ipop.cli;

import java.math.BigInteger;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.Callable;

import net.ipop.crypto.cert.OverlayCa;
import net.ipop.crypto.cert.RevocationList;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code ipop ca revoke}: adds serial numbers to the CA's revocation list ({@code ca.crl}). */
@Command(name = "revoke",
        description = {"Revoke node certificates by serial number: creates or updates ca.crl in the CA directory.",
            "Example: ipop ca revoke --ca /etc/ipop/ca --serial 52d6e3e9b8c4aea1ae2cb314a0b32bc4"})
final class CaRevokeCommand implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @CommandLine.Mixin
    HelpOption helpOption;

    @Option(names = "--ca", required = true, paramLabel = "DIR", description = "The CA directory.")
    Path caDir;

    @Option(names = "--serial", required = true, paramLabel = "HEX", converter = Converters.Serial.class,
            description = "Serial number as 'ipop cert show' prints it; repeat to revoke several.")
    List<BigInteger> serials;

    @Override
    public Integer call() {
        return Verbs.run(spec, () -> {
            CaDirectory dir = new CaDirectory(caDir, "--ca");
            OverlayCa ca = dir.readCa();
            RevocationList previous = dir.readRevocations(ca.certificate());
            RevocationList next = ca.revoke(previous, serials, Instant.now());
            dir.writeRevocations(next);
            var o = spec.commandLine().getOut();
            for (BigInteger s : serials) {
                boolean already = previous != null && previous.isRevoked(s);
                o.println((already ? "already revoked " : "revoked ") + s.toString(16));
            }
            o.println(dir.crl() + " lists " + next.serials().size() + " serial(s), CRL number " + next.number()
                    + "; give it to every node");
            return 0;
        });
    }
}
