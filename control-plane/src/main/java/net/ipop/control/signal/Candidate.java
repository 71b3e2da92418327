package net.ipop.control.signal;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Locale;
import java.util.Objects;

/**
 * One ICE candidate (RFC 8445 section 5.1; the fields of the SDP {@code a=candidate} line of RFC
 * 8839 section 5.1), structured rather than written as one string, so an IPv6 address never has
 * to be split on colons. The ICE side ({@code net.ipop.control.ice}) maps each field one to one to
 * its own candidate type: {@code foundation}, {@code component} (1 = the data path; IPOP uses one
 * component), {@code transport} (UDP only), {@code priority}, the transport address
 * {@code address}:{@code port}, {@code type}, and for non-host candidates the optional related
 * address and port (the base of a server-reflexive candidate, the mapped address of a relayed one).
 *
 * <p>Addresses are {@link InetAddress} values made from literals only: no host names, no scope ids.
 *
 * @param foundation     1 to 32 ice-chars ({@code A-Z a-z 0-9 + /})
 * @param component      1 to 256
 * @param transport      the transport protocol
 * @param priority       1 to 2^31-1 (RFC 8445 section 5.1.2)
 * @param address        IPv4 or IPv6 address of the candidate, not a wildcard or multicast address
 * @param port           1 to 65535
 * @param type           host, server reflexive, peer reflexive or relayed
 * @param relatedAddress the related address, or {@code null}; must be null for host candidates
 * @param relatedPort    0 when {@code relatedAddress} is null, else 0 to 65535 (RFC 8839 allows 0 when the
 *                       base is hidden)
 */
public record Candidate(String foundation, int component, Transport transport, long priority, InetAddress address,
                        int port, Type type, InetAddress relatedAddress, int relatedPort) {
    static final int MAX_FOUNDATION = 32;
    static final int MAX_COMPONENT = 256;
    static final long MAX_PRIORITY = (1L << 31) - 1;

    public Candidate {
        Objects.requireNonNull(foundation, "foundation");
        Objects.requireNonNull(transport, "transport");
        Objects.requireNonNull(address, "address");
        Objects.requireNonNull(type, "type");
        if (foundation.isEmpty() || foundation.length() > MAX_FOUNDATION) {
            throw new IllegalArgumentException("foundation must be 1 to " + MAX_FOUNDATION + " characters");
        }
        IceCredentials.requireIceChars(foundation, 1, "foundation");
        if (component < 1 || component > MAX_COMPONENT) {
            throw new IllegalArgumentException("component " + component + " is not in 1.." + MAX_COMPONENT);
        }
        if (priority < 1 || priority > MAX_PRIORITY) {
            throw new IllegalArgumentException("priority " + priority + " is not in 1..2^31-1");
        }
        requireUnicast(address, "address");
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("port " + port + " is not in 1..65535");
        }
        if (relatedAddress == null) {
            if (relatedPort != 0) {
                throw new IllegalArgumentException("a related port needs a related address");
            }
        } else {
            if (type == Type.HOST) {
                throw new IllegalArgumentException("a host candidate has no related address");
            }
            if (relatedAddress instanceof Inet6Address a6 && a6.getScopeId() != 0) {
                throw new IllegalArgumentException("related address carries a scope id");
            }
            if (relatedPort < 0 || relatedPort > 65535) {
                throw new IllegalArgumentException("related port " + relatedPort + " is not in 0..65535");
            }
        }
    }

    private static void requireUnicast(InetAddress a, String what) {
        if (!(a instanceof Inet4Address) && !(a instanceof Inet6Address)) {
            throw new IllegalArgumentException(what + " is not an IP address");
        }
        if (a.isAnyLocalAddress() || a.isMulticastAddress()) {
            throw new IllegalArgumentException(what + " " + a.getHostAddress() + " is a wildcard or multicast address");
        }
        if (a instanceof Inet6Address a6 && a6.getScopeId() != 0) {
            throw new IllegalArgumentException(what + " carries a scope id");
        }
    }

    /** The transport address, for sockets. */
    public InetSocketAddress socketAddress() {
        return new InetSocketAddress(address, port);
    }

    /** Candidate transports; only UDP is used by IPOP. */
    public enum Transport {
        UDP;

        /** The wire name, {@code udp}. */
        public String wireName() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** Candidate types with their RFC 8839 names. */
    public enum Type {
        HOST("host"), SERVER_REFLEXIVE("srflx"), PEER_REFLEXIVE("prflx"), RELAYED("relay");

        private final String wireName;

        Type(String wireName) {
            this.wireName = wireName;
        }

        /** {@code host}, {@code srflx}, {@code prflx} or {@code relay}. */
        public String wireName() {
            return wireName;
        }

        /** The type with this wire name, or null. */
        static Type fromWire(String s) {
            for (Type t : values()) {
                if (t.wireName.equals(s)) {
                    return t;
                }
            }
            return null;
        }
    }
}
