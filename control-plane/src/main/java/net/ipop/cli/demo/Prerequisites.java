package net.ipop.cli.demo;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The programs the demo runs and the Debian packages that hold them. Missing ones are installed with
 * {@code apt-get} (as {@code ci/install-deps.sh} does: daemons are kept from starting system-wide by a
 * temporary {@code policy-rc.d}), since the demo is the README's first command on a fresh machine.
 */
final class Prerequisites {
    /** Program -> Debian package. */
    static final Map<String, String> PROGRAMS = programs();
    private static final Path POLICY = Path.of("/usr/sbin/policy-rc.d");

    private Prerequisites() {
    }

    private static Map<String, String> programs() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("ip", "iproute2");
        m.put("ss", "iproute2");
        m.put("nft", "nftables");
        m.put("ping", "iputils-ping");
        m.put("iperf3", "iperf3");
        m.put("sysctl", "procps");
        m.put("openssl", "openssl");
        m.put("prosody", "prosody");
        m.put("prosodyctl", "prosody");
        m.put("turnserver", "coturn");
        return m;
    }

    /** The packages holding the programs that are not on the PATH, each once, in a stable order. */
    static List<String> missingPackages(Set<String> presentPrograms) {
        Set<String> packages = new LinkedHashSet<>();
        for (Map.Entry<String, String> e : PROGRAMS.entrySet()) {
            if (!presentPrograms.contains(e.getKey())) {
                packages.add(e.getValue());
            }
        }
        return new ArrayList<>(packages);
    }

    /** The programs of {@link #PROGRAMS} found on this machine. */
    static Set<String> presentPrograms() {
        Set<String> present = new LinkedHashSet<>();
        for (String program : PROGRAMS.keySet()) {
            if (Shell.onPath(program)) {
                present.add(program);
            }
        }
        return present;
    }

    /**
     * Installs {@code packages} with apt-get. A {@link DemoException} with exit code 3 if there is no apt-get or
     * the installation fails.
     */
    static void install(List<String> packages) throws IOException {
        if (!Shell.onPath("apt-get")) {
            throw new DemoException(3, "the demo needs the packages " + String.join(" ", packages)
                    + " and this machine has no apt-get; install them with its package manager");
        }
        boolean placedPolicy = false;
        if (!Files.exists(POLICY)) {
            // Exit 101: "action forbidden", so prosody and coturn do not start system-wide on install.
            Files.writeString(POLICY, "#!/bin/sh\nexit 101\n");
            POLICY.toFile().setExecutable(true, false);
            placedPolicy = true;
        }
        try {
            Map<String, String> env = Map.of("DEBIAN_FRONTEND", "noninteractive");
            Shell.Result update = Shell.runWithEnvironment(env, 600, "apt-get", "update", "-qq");
            List<String> command = new ArrayList<>(List.of("apt-get", "install", "-y", "-qq",
                    "--no-install-recommends"));
            command.addAll(packages);
            Shell.Result install = Shell.runWithEnvironment(env, 900, command.toArray(String[]::new));
            if (!install.ok()) {
                throw new DemoException(3, "apt-get could not install " + String.join(" ", packages) + ": "
                        + (update.ok() ? "" : update.output().strip() + "\n") + install.output().strip());
            }
        } finally {
            if (placedPolicy) {
                Files.deleteIfExists(POLICY);
            }
        }
    }
}
