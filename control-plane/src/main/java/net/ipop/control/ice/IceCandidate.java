package net.ipop.control.ice;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Objects;

/**
 * One ICE candidate as it travels in signalling (RFC 8445 section 5.1): immutable, and independent of
 * ice4j so that the signalling code can convert it to its own wire record field by field.
 *
 * <p>Addresses are {@link InetAddress} values, never strings, so IPv4 and IPv6 are handled alike (an
 * IPv6 literal needs no bracket or colon parsing anywhere). {@code relatedAddress} is {@code null} for
 * host candidates, and then {@code relatedPort} is 0.
 *
 * @param foundation     groups candidates of the same type, base and server (1 to 32 ice-chars)
 * @param component      the component id; IPOP uses one component, 1
 * @param transport      the transport protocol; only {@code "udp"} is produced and accepted
 * @param priority       the candidate priority, 1 to 2^31 - 1
 * @param type           host, server reflexive, peer reflexive or relayed
 * @param address        the candidate's IP address
 * @param port           the candidate's port, 1 to 65535
 * @param relatedAddress the base (srflx) or mapped address (relay), or {@code null} for host candidates
 * @param relatedPort    the related port, 0 when there is no related address
 */
public record IceCandidate(String foundation, int component, String transport, long priority, Type type,
                           InetAddress address, int port, InetAddress relatedAddress, int relatedPort) {

    /** The candidate types of RFC 8445, with their SDP names. */
    public enum Type {
        HOST("host"), SERVER_REFLEXIVE("srflx"), PEER_REFLEXIVE("prflx"), RELAYED("relay");

        private final String sdpName;

        Type(String sdpName) {
            this.sdpName = sdpName;
        }

        /** The name used in SDP and in Jingle ({@code host}, {@code srflx}, {@code prflx}, {@code relay}). */
        public String sdpName() {
            return sdpName;
        }

        /** The type for an SDP name; throws {@link IllegalArgumentException} naming the unknown value. */
        public static Type ofSdpName(String name) {
            for (Type t : values()) {
                if (t.sdpName.equals(name)) {
                    return t;
                }
            }
            throw new IllegalArgumentException("unknown ICE candidate type '" + name + "' (host, srflx, prflx, relay)");
        }
    }

    /** Validates every field; throws {@link IllegalArgumentException} naming the bad one. */
    public IceCandidate {
        Objects.requireNonNull(foundation, "foundation");
        Objects.requireNonNull(transport, "transport");
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(address, "address");
        if (foundation.isEmpty() || foundation.length() > 32) {
            throw new IllegalArgumentException("foundation must be 1 to 32 characters: '" + foundation + "'");
        }
        if (component < 1 || component > 256) {
            throw new IllegalArgumentException("component must be 1 to 256: " + component);
        }
        if (!transport.equals("udp")) {
            throw new IllegalArgumentException("only udp candidates are supported, not '" + transport + "'");
        }
        if (priority < 1 || priority > 0x7FFF_FFFFL) {
            throw new IllegalArgumentException("priority must be 1 to 2^31-1: " + priority);
        }
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("port must be 1 to 65535: " + port);
        }
        if (relatedAddress == null ? relatedPort != 0 : relatedPort < 0 || relatedPort > 65535) {
            throw new IllegalArgumentException("related port " + relatedPort + " does not fit related address "
                    + relatedAddress);
        }
    }

    /** The candidate's transport address. */
    public InetSocketAddress socketAddress() {
        return new InetSocketAddress(address, port);
    }

    @Override
    public String toString() {
        return type.sdpName + " " + new InetSocketAddress(address, port) + " (" + foundation + ", " + priority + ")";
    }
}
