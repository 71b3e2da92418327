package net.ipop.control.status;

import java.util.List;

/**
 * What the node's thread last published about itself and its peers, for the status socket. Immutable: the node
 * thread builds a new one on each change and swaps it in ({@link StatusBoard}); readers never see half an update.
 *
 * @param name        the node's configured name
 * @param iface       its overlay interface
 * @param addresses   the interface's overlay addresses, as {@code 192.0.2.1/24}
 * @param publicKey   its static public key, base64
 * @param listen      the data plane's UDP listen address, {@code host:port}
 * @param peers       its peers, in configuration order
 * @param publishedMs when it was published, wall-clock milliseconds since 1970
 */
public record NodeSnapshot(String name, String iface, List<String> addresses, String publicKey, String listen,
                           List<PeerSnapshot> peers, long publishedMs) {
    public NodeSnapshot {
        addresses = List.copyOf(addresses);
        peers = List.copyOf(peers);
    }
}
