package net.ipop.control.ice;

import java.net.InetSocketAddress;
import java.util.List;
import java.util.Objects;

/**
 * Where an {@link IceSession} gathers its candidates and how long it tolerates silence.
 *
 * @param stunServers      STUN servers for server-reflexive candidates (UDP)
 * @param turnServers      TURN servers for relayed candidates (UDP, long-term credentials); each also
 *                         yields a server-reflexive candidate
 * @param consentTimeoutMs how long the selected path may go without a consent-freshness answer before
 *                         {@link IceListener#onFailed} (RFC 7675 suggests 30 000)
 */
public record IceConfig(List<InetSocketAddress> stunServers, List<TurnServer> turnServers, long consentTimeoutMs) {

    /** A TURN server and the long-term credential to allocate on it. {@link #toString()} hides the password. */
    public record TurnServer(InetSocketAddress address, String username, String password) {
        public TurnServer {
            Objects.requireNonNull(address, "address");
            Objects.requireNonNull(username, "username");
            Objects.requireNonNull(password, "password");
        }

        @Override
        public String toString() {
            return "TurnServer[" + address + ", user " + username + "]";
        }
    }

    public IceConfig {
        stunServers = List.copyOf(stunServers);
        turnServers = List.copyOf(turnServers);
        if (consentTimeoutMs < 1000) {
            throw new IllegalArgumentException("consentTimeoutMs must be at least 1000: " + consentTimeoutMs);
        }
    }
}
