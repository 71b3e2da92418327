package net.ipop.control.config;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

import org.snakeyaml.engine.v2.nodes.Node;

/**
 * The {@code ice} section: STUN servers, one TURN server with its long-term credential, and the consent
 * timeout. Addresses are literals ({@code 203.0.113.10:3478}, {@code [2001:db8::10]:3478}), never resolved.
 */
final class IceParser {
    static final List<String> KEYS = List.of("stunServers", "turnServer", "turnUsername", "turnPasswordFile",
            "consentTimeoutMs", "directProbeMs", "directProbeMaxMs");
    static final int MIN_CONSENT_TIMEOUT_MS = 2_000;
    static final int MAX_CONSENT_TIMEOUT_MS = 120_000;
    static final int MIN_DIRECT_PROBE_MS = 1_000;
    static final int MAX_DIRECT_PROBE_MS = 3_600_000;

    private final Problems problems;
    private final Path base;

    IceParser(Problems problems, Path base) {
        this.problems = problems;
        this.base = base;
    }

    /** Reads the section; returns null after reporting any problem. */
    IceServersConfig parse(Section s) {
        boolean ok = true;
        List<InetSocketAddress> stun = new ArrayList<>();
        String stunFix = "list STUN servers as literal address:port, e.g. [203.0.113.10:3478]";
        List<Node> items = s.list("stunServers", stunFix);
        if (s.get("stunServers") != null && items == null) {
            ok = false;
        }
        for (int i = 0; items != null && i < items.size(); i++) {
            String at = Section.element(s.child("stunServers"), i);
            InetSocketAddress a = address(s, items.get(i), at, stunFix);
            ok &= a != null;
            if (a != null) {
                stun.add(a);
            }
        }
        Optional<IceServersConfig.Turn> turn = Optional.empty();
        String turnFix = "write the TURN server as a literal address:port, e.g. turnServer: 203.0.113.10:3478";
        Node serverNode = s.get("turnServer");
        if (serverNode != null) {
            InetSocketAddress server = address(s, serverNode, s.child("turnServer"), turnFix);
            String user = s.requireText("turnUsername", "give the TURN user name, e.g. turnUsername: alpha");
            String pwFix = "give the file holding the TURN password, e.g. turnPasswordFile: /etc/ipop/turn.password"
                    + " (mode 600)";
            Path pw = s.require("turnPasswordFile", pwFix) == null ? null : s.path("turnPasswordFile", base, null,
                    pwFix);
            if (pw != null) {
                try {
                    Arrays.fill(SecretFiles.readPassword(pw), '\0');
                } catch (IOException e) {
                    problems.at(s.get("turnPasswordFile"), s.child("turnPasswordFile"), e.getMessage());
                    pw = null;
                }
            }
            if (server == null || user == null || pw == null) {
                ok = false;
            } else {
                turn = Optional.of(new IceServersConfig.Turn(server, user, pw));
            }
        } else {
            for (String k : List.of("turnUsername", "turnPasswordFile")) {
                if (s.get(k) != null) {
                    problems.at(s.get(k), s.child(k), k + " is only used with turnServer; add turnServer:"
                            + " address:port or remove " + k);
                    ok = false;
                }
            }
        }
        int consent = s.integer("consentTimeoutMs", IceServersConfig.DEFAULT_CONSENT_TIMEOUT_MS,
                MIN_CONSENT_TIMEOUT_MS, MAX_CONSENT_TIMEOUT_MS, "use " + MIN_CONSENT_TIMEOUT_MS + " to "
                        + MAX_CONSENT_TIMEOUT_MS + " ms, e.g. " + IceServersConfig.DEFAULT_CONSENT_TIMEOUT_MS);
        String probeFix = "use 0 (no probes) or " + MIN_DIRECT_PROBE_MS + " to " + MAX_DIRECT_PROBE_MS + " ms, e.g. "
                + IceServersConfig.DEFAULT_DIRECT_PROBE_MS;
        int probe = s.integer("directProbeMs", IceServersConfig.DEFAULT_DIRECT_PROBE_MS, 0, MAX_DIRECT_PROBE_MS,
                probeFix);
        if (probe != 0 && probe < MIN_DIRECT_PROBE_MS) {
            problems.at(s.get("directProbeMs"), s.child("directProbeMs"), probe + " is out of range; " + probeFix);
            ok = false;
        }
        int probeMax = s.integer("directProbeMaxMs", Math.max(probe, IceServersConfig.DEFAULT_DIRECT_PROBE_MAX_MS),
                MIN_DIRECT_PROBE_MS, MAX_DIRECT_PROBE_MS, "use " + MIN_DIRECT_PROBE_MS + " to " + MAX_DIRECT_PROBE_MS
                        + " ms, at least directProbeMs, e.g. " + IceServersConfig.DEFAULT_DIRECT_PROBE_MAX_MS);
        if (probeMax < probe) {
            problems.at(s.get("directProbeMaxMs"), s.child("directProbeMaxMs"), "directProbeMaxMs " + probeMax
                    + " is below directProbeMs " + probe + "; the back-off cannot end below where it starts");
            ok = false;
        }
        return ok ? new IceServersConfig(stun, turn, consent, probe, probeMax) : null;
    }

    private InetSocketAddress address(Section s, Node v, String at, String fix) {
        String t = s.text(v, at, fix);
        if (t == null) {
            return null;
        }
        try {
            return Endpoints.parse(t.strip());
        } catch (IllegalArgumentException e) {
            problems.at(v, at, e.getMessage());
            return null;
        }
    }
}
