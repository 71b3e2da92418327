package net.ipop.ffm.netlink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import net.ipop.ffm.libc.Errno;
import net.ipop.ffm.libc.ErrnoException;
import net.ipop.ffm.libc.Sockets;
import net.ipop.ffm.testing.Privileged;
import net.ipop.ffm.testing.TestNamespace;

/**
 * Drives the client against the real kernel in throw-away namespaces and checks both directions:
 * what the client configures, {@code ip -j} sees, and what {@code ip} configures, the client reads.
 *
 * <p>Each client is opened on the namespace's own thread (so its socket lives there) and then used
 * from the test thread, which also shows that the socket keeps its namespace.
 */
@Privileged
@Timeout(60)
class RtnetlinkClientTest {
    private static final IpPrefix V4 = IpPrefix.parse("192.0.2.1/24");
    private static final IpPrefix V6 = IpPrefix.parse("2001:db8::1/64");

    @Test
    void linkUpDownMtuAndStateBothWays() throws Exception {
        try (TestNamespace ns = TestNamespace.create("nl");
             RtnetlinkClient rt = openIn(ns)) {
            ns.exec("ip", "link", "add", "v0", "type", "veth", "peer", "name", "v1");

            LinkState initial = rt.link("v0");
            assertEquals("v0", initial.name());
            assertEquals(ipInt(ns.exec("ip", "-j", "link", "show", "v0"), "ifindex"), initial.ifindex());
            assertEquals(initial.ifindex(), rt.ifindex("v0"));
            assertFalse(initial.isUp());
            assertEquals(1500, initial.mtu());
            // Operational state is set by the kernel's linkwatch, which may lag by up to a second.
            waitForOperState(rt, "v0", OperState.DOWN);

            rt.setMtu("v0", 1400);
            rt.linkUp("v0");
            String ip = ns.exec("ip", "-j", "link", "show", "v0");
            assertEquals(1400, ipInt(ip, "mtu"));
            assertTrue(ipFlags(ip).contains("\"UP\""), ip);
            LinkState up = rt.link("v0");
            assertTrue(up.isUp());
            assertEquals(1400, up.mtu());
            // The peer is still down, so there is no carrier.
            assertFalse(up.isRunning());
            waitForOperState(rt, "v0", OperState.LOWERLAYERDOWN);

            // The other direction: ip changes, the client reads.
            ns.exec("ip", "link", "set", "v1", "up");
            ns.exec("ip", "link", "set", "v0", "mtu", "1300");
            LinkState carrier = waitForOperState(rt, "v0", OperState.UP);
            assertTrue(carrier.isRunning());
            assertTrue(carrier.isLowerUp());
            assertEquals(1300, carrier.mtu());

            rt.linkDown("v0");
            ip = ns.exec("ip", "-j", "link", "show", "v0");
            assertFalse(ipFlags(ip).contains("\"UP\""), ip);
            assertFalse(rt.link("v0").isUp());
        }
    }

    @Test
    void addrGenModeNoneKeepsTheKernelFromMakingALinkLocalAddress() throws Exception {
        try (TestNamespace ns = TestNamespace.create("nlg");
             RtnetlinkClient rt = openIn(ns)) {
            ns.exec("ip", "link", "add", "v0", "type", "veth", "peer", "name", "v1");
            rt.setIpv6AddressGeneration("v0", false);
            assertTrue(ns.exec("ip", "-d", "link", "show", "v0").contains("addrgenmode none"),
                    ns.exec("ip", "-d", "link", "show", "v0"));
            assertTrue(ns.exec("ip", "-d", "link", "show", "v1").contains("addrgenmode eui64"));
            rt.linkUp("v0");
            rt.linkUp("v1");
            // v1, left at the default, gets its fe80:: address as soon as it is up (tentative at first);
            // by then v0 would have had one too.
            long deadline = System.nanoTime() + 5_000_000_000L;
            while (!ns.exec("ip", "-6", "addr", "show", "dev", "v1").contains("fe80::")) {
                assertTrue(System.nanoTime() < deadline, "v1 never got a link-local address");
                Thread.sleep(20);
            }
            assertEquals(List.of(), rt.addresses("v0"), ns.exec("ip", "addr", "show", "dev", "v0"));
            // Explicit IPv6 addresses still work on it.
            rt.addAddress("v0", V6, true);
            assertEquals(List.of(V6), rt.addresses("v0"));

            rt.setIpv6AddressGeneration("v0", true);
            assertTrue(ns.exec("ip", "-d", "link", "show", "v0").contains("addrgenmode eui64"));

            // Below the IPv6 minimum MTU the link has no IPv6 to configure: a clear error, not silence.
            rt.setMtu("v1", 1200);
            ErrnoException e = assertThrows(ErrnoException.class, () -> rt.setIpv6AddressGeneration("v1", false));
            assertTrue(e.getMessage().contains("rtnetlink set addrgenmode none on v1"), e.getMessage());
            System.out.println("addrgenmode on a link without IPv6: " + e.getMessage());
            ErrnoException unknown = assertThrows(ErrnoException.class,
                    () -> rt.setIpv6AddressGeneration("nosuch0", false));
            assertTrue(unknown.is(Errno.ENODEV), unknown.getMessage());
        }
    }

