package net.ipop.dataplane.pipeline;

/** Why the packet path dropped a packet; one counter each in {@link PathStats}. */
public enum DropReason {
    /** Outbound and forwarding: no route for the inner destination, or its peer was declared down. */
    NO_ROUTE,
    /** Outbound: the peer has no session yet; inbound: the receiver index names no session. */
    NO_SESSION,
    /** Outbound: the peer's endpoint is not known yet. */
    NO_ENDPOINT,
    /** Outbound: the inner packet exceeds the tunnel MTU (an ICMP error went back if allowed). */
    TOO_BIG,
    /** Either way: a packet or datagram that does not parse, or a type we do not know. */
    MALFORMED,
    /** Inbound: the tag did not verify. */
    AUTH_FAILED,
    /** Inbound: the counter was seen before or is behind the window. */
    REPLAYED,
    /** Either way: the session key reached its message limit, or was retired. */
    KEY_EXHAUSTED,
    /** Inbound: the inner source is outside the peer's allowed prefixes. */
    SOURCE_NOT_ALLOWED,
    /**
     * Outbound: the UDP send failed or the socket buffer was full. A datagram the path had counted as sent to
     * a peer is that peer's drop too (a keepalive only per reason).
     */
    SEND_FAILED,
    /** Inbound: the TUN write failed or would have blocked. */
    TUN_WRITE_FAILED,
    /** Forwarding: the inner packet's TTL / hop limit would reach 0 at this node. */
    HOP_LIMIT,
    /** Forwarding: the route for the inner destination points back at the peer it came from (split horizon). */
    LOOP,
    /**
     * Inbound: transport data in TURN ChannelData on a channel (and TURN server) no relayed peer has, or
     * sealed for another peer than the channel's.
     */
    UNKNOWN_CHANNEL
}
