package net.ipop.ffm.netlink;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;

import net.ipop.ffm.libc.Sockets;

/**
 * An IPv4 or IPv6 address with a prefix length, e.g. {@code 192.0.2.1/24} (an interface address)
 * or {@code 198.51.100.0/24} (a route destination). Host bits are kept as given: the kernel wants
 * them for interface addresses and rejects them for route destinations.
 *
 * @param address an {@link Inet4Address} or {@link Inet6Address}
 * @param length  prefix length in bits, 0..32 for IPv4, 0..128 for IPv6
 */
public record IpPrefix(InetAddress address, int length) {
    public IpPrefix {
        if (!(address instanceof Inet4Address) && !(address instanceof Inet6Address)) {
            throw new IllegalArgumentException("not an IPv4 or IPv6 address: " + address);
        }
        int bits = address.getAddress().length * 8;
        if (length < 0 || length > bits) {
            throw new IllegalArgumentException("prefix length " + length + " out of 0.." + bits + " for " + address);
        }
    }

    /** Parses {@code "ADDRESS/LENGTH"} with a literal address (never a host name: no DNS lookup). */
    public static IpPrefix parse(String text) {
        int slash = text.indexOf('/');
        if (slash < 0) {
            throw new IllegalArgumentException("expected ADDRESS/LENGTH, got \"" + text + "\"");
        }
        int length;
        try {
            length = Integer.parseInt(text.substring(slash + 1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("bad prefix length in \"" + text + "\"", e);
        }
        return new IpPrefix(InetAddress.ofLiteral(text.substring(0, slash)), length);
    }

    /** {@code AF_INET} or {@code AF_INET6}. */
    public int family() {
        return familyOf(address);
    }

    static int familyOf(InetAddress address) {
        return address instanceof Inet4Address ? Sockets.AF_INET : Sockets.AF_INET6;
    }

    /**
     * The address of {@code family} in network-order {@code bytes} as the kernel sent it. IPv4-mapped
     * IPv6 stays IPv6 ({@link InetAddress#getByAddress(byte[])} would turn it into IPv4).
     */
    static InetAddress inetAddress(int family, byte[] bytes) {
        try {
            return family == Sockets.AF_INET6
                    ? Inet6Address.getByAddress(null, bytes, -1)
                    : InetAddress.getByAddress(bytes);
        } catch (UnknownHostException e) {
            throw new IllegalStateException("kernel sent a " + bytes.length + "-byte address for family " + family, e);
        }
    }

    /** {@code ADDRESS/LENGTH}, IPv6 in the RFC 5952 short form ({@code 2001:db8::1/64}). */
    @Override
    public String toString() {
        return text(address) + "/" + length;
    }

    /**
     * An address as people write it: dotted IPv4, or IPv6 in RFC 5952 form (lower case, no
     * leading zeros, the longest run of two or more zero groups, the first if tied, as "::").
     * {@link InetAddress#getHostAddress} never shortens IPv6.
     */
    static String text(InetAddress address) {
        byte[] b = address.getAddress();
        if (b.length == 4) {
            return address.getHostAddress();
        }
        int[] groups = new int[8];
        for (int i = 0; i < 8; i++) {
            groups[i] = ((b[2 * i] & 0xff) << 8) | (b[2 * i + 1] & 0xff);
        }
        int bestStart = -1;
        int bestLength = 1;
        for (int i = 0; i < 8; ) {
            int j = i;
            while (j < 8 && groups[j] == 0) {
                j++;
            }
            if (j - i > bestLength) {
                bestStart = i;
                bestLength = j - i;
            }
            i = j == i ? i + 1 : j;
        }
        StringBuilder text = new StringBuilder(39);
        for (int i = 0; i < 8; i++) {
            if (i == bestStart) {
                text.append("::");
                i += bestLength - 1;
                continue;
            }
            if (text.length() > 0 && text.charAt(text.length() - 1) != ':') {
                text.append(':');
            }
            text.append(Integer.toHexString(groups[i]));
        }
        return text.toString();
    }
}