    @Test
    void addListAndRemoveAddressesBothFamilies() throws Exception {
        try (TestNamespace ns = TestNamespace.create("nl");
             RtnetlinkClient rt = openIn(ns)) {
            ns.exec("ip", "link", "add", "v0", "type", "veth", "peer", "name", "v1");
            rt.addAddress("v0", V4);
            rt.addAddress("v0", V6, true);

            String ip = ns.exec("ip", "-j", "addr", "show", "dev", "v0");
            assertTrue(ip.contains("\"local\":\"192.0.2.1\",\"prefixlen\":24"), ip);
            assertTrue(ip.contains("\"local\":\"2001:db8::1\",\"prefixlen\":64"), ip);
            assertFalse(ip.contains("tentative"), "IFA_F_NODAD must skip DAD: " + ip);
            List<IpPrefix> listed = rt.addresses("v0");
            assertTrue(listed.contains(V4), listed.toString());
            assertTrue(listed.contains(V6), listed.toString());

            // Added by ip, seen by the client; and only this link's addresses are listed.
            ns.exec("ip", "addr", "add", "192.0.2.77/25", "dev", "v0");
            ns.exec("ip", "addr", "add", "192.0.2.200/24", "dev", "v1");
            listed = rt.addresses("v0");
            assertTrue(listed.contains(IpPrefix.parse("192.0.2.77/25")), listed.toString());
            assertFalse(listed.contains(IpPrefix.parse("192.0.2.200/24")), listed.toString());

            rt.removeAddress("v0", V4);
            rt.removeAddress("v0", V6);
            ip = ns.exec("ip", "-j", "addr", "show", "dev", "v0");
            assertFalse(ip.contains("\"192.0.2.1\""), ip);
            assertFalse(ip.contains("\"2001:db8::1\""), ip);
            listed = rt.addresses("v0");
            assertFalse(listed.contains(V4), listed.toString());
            assertFalse(listed.contains(V6), listed.toString());
        }
    }

