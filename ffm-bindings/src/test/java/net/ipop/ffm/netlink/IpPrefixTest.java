package net.ipop.ffm.netlink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.net.InetAddress;

import org.junit.jupiter.api.Test;

import net.ipop.ffm.libc.Sockets;

class IpPrefixTest {
    @Test
    void parsesBothFamilies() {
        IpPrefix v4 = IpPrefix.parse("192.0.2.1/24");
        assertEquals(InetAddress.ofLiteral("192.0.2.1"), v4.address());
        assertEquals(24, v4.length());
        assertEquals(Sockets.AF_INET, v4.family());
        IpPrefix v6 = IpPrefix.parse("2001:db8::1/64");
        assertEquals(64, v6.length());
        assertEquals(Sockets.AF_INET6, v6.family());
    }

    @Test
    void rejectsWhatCannotBeAPrefix() {
        assertThrows(IllegalArgumentException.class, () -> IpPrefix.parse("192.0.2.1"));
        assertThrows(IllegalArgumentException.class, () -> IpPrefix.parse("192.0.2.1/33"));
        assertThrows(IllegalArgumentException.class, () -> IpPrefix.parse("192.0.2.1/-1"));
        assertThrows(IllegalArgumentException.class, () -> IpPrefix.parse("2001:db8::/129"));
        assertThrows(IllegalArgumentException.class, () -> IpPrefix.parse("192.0.2.1/x"));
        // A host name is not a literal: no DNS lookup may happen.
        assertThrows(IllegalArgumentException.class, () -> IpPrefix.parse("example.com/24"));
    }

    @Test
    void printsIpv6InRfc5952ShortForm() {
        assertEquals("192.0.2.0/24", IpPrefix.parse("192.0.2.0/24").toString());
        assertEquals("2001:db8::1/64", IpPrefix.parse("2001:0DB8:0:0:0:0:0:0001/64").toString());
        assertEquals("::/0", IpPrefix.parse("0:0:0:0:0:0:0:0/0").toString());
        assertEquals("::1/128", IpPrefix.parse("::1/128").toString());
        assertEquals("2001:db8:1::/48", IpPrefix.parse("2001:db8:1:0:0:0:0:0/48").toString());
        // The longest zero run wins; a tie goes to the first; a single zero group stays.
        assertEquals("2001:0:0:1::1/128", IpPrefix.parse("2001:0:0:1:0:0:0:1/128").toString());
        assertEquals("2001:db8::1:0:0:1/128", IpPrefix.parse("2001:db8:0:0:1:0:0:1/128").toString());
        assertEquals("2001:db8:0:1:1:1:1:1/128", IpPrefix.parse("2001:db8:0:1:1:1:1:1/128").toString());
    }
}
