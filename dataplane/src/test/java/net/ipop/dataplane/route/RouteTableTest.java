package net.ipop.dataplane.route;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.util.Random;

import org.junit.jupiter.api.Test;

class RouteTableTest {
    private static int v4(String a) throws Exception {
        return ByteBuffer.wrap(InetAddress.getByName(a).getAddress()).getInt();
    }

    private static long[] v6(String a) throws Exception {
        ByteBuffer b = ByteBuffer.wrap(InetAddress.getByName(a).getAddress());
        return new long[] {b.getLong(), b.getLong()};
    }

    @Test
    void longestPrefixWinsForIpv4() throws Exception {
        RouteTable t = new RouteTable.Builder()
                .add(Prefix.parse("192.0.2.0/24"), 1)
                .add(Prefix.parse("192.0.2.128/25"), 2)
                .add(Prefix.parse("192.0.2.200/32"), 3)
                .build();
        assertEquals(1, t.lookup4(v4("192.0.2.5")));
        assertEquals(2, t.lookup4(v4("192.0.2.129")));
        assertEquals(3, t.lookup4(v4("192.0.2.200")));
        assertEquals(RouteTable.NO_ROUTE, t.lookup4(v4("198.51.100.1")));
    }

    @Test
    void longestPrefixWinsForIpv6() throws Exception {
        RouteTable t = new RouteTable.Builder()
                .add(Prefix.parse("2001:db8::/32"), 1)
                .add(Prefix.parse("2001:db8:1::/48"), 2)
                .add(Prefix.parse("2001:db8:1::77"), 3)
                .build();
        long[] a = v6("2001:db8:2::1");
        assertEquals(1, t.lookup6(a[0], a[1]));
        a = v6("2001:db8:1:5::1");
        assertEquals(2, t.lookup6(a[0], a[1]));
        a = v6("2001:db8:1::77");
        assertEquals(3, t.lookup6(a[0], a[1]));
        a = v6("2001:db9::1");
        assertEquals(RouteTable.NO_ROUTE, t.lookup6(a[0], a[1]));
    }

    @Test
    void defaultRouteAndPrefixesCrossingTheWordBoundary() throws Exception {
        RouteTable t = new RouteTable.Builder()
                .add(Prefix.parse("0.0.0.0/0"), 9)
                .add(Prefix.parse("2001:db8:0:0:8000::/65"), 4)
                .build();
        assertEquals(9, t.lookup4(v4("203.0.113.9")));
        long[] in = v6("2001:db8::8000:0:0:1");
        long[] out = v6("2001:db8::7fff:0:0:1");
        assertEquals(4, t.lookup6(in[0], in[1]));
        assertEquals(RouteTable.NO_ROUTE, t.lookup6(out[0], out[1]));
    }

    @Test
    void rebuildReplacesAndRemoves() throws Exception {
        RouteTable a = new RouteTable.Builder().add(Prefix.parse("192.0.2.0/24"), 1).add(Prefix.parse("198.51.100.0/24"), 2).build();
        RouteTable b = new RouteTable.Builder(a).add(Prefix.parse("192.0.2.0/24"), 7).removeNextHop(2).build();
        assertEquals(1, a.lookup4(v4("192.0.2.1")), "the old snapshot is unchanged");
        assertEquals(7, b.lookup4(v4("192.0.2.1")));
        assertEquals(RouteTable.NO_ROUTE, b.lookup4(v4("198.51.100.1")));
        assertEquals(1, b.routes().size());
    }

    @Test
    void agreesWithLinearScanOnManyRandomRoutes() {
        Random rnd = new Random(42);
        RouteTable.Builder b = new RouteTable.Builder();
        int n = 10_000;
        long[] nets = new long[n];
        int[] lens = new int[n];
        for (int i = 0; i < n; i++) {
            lens[i] = 8 + rnd.nextInt(25);
            Prefix p = new Prefix(false, 0, rnd.nextInt() & 0xFFFF_FFFFL, lens[i]);
            nets[i] = p.lo();
            b.add(p, i);
        }
        RouteTable t = b.build();
        for (int q = 0; q < 20_000; q++) {
            int addr = rnd.nextInt();
            int best = -1;
            int bestLen = -1;
            for (int i = 0; i < n; i++) {
                // A later duplicate prefix replaced an earlier one in the builder, so ">=" keeps the last.
                if (((addr & 0xFFFF_FFFFL) & Prefix.mask4(lens[i])) == nets[i] && lens[i] >= bestLen) {
                    best = i;
                    bestLen = lens[i];
                }
            }
            assertEquals(best, t.lookup4(addr), "address " + Integer.toUnsignedString(addr));
        }
    }

    @Test
    void prefixParsingRejectsBadTextWithItsName() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Prefix.parse("192.0.2.0/33"));
        assertTrue(e.getMessage().contains("33"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Prefix.parse("example.com/24"));
        assertTrue(e.getMessage().contains("example.com/24"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Prefix.parse("192.0.2.0/x"));
        assertTrue(e.getMessage().contains("not a number"), e.getMessage());
    }

    @Test
    void containment() {
        assertTrue(Prefix.parse("192.0.2.0/24").contains(Prefix.parse("192.0.2.7/32")));
        assertFalse(Prefix.parse("192.0.2.0/24").contains(Prefix.parse("192.0.0.0/16")));
        assertFalse(Prefix.parse("192.0.2.0/24").contains(Prefix.parse("2001:db8::1")));
        assertTrue(Prefix.parse("2001:db8::/32").contains(Prefix.parse("2001:db8:5::/48")));
        assertEquals("192.0.2.0/24", Prefix.parse("192.0.2.77/24").toString());
    }
}
