package net.ipop.ipc.counters;

/**
 * Why the data plane dropped a packet. Each reason is one counter per pipeline in the counters
 * file, keyed by {@link #code()}; readers sum it over the pipelines.
 *
 * <p>The codes are part of the file layout: a reason keeps its code for ever and new reasons take
 * new codes, so that an older reader shows what it knows and skips codes it does not.
 */
public enum DropReason {
    /** Authenticated but outside the replay window, or seen before. */
    REPLAY(0),
    /** The AEAD tag did not verify. */
    AUTH_FAILED(1),
    /** No route for the inner destination, or the peer it routes to was declared down. */
    NO_ROUTE(2),
    /** No session for the receiver index, or the peer has no current session to send with. */
    NO_SESSION(3),
    /** Larger than the path allows (an ICMP too-big goes back to the sender). */
    TOO_BIG(4),
    /** A header or length did not parse. */
    MALFORMED(5),
    /** The decrypted inner source is not inside the sending peer's allowed prefixes. */
    SOURCE_NOT_ALLOWED(6),
    /** A queue or ring towards the kernel or the control plane was full. */
    BACKPRESSURE(7),
    /** Outbound: the peer's endpoint is not known yet. */
    NO_ENDPOINT(8),
    /** The session key reached its message limit, or was retired. */
    KEY_EXHAUSTED(9),
    /**
     * Outbound: the kernel refused the UDP send (an error, or the socket buffer stayed full). Counted for the peer
     * too when the datagram carried a packet already counted as sent to it.
     */
    SEND_FAILED(10),
    /** Inbound: the write to the TUN device failed. */
    TUN_WRITE_FAILED(11),
    /** Forwarding: the inner TTL / hop limit would have reached 0 at this node. */
    HOP_LIMIT(12),
    /** Forwarding: the route pointed back at the peer the packet came from (split horizon). */
    LOOP(13),
    /** Inbound: relayed data (TURN ChannelData) on a channel no relayed peer has bound. */
    UNKNOWN_CHANNEL(14);

    private static final DropReason[] BY_CODE = values();

    private final int code;

    DropReason(int code) {
        this.code = code;
    }

    /** The stable number stored in the counter's key. */
    public int code() {
        return code;
    }

    /** The name for JSON keys and metric labels: {@code auth_failed}. */
    public String key() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }

    /** The reason with this code, or {@code null} for a code this reader does not know (a newer writer). */
    public static DropReason ofCode(int code) {
        return code >= 0 && code < BY_CODE.length && BY_CODE[code].code == code ? BY_CODE[code] : null;
    }
}
