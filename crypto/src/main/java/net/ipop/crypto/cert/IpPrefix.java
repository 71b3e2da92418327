package net.ipop.crypto.cert;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Arrays;

/**
 * An IPv4 or IPv6 address with a prefix length, as written {@code 192.0.2.5/24} or
 * {@code 2001:db8:1::5/64}. A node certificate uses it for "this host address, on this subnet";
 * the CA certificate uses it for the overlay's prefixes. Host bits are kept (a node's address is
 * not its network), so {@link #network()} gives the prefix with them cleared.
 *
 * <p>Immutable; the address bytes are copied in and out.
 */
public final class IpPrefix {
    private final byte[] address;
    private final int prefixLength;

    private IpPrefix(byte[] address, int prefixLength) {
        this.address = address;
        this.prefixLength = prefixLength;
    }

    /**
     * Builds a prefix from raw address bytes (4 or 16, network order) and a length.
     *
     * @throws IllegalArgumentException if the address size or the length is out of range
     */
    public static IpPrefix of(byte[] address, int prefixLength) {
        if (address.length != 4 && address.length != 16) {
            throw new IllegalArgumentException("an address has 4 (IPv4) or 16 (IPv6) bytes, not " + address.length);
        }
        if (prefixLength < 0 || prefixLength > address.length * 8) {
            throw new IllegalArgumentException("prefix length " + prefixLength + " is out of range 0.."
                    + address.length * 8);
        }
        return new IpPrefix(address.clone(), prefixLength);
    }

    /**
     * Parses {@code address/length}. Only numeric addresses are accepted (never a DNS lookup).
     *
     * @throws IllegalArgumentException naming what is wrong, with an example of the right form
     */
    public static IpPrefix parse(String text) {
        int slash = text.indexOf('/');
        if (slash < 0) {
            throw new IllegalArgumentException("'" + text + "' has no prefix length; write it like 192.0.2.5/24 or 2001:db8::5/64");
        }
        String host = text.substring(0, slash);
        String len = text.substring(slash + 1);
        byte[] addr = parseNumericAddress(host);
        if (addr == null) {
            throw new IllegalArgumentException("'" + host + "' is not a numeric IPv4 or IPv6 address; write it like 192.0.2.5/24 or 2001:db8::5/64");
        }
        int max = addr.length * 8;
        int length;
        try {
            length = len.isEmpty() || len.length() > 3 ? -1 : Integer.parseInt(len);
        } catch (NumberFormatException e) {
            length = -1;
        }
        if (length < 0 || length > max) {
            throw new IllegalArgumentException("'" + text + "': the prefix length must be a number from 0 to " + max);
        }
        return new IpPrefix(addr, length);
    }

    /**
     * Returns 4 or 16 bytes, or null. Uses the literal-only parsers: InetAddress.getByName would
     * fall back to a DNS lookup for text that is not a valid literal (e.g. 192.0.2.256).
     */
    private static byte[] parseNumericAddress(String host) {
        boolean v6 = host.indexOf(':') >= 0;
        // Exactly four decimal parts without leading zeros: "010" or "192.2" are ambiguous, not typos to guess at.
        if (!v6 && !host.matches("(0|[1-9]\\d{0,2})(\\.(0|[1-9]\\d{0,2})){3}")) {
            return null;
        }
        try {
            byte[] b = (v6 ? Inet6Address.ofLiteral(host) : Inet4Address.ofLiteral(host)).getAddress();
            // An IPv4-mapped IPv6 literal comes back as 4 bytes; keep the family the user wrote.
            return v6 && b.length == 4 ? null : b;
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    /** The address bytes (4 or 16), host bits included; a copy. */
    public byte[] address() {
        return address.clone();
    }

    public int prefixLength() {
        return prefixLength;
    }

    public boolean isIpv4() {
        return address.length == 4;
    }

    /** The same prefix with the host bits cleared. */
    public IpPrefix network() {
        byte[] n = address.clone();
        for (int bit = prefixLength; bit < n.length * 8; bit++) {
            n[bit >>> 3] &= (byte) ~(0x80 >>> (bit & 7));
        }
        return new IpPrefix(n, prefixLength);
    }

    /**
     * True if every address of {@code other}'s network lies inside this prefix: same family, a
     * length at least ours, and the same leading {@code prefixLength} bits.
     */
    public boolean contains(IpPrefix other) {
        if (other.address.length != address.length || other.prefixLength < prefixLength) {
            return false;
        }
        int fullBytes = prefixLength >>> 3;
        for (int i = 0; i < fullBytes; i++) {
            if (address[i] != other.address[i]) {
                return false;
            }
        }
        int rest = prefixLength & 7;
        if (rest == 0) {
            return true;
        }
        int mask = (0xff << (8 - rest)) & 0xff;
        return ((address[fullBytes] ^ other.address[fullBytes]) & mask) == 0;
    }

    /** The address as InetAddress (numeric, no lookup). */
    public InetAddress inetAddress() {
        try {
            return InetAddress.getByAddress(address);
        } catch (UnknownHostException e) {
            throw new AssertionError("4 or 16 bytes are always a valid address", e);
        }
    }

    @Override
    public String toString() {
        return formatAddress(address) + "/" + prefixLength;
    }

    /** Dotted quad, or IPv6 in the RFC 5952 canonical form (longest zero run as "::", lower case). */
    static String formatAddress(byte[] a) {
        if (a.length == 4) {
            return (a[0] & 0xff) + "." + (a[1] & 0xff) + "." + (a[2] & 0xff) + "." + (a[3] & 0xff);
        }
        int[] g = new int[8];
        for (int i = 0; i < 8; i++) {
            g[i] = ((a[2 * i] & 0xff) << 8) | (a[2 * i + 1] & 0xff);
        }
        int bestStart = -1;
        int bestLen = 1; // RFC 5952: a single zero group is not shortened
        for (int i = 0; i < 8; ) {
            int j = i;
            while (j < 8 && g[j] == 0) {
                j++;
            }
            if (j - i > bestLen) {
                bestStart = i;
                bestLen = j - i;
            }
            i = j == i ? i + 1 : j;
        }
        StringBuilder sb = new StringBuilder(39);
        for (int i = 0; i < 8; i++) {
            if (i == bestStart) {
                sb.append("::");
                i += bestLen - 1;
                continue;
            }
            if (sb.length() > 0 && sb.charAt(sb.length() - 1) != ':') {
                sb.append(':');
            }
            sb.append(Integer.toHexString(g[i]));
        }
        return sb.toString();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof IpPrefix p && p.prefixLength == prefixLength && Arrays.equals(p.address, address);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(address) * 31 + prefixLength;
    }
}
