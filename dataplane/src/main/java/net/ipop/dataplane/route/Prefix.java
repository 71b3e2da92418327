package net.ipop.dataplane.route;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;

/**
 * An IPv4 or IPv6 prefix in the form the route table keys on: the address as two longs (IPv4 in the
 * low 32 bits of {@code lo}, {@code hi} = 0) with host bits cleared, plus the length.
 *
 * <p>Setup-path value: parsing allocates; lookups never create one.
 */
public record Prefix(boolean ipv6, long hi, long lo, int length) {
    public Prefix {
        int max = ipv6 ? 128 : 32;
        if (length < 0 || length > max) {
            throw new IllegalArgumentException("prefix length " + length + " outside 0.." + max);
        }
        if (ipv6) {
            hi &= mask6Hi(length);
            lo &= mask6Lo(length);
        } else {
            hi = 0;
            lo &= mask4(length);
        }
    }

    /**
     * Parses "192.0.2.0/24", "2001:db8::/32", or a bare address (a host route). The message of the
     * exception names the text and what is wrong, for config errors.
     */
    public static Prefix parse(String text) {
        int slash = text.indexOf('/');
        String addr = slash < 0 ? text : text.substring(0, slash);
        if (addr.isEmpty() || !(addr.indexOf(':') >= 0 || addr.chars().allMatch(c -> c == '.' || Character.isDigit(c)))) {
            throw new IllegalArgumentException("'" + text + "' is not an IP prefix (expected e.g. 192.0.2.0/24 or 2001:db8::/32)");
        }
        InetAddress a;
        try {
            a = InetAddress.getByName(addr); // literal only: checked above, so no DNS lookup happens
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("'" + text + "' is not an IP prefix: " + e.getMessage());
        }
        int len;
        try {
            len = slash < 0 ? (a instanceof Inet6Address ? 128 : 32) : Integer.parseInt(text.substring(slash + 1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("'" + text + "' has a prefix length that is not a number");
        }
        return of(a, len);
    }

    public static Prefix of(InetAddress a, int length) {
        byte[] b = a.getAddress();
        if (a instanceof Inet4Address) {
            return new Prefix(false, 0, toLong(b, 0, 4), length);
        }
        return new Prefix(true, toLong(b, 0, 8), toLong(b, 8, 8), length);
    }

    /** Whether {@code other} lies entirely inside this prefix. */
    public boolean contains(Prefix other) {
        if (other.ipv6 != ipv6 || other.length < length) {
            return false;
        }
        return ipv6
                ? (other.hi & mask6Hi(length)) == hi && (other.lo & mask6Lo(length)) == lo
                : (other.lo & mask4(length)) == lo;
    }

    static long mask4(int length) {
        return length == 0 ? 0 : (0xFFFF_FFFFL << (32 - length)) & 0xFFFF_FFFFL;
    }

    static long mask6Hi(int length) {
        return length == 0 ? 0 : length >= 64 ? -1L : -1L << (64 - length);
    }

    static long mask6Lo(int length) {
        return length <= 64 ? 0 : length == 128 ? -1L : -1L << (128 - length);
    }

    private static long toLong(byte[] b, int off, int n) {
        long v = 0;
        for (int i = 0; i < n; i++) {
            v = (v << 8) | (b[off + i] & 0xFF);
        }
        return v;
    }

    @Override
    public String toString() {
        byte[] b = new byte[ipv6 ? 16 : 4];
        if (ipv6) {
            for (int i = 0; i < 8; i++) {
                b[i] = (byte) (hi >>> (56 - 8 * i));
                b[8 + i] = (byte) (lo >>> (56 - 8 * i));
            }
        } else {
            for (int i = 0; i < 4; i++) {
                b[i] = (byte) (lo >>> (24 - 8 * i));
            }
        }
        try {
            return InetAddress.getByAddress(b).getHostAddress() + "/" + length;
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }
}
