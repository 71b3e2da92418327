package net.ipop.control.config;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The STUN and TURN servers an overlay node gathers its ICE candidates from: the {@code ice:} section of
 * {@code node.yaml}. Literal addresses only (like peer endpoints, never resolved). The TURN password is
 * not held here: {@code passwordFile} was checked (owner-only, not empty) and is read when the node starts.
 *
 * @param stunServers      STUN servers for server-reflexive candidates; may be empty (host candidates, and
 *                         the TURN server's own reflexive answer, remain)
 * @param turn             the TURN server for relayed candidates, or empty
 * @param consentTimeoutMs silence on the selected path (no consent answer) after which the link counts as
 *                         failed and ICE restarts
 * @param directProbeMs    how long a link stays relayed before an ICE probe looks for a direct path again, ms;
 *                         doubled after each probe that finds none; 0 for never
 * @param directProbeMaxMs the longest wait between two probes, ms (at least {@code directProbeMs})
 */
public record IceServersConfig(List<InetSocketAddress> stunServers, Optional<Turn> turn, int consentTimeoutMs,
                               int directProbeMs, int directProbeMaxMs) {
    public static final int DEFAULT_CONSENT_TIMEOUT_MS = 15_000;
    public static final int DEFAULT_DIRECT_PROBE_MS = 30_000;
    public static final int DEFAULT_DIRECT_PROBE_MAX_MS = 600_000;

    /** No servers: host candidates only (a LAN). */
    public static final IceServersConfig NONE = new IceServersConfig(List.of(), Optional.empty(),
            DEFAULT_CONSENT_TIMEOUT_MS);

    public IceServersConfig {
        stunServers = List.copyOf(stunServers);
        Objects.requireNonNull(turn, "turn");
        if (directProbeMs < 0 || directProbeMaxMs < directProbeMs) {
            throw new IllegalArgumentException("direct probes every " + directProbeMs + " to " + directProbeMaxMs
                    + " ms");
        }
    }

    /** With the default direct-probe intervals. */
    public IceServersConfig(List<InetSocketAddress> stunServers, Optional<Turn> turn, int consentTimeoutMs) {
        this(stunServers, turn, consentTimeoutMs, DEFAULT_DIRECT_PROBE_MS, DEFAULT_DIRECT_PROBE_MAX_MS);
    }

    /**
     * A TURN server (UDP, long-term credentials).
     *
     * @param server       its address and port
     * @param username     the long-term credential's user name
     * @param passwordFile absolute path of the file holding its password
     */
    public record Turn(InetSocketAddress server, String username, Path passwordFile) {
        public Turn {
            Objects.requireNonNull(server, "server");
            Objects.requireNonNull(username, "username");
            Objects.requireNonNull(passwordFile, "passwordFile");
        }
    }
}