    @Test
    void addAndRemoveRoutesBothFamilies() throws Exception {
        try (TestNamespace ns = TestNamespace.create("nl");
             RtnetlinkClient rt = openIn(ns)) {
            ns.exec("ip", "link", "add", "v0", "type", "veth", "peer", "name", "v1");
            // Routes need an up device, and a gateway needs a route to it.
            rt.linkUp("v0");
            rt.addAddress("v0", V6, true);
            int v0 = rt.ifindex("v0");
            IpPrefix onLink4 = IpPrefix.parse("198.51.100.0/24");
            IpPrefix viaGw4 = IpPrefix.parse("203.0.113.0/24");
            IpPrefix onLink6 = IpPrefix.parse("2001:db8:1::/48");
            InetAddress gw4 = InetAddress.ofLiteral("198.51.100.1");

            rt.addRoute(onLink4, "v0", null, Route.PROTO_IPOP);
            rt.addRoute(viaGw4, "v0", gw4, Route.PROTO_STATIC);
            rt.addRoute(onLink6, "v0", null, Route.PROTO_IPOP);

            String ip4 = ns.exec("ip", "-j", "route", "show", "table", "main");
            assertTrue(ip4.contains("{\"dst\":\"198.51.100.0/24\",\"dev\":\"v0\",\"protocol\":\"112\",\"scope\":\"link\""),
                    ip4);
            assertTrue(ip4.contains("{\"dst\":\"203.0.113.0/24\",\"gateway\":\"198.51.100.1\",\"dev\":\"v0\","
                    + "\"protocol\":\"static\""), ip4);
            String ip6 = ns.exec("ip", "-6", "-j", "route", "show", "table", "main");
            assertTrue(ip6.contains("{\"dst\":\"2001:db8:1::/48\",\"dev\":\"v0\",\"protocol\":\"112\""), ip6);

            List<Route> routes4 = rt.routes(Sockets.AF_INET);
            assertTrue(routes4.contains(new Route(onLink4, v0, null, Route.PROTO_IPOP)), routes4.toString());
            assertTrue(routes4.contains(new Route(viaGw4, v0, gw4, Route.PROTO_STATIC)), routes4.toString());
            List<Route> routes6 = rt.routes(Sockets.AF_INET6);
            assertTrue(routes6.contains(new Route(onLink6, v0, null, Route.PROTO_IPOP)), routes6.toString());

            // Added by ip, seen by the client with its protocol.
            ns.exec("ip", "route", "add", "198.51.100.128/25", "dev", "v0", "proto", "static");
            assertTrue(rt.routes(Sockets.AF_INET).contains(
                    new Route(IpPrefix.parse("198.51.100.128/25"), v0, null, Route.PROTO_STATIC)));

            rt.removeRoute(viaGw4, "v0", gw4, Route.PROTO_STATIC);
            rt.removeRoute(onLink4, "v0", null, Route.PROTO_IPOP);
            rt.removeRoute(onLink6, "v0", null, Route.PROTO_IPOP);
            ip4 = ns.exec("ip", "-j", "route", "show", "table", "main");
            assertFalse(ip4.contains("\"198.51.100.0/24\""), ip4);
            assertFalse(ip4.contains("\"203.0.113.0/24\""), ip4);
            assertTrue(ip4.contains("\"198.51.100.128/25\""), ip4);
            ip6 = ns.exec("ip", "-6", "-j", "route", "show", "table", "main");
            assertFalse(ip6.contains("\"2001:db8:1::/48\""), ip6);
            assertFalse(rt.routes(Sockets.AF_INET6).contains(new Route(onLink6, v0, null, Route.PROTO_IPOP)));
        }
    }

    @Test
    void aDumpSpanningManyDatagramsIsReadToTheEnd() throws Exception {
        try (TestNamespace ns = TestNamespace.create("nl");
             RtnetlinkClient rt = openIn(ns)) {
            ns.exec("ip", "link", "add", "v0", "type", "veth", "peer", "name", "v1");
            rt.linkUp("v0");
            // About 150 bytes per IPv6 route message: 1000 of them need several 32 KiB datagrams.
            int count = 1000;
            for (int i = 0; i < count; i++) {
                rt.addRoute(IpPrefix.parse("2001:db8:1::" + Integer.toHexString(i + 1) + "/128"), "v0", null,
                        Route.PROTO_IPOP);
            }
            int v0 = rt.ifindex("v0");
            List<Route> ours = rt.routes(Sockets.AF_INET6).stream()
                    .filter(r -> r.protocol() == Route.PROTO_IPOP)
                    .toList();
            assertEquals(count, ours.size());
            assertEquals(count, ours.stream().map(Route::destination).distinct().count());
            assertTrue(ours.stream().allMatch(r -> r.ifindex() == v0 && r.destination().length() == 128));
            assertEquals(count, ns.exec("ip", "-6", "route", "show", "proto", "112").lines().count());
        }
    }

