package net.ipop.cli;

import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.Callable;

import net.ipop.crypto.cert.IpPrefix;
import net.ipop.crypto.cert.OverlayCa;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code ipop ca create}: a new overlay CA in a directory of its own. */
@Command(name = "create",
        description = {"Create a new overlay CA: writes ca.key (mode 0600) and ca.crt into --out.",
            "Example: ipop ca create --name lab --overlay 192.0.2.0/24 --overlay 2001:db8:1::/64 --out /etc/ipop/ca"})
final class CaCreateCommand implements Callable<Integer> {
    static final int MAX_DAYS = 36500;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @CommandLine.Mixin
    HelpOption helpOption;

    @Option(names = "--name", required = true, paramLabel = "NAME", description = "The CA's display name.")
    String name;

    @Option(names = "--overlay", required = true, paramLabel = "PREFIX", converter = Converters.Prefix.class,
            description = "An overlay prefix, e.g. 192.0.2.0/24; repeat for IPv6.")
    List<IpPrefix> overlay;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Directory for ca.key and ca.crt.")
    Path out;

    @Option(names = "--days", paramLabel = "D", defaultValue = "1825",
            description = "Validity in days (default: ${DEFAULT-VALUE}).")
    int days;

    @Override
    public Integer call() {
        return Verbs.run(spec, () -> {
            requireDays(days, MAX_DAYS);
            for (IpPrefix p : overlay) {
                if (!p.equals(p.network())) {
                    throw CliError.usage("--overlay " + p + " has host bits set; write the network, "
                            + p.network());
                }
            }
            try {
                OverlayCa.requireValidName(name);
            } catch (IllegalArgumentException e) {
                throw CliError.usage("--name: " + e.getMessage());
            }
            Instant now = Instant.now();
            OverlayCa ca;
            try {
                ca = OverlayCa.create(name, overlay, now, now.plus(Duration.ofDays(days)), new SecureRandom());
            } catch (IllegalArgumentException e) {
                throw CliError.usage(e.getMessage());
            }
            new CaDirectory(out, "--out").create(ca);
            var o = spec.commandLine().getOut();
            o.println("created CA '" + name + "' for overlay " + join(ca.certificate().overlayPrefixes()));
            o.println("  " + out.resolve(CaDirectory.KEY) + "  private key (mode 0600; keep it off the nodes)");
            o.println("  " + out.resolve(CaDirectory.CERT) + "  certificate (give it to every node)");
            o.println("  valid until " + ca.certificate().notAfter() + ", fingerprint sha256:"
                    + ca.certificate().fingerprint());
            return 0;
        });
    }

    static void requireDays(int days, int max) {
        if (days < 1 || days > max) {
            throw CliError.usage("--days " + days + " is out of range; give 1 to " + max);
        }
    }

    static String join(List<?> items) {
        StringBuilder sb = new StringBuilder();
        for (Object i : items) {
            sb.append(sb.isEmpty() ? "" : ", ").append(i);
        }
        return sb.toString();
    }
}
