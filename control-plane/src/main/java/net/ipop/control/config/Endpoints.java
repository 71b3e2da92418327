package net.ipop.control.config;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.regex.Pattern;

/**
 * Literal IP addresses and {@code host:port} endpoints. Host names are refused, never resolved:
 * a DNS lookup while reading the file would make validation depend on the network and could
 * hang; the messages say so.
 */
final class Endpoints {
    /** Four decimal parts, no leading zeros: the BSD forms "192.2" or "010.0.0.1" are not guessed at. */
    private static final Pattern IPV4 = Pattern.compile("(0|[1-9]\\d{0,2})(\\.(0|[1-9]\\d{0,2})){3}");
    private static final Pattern HOST_NAME = Pattern.compile("[A-Za-z0-9.-]*[A-Za-z][A-Za-z0-9.-]*");

    private Endpoints() {
    }

    /** A numeric IPv4 or IPv6 address, or null; never a lookup. */
    static InetAddress literal(String host) {
        try {
            if (host.indexOf(':') >= 0) {
                return Inet6Address.ofLiteral(host);
            }
            return IPV4.matcher(host).matches() ? Inet4Address.ofLiteral(host) : null;
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    /** Why {@code host} is not a literal address, with the fix. */
    static String notLiteral(String host, String example) {
        if (HOST_NAME.matcher(host).matches()) {
            return "'" + host + "' is a host name; write a literal IP address like " + example
                    + " (names are not resolved: no DNS lookups while the file is read)";
        }
        return "'" + host + "' is not an IPv4 or IPv6 address; write it like " + example;
    }

    /**
     * Parses {@code 198.51.100.2:51820} or {@code [2001:db8::2]:51820}.
     *
     * @throws IllegalArgumentException with what is wrong and the right form
     */
    static InetSocketAddress parse(String text) {
        String host;
        String port;
        if (text.startsWith("[")) {
            int close = text.indexOf(']');
            if (close < 0) {
                throw new IllegalArgumentException("'" + text + "' opens '[' but never closes it;"
                        + " write it like [2001:db8::2]:51820");
            }
            host = text.substring(1, close);
            String rest = text.substring(close + 1);
            if (rest.isEmpty()) {
                throw new IllegalArgumentException("'" + text + "' has no port; write it like [" + host + "]:51820");
            }
            if (!rest.startsWith(":")) {
                throw new IllegalArgumentException("'" + text + "': expected ':port' after ']'; write it like ["
                        + host + "]:51820");
            }
            port = rest.substring(1);
            if (host.indexOf(':') < 0) {
                throw new IllegalArgumentException("'" + text + "': brackets are only for IPv6 addresses;"
                        + " write it like 198.51.100.2:51820");
            }
        } else {
            int colon = text.lastIndexOf(':');
            if (colon < 0) {
                throw new IllegalArgumentException("'" + text + "' has no port; write it like " + text + ":51820");
            }
            if (text.indexOf(':') != colon) {
                throw new IllegalArgumentException("'" + text + "': an IPv6 endpoint needs brackets around the"
                        + " address; write it like [2001:db8::2]:51820");
            }
            host = text.substring(0, colon);
            port = text.substring(colon + 1);
        }
        int p = port.matches("\\d{1,5}") ? Integer.parseInt(port) : -1;
        if (p < 1 || p > 65535) {
            throw new IllegalArgumentException("'" + text + "': port '" + port + "' is not a number from 1 to 65535;"
                    + " write it like 198.51.100.2:51820");
        }
        InetAddress address = literal(host);
        if (address == null) {
            throw new IllegalArgumentException(notLiteral(host, host.indexOf(':') >= 0 ? "[2001:db8::2]:51820"
                    : "198.51.100.2:51820"));
        }
        return new InetSocketAddress(address, p);
    }
}
