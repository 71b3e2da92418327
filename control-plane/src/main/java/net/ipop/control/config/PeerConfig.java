package net.ipop.control.config;

import java.net.InetSocketAddress;
import java.util.List;
import java.util.Optional;

import net.ipop.crypto.Suite;
import net.ipop.crypto.cert.IpPrefix;

/**
 * A static peer.
 *
 * @param name                a name for logs and counters, unique in the file
 * @param publicKey           its X25519 static public key, unique in the file and not our own
 * @param endpoint            where to send to first (a literal address, resolved); empty for a peer
 *                            that only connects to us
 * @param allowedAddresses    the inner source prefixes accepted from it and routed to it; at least
 *                            one, overlapping no other peer's and not holding our own addresses
 * @param keepaliveIntervalMs persistent keepalive in milliseconds, 0 = off
 * @param suite               the cipher suite: the peer's own setting, else the node's
 */
public record PeerConfig(String name, StaticPublicKey publicKey, Optional<InetSocketAddress> endpoint,
                         List<IpPrefix> allowedAddresses, int keepaliveIntervalMs, Suite suite) {
    public PeerConfig {
        allowedAddresses = List.copyOf(allowedAddresses);
    }
}