    @Test
    void duplicatesAbsentObjectsAndUnknownLinksGiveClearErrors() throws Exception {
        try (TestNamespace ns = TestNamespace.create("nl");
             RtnetlinkClient rt = openIn(ns)) {
            ns.exec("ip", "link", "add", "v0", "type", "veth", "peer", "name", "v1");
            rt.linkUp("v0");
            rt.addAddress("v0", V4);
            rt.addAddress("v0", V6, true);
            IpPrefix dst4 = IpPrefix.parse("198.51.100.0/24");
            IpPrefix dst6 = IpPrefix.parse("2001:db8:1::/48");
            rt.addRoute(dst4, "v0", null, Route.PROTO_IPOP);
            rt.addRoute(dst6, "v0", null, Route.PROTO_IPOP);

            ErrnoException dupAddress = assertThrows(ErrnoException.class, () -> rt.addAddress("v0", V4));
            assertEquals(Errno.EEXIST, dupAddress.errno());
            assertTrue(dupAddress.getMessage().startsWith("rtnetlink add address 192.0.2.1/24 on v0"),
                    dupAddress.getMessage());
            assertTrue(dupAddress.getMessage().contains("File exists"), dupAddress.getMessage());
            assertTrue(dupAddress.getMessage().contains("EEXIST"), dupAddress.getMessage());
            assertEquals(Errno.EEXIST, assertThrows(ErrnoException.class,
                    () -> rt.addAddress("v0", V6, true)).errno());

            ErrnoException dupRoute = assertThrows(ErrnoException.class,
                    () -> rt.addRoute(dst4, "v0", null, Route.PROTO_IPOP));
            assertEquals(Errno.EEXIST, dupRoute.errno());
            assertTrue(dupRoute.getMessage().startsWith("rtnetlink add route 198.51.100.0/24 dev v0 proto 112"),
                    dupRoute.getMessage());
            assertEquals(Errno.EEXIST, assertThrows(ErrnoException.class,
                    () -> rt.addRoute(dst6, "v0", null, Route.PROTO_IPOP)).errno());

            ErrnoException unknown = assertThrows(ErrnoException.class, () -> rt.link("nosuch0"));
            assertEquals(Errno.ENODEV, unknown.errno());
            assertTrue(unknown.getMessage().contains("nosuch0"), unknown.getMessage());
            assertEquals(Errno.ENODEV, assertThrows(ErrnoException.class, () -> rt.linkUp("nosuch0")).errno());
            assertEquals(Errno.ENODEV, assertThrows(ErrnoException.class, () -> rt.setMtu("nosuch0", 1400)).errno());
            ErrnoException unknownAdd = assertThrows(ErrnoException.class,
                    () -> rt.addAddress("nosuch0", IpPrefix.parse("192.0.2.9/24")));
            assertEquals(Errno.ENODEV, unknownAdd.errno());
            assertTrue(unknownAdd.getMessage().startsWith("rtnetlink add address 192.0.2.9/24 on nosuch0: "),
                    unknownAdd.getMessage());
            assertEquals(Errno.ENODEV, assertThrows(ErrnoException.class,
                    () -> rt.addRoute(IpPrefix.parse("203.0.113.0/24"), "nosuch0", null, Route.PROTO_IPOP)).errno());
            assertThrows(IllegalArgumentException.class, () -> rt.link("a-name-far-too-long"));

            // Absent objects: the kernel's own errno, with the object named.
            ErrnoException noAddress = assertThrows(ErrnoException.class,
                    () -> rt.removeAddress("v0", IpPrefix.parse("192.0.2.99/24")));
            assertEquals(Errno.EADDRNOTAVAIL, noAddress.errno());
            assertTrue(noAddress.getMessage().startsWith("rtnetlink remove address 192.0.2.99/24 from v0"),
                    noAddress.getMessage());
            assertEquals(Errno.EADDRNOTAVAIL, assertThrows(ErrnoException.class,
                    () -> rt.removeAddress("v0", IpPrefix.parse("2001:db8::99/64"))).errno());
            ErrnoException noRoute = assertThrows(ErrnoException.class,
                    () -> rt.removeRoute(IpPrefix.parse("203.0.113.0/24"), "v0", null, Route.PROTO_IPOP));
            assertEquals(Errno.ESRCH, noRoute.errno());
            assertTrue(noRoute.getMessage().startsWith("rtnetlink remove route 203.0.113.0/24 dev v0 proto 112"),
                    noRoute.getMessage());
            assertEquals(Errno.ESRCH, assertThrows(ErrnoException.class,
                    () -> rt.removeRoute(IpPrefix.parse("2001:db8:2::/48"), "v0", null, Route.PROTO_IPOP)).errno());
            // Our protocol number protects routes installed by others from removal.
            assertEquals(Errno.ESRCH, assertThrows(ErrnoException.class,
                    () -> rt.removeRoute(dst4, "v0", null, Route.PROTO_STATIC)).errno());

            // A value the device rejects: the kernel's extended-ack text is part of the message.
            ErrnoException badMtu = assertThrows(ErrnoException.class, () -> rt.setMtu("v0", 10));
            assertEquals(Errno.EINVAL, badMtu.errno());
            assertTrue(badMtu.getMessage().startsWith("rtnetlink set mtu 10 on v0 (kernel: "), badMtu.getMessage());

            // After all these errors the client is still in step with the kernel.
            assertTrue(rt.link("v0").isUp());
            assertTrue(rt.addresses("v0").contains(V4));
        }
    }

