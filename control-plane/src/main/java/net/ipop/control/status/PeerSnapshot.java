package net.ipop.control.status;

import java.util.List;

/**
 * One peer as the node saw it when it published a {@link NodeSnapshot}. Immutable. Times are wall-clock
 * milliseconds since 1970 so that a reader on another thread can turn them into ages with its own clock.
 *
 * @param id                 the peer id the data plane knows it by (its counters carry the same id)
 * @param name               its configured name
 * @param publicKey          its static public key, base64
 * @param allowedAddresses   its overlay addresses and prefixes, as {@code 192.0.2.2/32}
 * @param endpoint           where its handshakes go, {@code host:port}, or {@code null} if unknown
 * @param path               how its packets go
 * @param via                the node its packets are forwarded through or the relay they use, or {@code null}
 * @param lastHandshakeMs    when the newest session was derived, or {@link #NEVER}
 * @param rttMicros          initiation sent to response received, for our last completed initiation, or
 *                           {@link #NOT_MEASURED}
 * @param sessionStartMs     when the newest session still installed was derived, or {@link #NEVER} if none is
 */
public record PeerSnapshot(long id, String name, String publicKey, List<String> allowedAddresses, String endpoint,
                           PeerPath path, String via, long lastHandshakeMs, long rttMicros, long sessionStartMs) {
    /** No such event yet. */
    public static final long NEVER = Long.MIN_VALUE;
    /** No round trip measured yet (this node has not completed an initiation of its own). */
    public static final long NOT_MEASURED = -1;

    public PeerSnapshot {
        allowedAddresses = List.copyOf(allowedAddresses);
    }
}
