package net.ipop.crypto.cert;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class IpPrefixTest {
    @Test
    void parsesAndPrintsCanonically() {
        assertEquals("192.0.2.5/24", IpPrefix.parse("192.0.2.5/24").toString());
        assertEquals("2001:db8:1::5/64", IpPrefix.parse("2001:DB8:1:0:0:0:0:5/64").toString());
        assertEquals("2001:db8::1:0:0:1/48", IpPrefix.parse("2001:db8:0:0:1:0:0:1/48").toString());
        assertEquals("::/0", IpPrefix.parse("::/0").toString());
        assertEquals("2001:db8:0:1:1:1:1:1/128", IpPrefix.parse("2001:db8:0:1:1:1:1:1/128").toString());
        assertEquals(IpPrefix.parse("192.0.2.0/24"), IpPrefix.parse("192.0.2.77/24").network());
    }

    @Test
    void rejectsWhatIsNotANumericPrefix() {
        for (String bad : new String[] {"192.0.2.5", "192.0.2.5/33", "192.0.2.5/-1", "192.0.2/24", "localhost/24",
                "2001:db8::/129", "/24", "192.0.2.256/24", "192.0.2.05/24", "example.org/24", "fe80::1%lo/64", "::ffff:192.0.2.1/96", "192.0.2.5/abc"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> IpPrefix.parse(bad), bad);
            assertTrue(e.getMessage().contains("192.0.2.5/24") || e.getMessage().contains("prefix length"),
                    e.getMessage());
        }
    }

    @Test
    void containmentNeedsTheWholeNetworkInside() {
        IpPrefix overlay = IpPrefix.parse("192.0.2.0/24");
        assertTrue(overlay.contains(IpPrefix.parse("192.0.2.5/24")));
        assertTrue(overlay.contains(IpPrefix.parse("192.0.2.5/32")));
        assertFalse(overlay.contains(IpPrefix.parse("192.0.2.5/16")), "a wider subnet claims more than the overlay");
        assertFalse(overlay.contains(IpPrefix.parse("198.51.100.5/24")));
        assertFalse(overlay.contains(IpPrefix.parse("2001:db8:1::5/64")), "other family");
        IpPrefix odd = IpPrefix.parse("192.0.2.0/25");
        assertTrue(odd.contains(IpPrefix.parse("192.0.2.127/32")));
        assertFalse(odd.contains(IpPrefix.parse("192.0.2.128/32")));
        assertTrue(IpPrefix.parse("2001:db8:1::/64").contains(IpPrefix.parse("2001:db8:1::ffff/64")));
        assertFalse(IpPrefix.parse("2001:db8:1::/64").contains(IpPrefix.parse("2001:db8:2::1/64")));
    }
}