    @Test
    @Timeout(90)
    void vethBetweenTwoNamespacesConfiguredByTheClientCarriesPing() throws Exception {
        try (TestNamespace a = TestNamespace.create("nla");
             TestNamespace b = TestNamespace.create("nlb");
             RtnetlinkClient rtA = openIn(a);
             RtnetlinkClient rtB = openIn(b)) {
            a.exec("ip", "link", "add", "va", "type", "veth", "peer", "name", "vb", "netns", b.name());
            // Each client sees only its own namespace, though both are used from this thread.
            assertEquals(Errno.ENODEV, assertThrows(ErrnoException.class, () -> rtA.link("vb")).errno());
            assertEquals(Errno.ENODEV, assertThrows(ErrnoException.class, () -> rtB.link("va")).errno());

            rtA.addAddress("va", IpPrefix.parse("192.0.2.1/24"));
            rtA.addAddress("va", IpPrefix.parse("2001:db8::1/64"), true);
            rtA.linkUp("va");
            rtB.addAddress("vb", IpPrefix.parse("192.0.2.2/24"));
            rtB.addAddress("vb", IpPrefix.parse("2001:db8::2/64"), true);
            rtB.linkUp("vb");
            // Addresses behind b, reachable from a only through routes the client installs.
            rtB.addAddress("lo", IpPrefix.parse("198.51.100.1/32"));
            rtB.addAddress("lo", IpPrefix.parse("2001:db8:1::1/128"), true);
            rtA.addRoute(IpPrefix.parse("198.51.100.0/24"), "va", InetAddress.ofLiteral("192.0.2.2"), Route.PROTO_IPOP);
            rtA.addRoute(IpPrefix.parse("2001:db8:1::/48"), "va", InetAddress.ofLiteral("2001:db8::2"),
                    Route.PROTO_IPOP);

            waitForOperState(rtA, "va", OperState.UP);
            assertPing(a, "192.0.2.2");
            assertPing(a, "2001:db8::2");
            assertPing(a, "198.51.100.1");
            assertPing(a, "2001:db8:1::1");
        }
    }

    private static RtnetlinkClient openIn(TestNamespace ns) throws Exception {
        return ns.call(RtnetlinkClient::open);
    }

    private static void assertPing(TestNamespace ns, String address) throws Exception {
        TestNamespace.Cmd.Result r = ns.execAllowingFailure(15, "ping", "-c1", "-W", "5", address);
        assertEquals(0, r.exitCode(), "ping " + address + ": " + r.output());
        assertTrue(r.output().contains("1 received"), r.output());
    }

    /** Operational state follows carrier asynchronously (linkwatch), so poll for it. */
    private static LinkState waitForOperState(RtnetlinkClient rt, String link, OperState wanted) throws Exception {
        long deadline = System.nanoTime() + 10_000_000_000L;
        LinkState state = rt.link(link);
        while (state.operState() != wanted && System.nanoTime() < deadline) {
            Thread.sleep(20);
            state = rt.link(link);
        }
        assertEquals(wanted, state.operState(), state.toString());
        return state;
    }

    private static int ipInt(String json, String key) {
        Matcher m = Pattern.compile("\"" + key + "\":(\\d+)").matcher(json);
        assertTrue(m.find(), key + " in " + json);
        return Integer.parseInt(m.group(1));
    }

    private static String ipFlags(String json) {
        Matcher m = Pattern.compile("\"flags\":\\[([^\\]]*)\\]").matcher(json);
        assertTrue(m.find(), "flags in " + json);
        return m.group(1);
    }
}
