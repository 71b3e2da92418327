package net.ipop.cli.demo;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The demo's underlay, built from network namespaces with {@code ip} and {@code nft}:
 * <pre>
 *  site-a 198.51.100.2/25 ── 198.51.100.1 nat-a 203.0.113.11 ──┐
 *                                                              internet: bridge br0, 203.0.113.1/24
 *  site-b 198.51.100.130/25 ─ 198.51.100.129 nat-b 203.0.113.12 ┘  (hub node, Prosody, coturn)
 * </pre>
 * Each NAT masquerades what leaves its WAN side and, like a home router, lets in from the internet only what
 * answers a flow a site opened (conntrack), so nothing on the internet, and neither site, can open a flow to
 * a site. Only documentation ranges are used (RFC 5737), and nothing leaves these namespaces.
 */
final class DemoNetwork {
    static final String INTERNET = DemoResources.PREFIX + "internet";
    static final String INTERNET_ADDRESS = "203.0.113.1";

    /** One site: a host namespace behind a NAT namespace. */
    record Site(String name, String namespace, String natNamespace, String address, String natLanAddress,
                String natWanAddress) {
    }

    static final Site SITE_A = new Site("site-a", DemoResources.PREFIX + "site-a", DemoResources.PREFIX + "nat-a",
            "198.51.100.2", "198.51.100.1", "203.0.113.11");
    static final Site SITE_B = new Site("site-b", DemoResources.PREFIX + "site-b", DemoResources.PREFIX + "nat-b",
            "198.51.100.130", "198.51.100.129", "203.0.113.12");
    private static final int LAN_PREFIX = 25;
    private static final int TIMEOUT_S = 20;

    private DemoNetwork() {
    }

    /** Creates the internet namespace and its bridge. */
    static void buildInternet(DemoResources resources) {
        create(resources, INTERNET);
        Shell.in(INTERNET, TIMEOUT_S, "ip", "link", "add", "br0", "type", "bridge");
        Shell.in(INTERNET, TIMEOUT_S, "ip", "addr", "add", INTERNET_ADDRESS + "/24", "dev", "br0");
        Shell.in(INTERNET, TIMEOUT_S, "ip", "link", "set", "br0", "up");
    }

    /** Creates a site and its NAT, joined to the internet's bridge; {@code dir} receives the NAT's rule file. */
    static void buildSite(DemoResources resources, Site site, String wanPort, Path dir) throws IOException {
        create(resources, site.natNamespace());
        create(resources, site.namespace());
        // WAN: a port of the internet's bridge.
        Shell.in(INTERNET, TIMEOUT_S, "ip", "link", "add", wanPort, "type", "veth", "peer", "name", "wan", "netns",
                site.natNamespace());
        Shell.in(INTERNET, TIMEOUT_S, "ip", "link", "set", wanPort, "master", "br0");
        Shell.in(INTERNET, TIMEOUT_S, "ip", "link", "set", wanPort, "up");
        Shell.in(site.natNamespace(), TIMEOUT_S, "ip", "addr", "add", site.natWanAddress() + "/24", "dev", "wan");
        Shell.in(site.natNamespace(), TIMEOUT_S, "ip", "link", "set", "wan", "up");
        // LAN: the site's only link; its default route is the NAT.
        Shell.in(site.natNamespace(), TIMEOUT_S, "ip", "link", "add", "lan", "type", "veth", "peer", "name", "eth0",
                "netns", site.namespace());
        Shell.in(site.natNamespace(), TIMEOUT_S, "ip", "addr", "add", site.natLanAddress() + "/" + LAN_PREFIX,
                "dev", "lan");
        Shell.in(site.natNamespace(), TIMEOUT_S, "ip", "link", "set", "lan", "up");
        Shell.in(site.namespace(), TIMEOUT_S, "ip", "addr", "add", site.address() + "/" + LAN_PREFIX, "dev", "eth0");
        Shell.in(site.namespace(), TIMEOUT_S, "ip", "link", "set", "eth0", "up");
        Shell.in(site.namespace(), TIMEOUT_S, "ip", "route", "add", "default", "via", site.natLanAddress());
        Shell.in(site.natNamespace(), TIMEOUT_S, "sysctl", "-qw", "net.ipv4.ip_forward=1");
        Path rules = dir.resolve(site.name() + "-nat.nft");
        Files.writeString(rules, """
                # The NAT of %s: masquerade outbound, and let in only replies to flows the site opened.
                table ip nat {
                  chain postrouting {
                    type nat hook postrouting priority srcnat; policy accept;
                    oifname "wan" masquerade
                  }
                }
                table inet filter {
                  chain input {
                    type filter hook input priority filter; policy drop;
                    iif "lo" accept
                  }
                  chain forward {
                    type filter hook forward priority filter; policy drop;
                    ct state established,related accept
                    iifname "lan" oifname "wan" accept
                  }
                }
                """.formatted(site.name()));
        Shell.in(site.natNamespace(), TIMEOUT_S, "nft", "-f", rules.toString());
    }

    private static void create(DemoResources resources, String ns) {
        resources.namespace(ns);
        Shell.run(TIMEOUT_S, "ip", "netns", "add", ns);
        Shell.in(ns, TIMEOUT_S, "ip", "link", "set", "lo", "up");
    }
}
