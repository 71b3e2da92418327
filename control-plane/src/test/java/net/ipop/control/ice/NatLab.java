package net.ipop.control.ice;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import net.ipop.ffm.testing.TestNamespace;

/**
 * An "internet" namespace running coturn (STUN and TURN over UDP, long-term credentials) and two sites,
 * each behind a NAT namespace of its own:
 * <pre>
 *  site A 192.0.2.2 ── 192.0.2.1 NAT A 203.0.113.2 ──┐
 *                                                    internet: a bridge, 203.0.113.0/24; coturn on .100
 *  site B 198.51.100.2 ─ 198.51.100.1 NAT B 203.0.113.6 ┘
 * </pre>
 * The NATs masquerade what leaves their WAN side: port-preserving (Linux's default, an endpoint-independent
 * mapping) or with a random port per flow (a symmetric NAT). Their input chain drops what is addressed to
 * them, so an early check from the peer cannot leave a conntrack entry that would later push the mapping
 * to another port. What the internet cannot deliver (checks to the sites' private host candidates) it
 * discards silently, as the real one does, and nothing leaves these namespaces. {@link #close()} kills coturn, removes every
 * namespace and the temporary directory, whatever state construction reached.
 */
public final class NatLab implements AutoCloseable {
    public enum Nat { ENDPOINT_INDEPENDENT, SYMMETRIC }

    public static final InetSocketAddress TURN = new InetSocketAddress(address("203.0.113.100"), 3478);
    static final InetSocketAddress SITE_A = new InetSocketAddress(address("192.0.2.2"), 0);
    static final InetSocketAddress SITE_B = new InetSocketAddress(address("198.51.100.2"), 0);
    public static final String TURN_USER = "ipop";

    public final String turnPassword;
    private final List<TestNamespace> namespaces = new ArrayList<>();
    private Path dir;
    private Process turnserver;
    public TestNamespace internet;
    public TestNamespace siteA;
    public TestNamespace siteB;
    private TestNamespace natB;

    private NatLab() {
        byte[] r = new byte[12];
        new SecureRandom().nextBytes(r);
        turnPassword = HexFormat.of().formatHex(r);
    }

    public static NatLab create(Nat nat) throws IOException, InterruptedException {
        NatLab lab = new NatLab();
        try {
            lab.build(nat);
            return lab;
        } catch (IOException | InterruptedException | RuntimeException e) {
            lab.close();
            throw e;
        }
    }

    private TestNamespace ns(String tag) throws IOException {
        TestNamespace ns = TestNamespace.create(tag);
        namespaces.add(ns);
        return ns;
    }

    private void build(Nat nat) throws IOException, InterruptedException {
        internet = ns("inet");
        TestNamespace natA = ns("nata");
        natB = ns("natb");
        siteA = ns("sitea");
        siteB = ns("siteb");
        // The internet is one Ethernet segment (a bridge) that the NATs' WAN sides and coturn share.
        internet.exec("ip", "link", "add", "br0", "type", "bridge");
        internet.exec("ip", "addr", "add", "203.0.113.100/24", "dev", "br0");
        internet.exec("ip", "link", "set", "br0", "up");
        // Like the real internet, the unroutable (the sites' private host candidates) vanishes silently:
        // an ENETUNREACH on a relay socket makes coturn tear the whole allocation down.
        // The default route leads into a veth whose far end discards everything (a gateway MAC nobody has).
        internet.exec("ip", "link", "add", "sink", "type", "veth", "peer", "name", "sink-end");
        internet.exec("ip", "link", "set", "sink-end", "up");
        internet.exec("ip", "link", "set", "sink", "up");
        internet.exec("ip", "neigh", "add", "203.0.113.254", "lladdr", "02:00:00:00:00:01", "dev", "sink",
                "nud", "permanent");
        internet.exec("ip", "route", "add", "default", "via", "203.0.113.254", "dev", "sink", "onlink");
        wan(natA, "wa", "203.0.113.2");
        wan(natB, "wb", "203.0.113.6");
        lan(natA, siteA, "192.0.2.1", "192.0.2.2");
        lan(natB, siteB, "198.51.100.1", "198.51.100.2");
        for (TestNamespace n : List.of(natA, natB)) {
            n.exec("sysctl", "-qw", "net.ipv4.ip_forward=1");
            Path rules = tempDir().resolve(n.name() + ".nft");
            Files.writeString(rules, """
                    table ip nat {
                      chain post {
                        type nat hook postrouting priority srcnat; policy accept;
                        oifname "wan" masquerade%s
                      }
                    }
                    table inet filter {
                      chain input {
                        type filter hook input priority filter; policy drop;
                      }
                    }
                    """.formatted(nat == Nat.SYMMETRIC ? " fully-random" : ""));
            n.exec("nft", "-f", rules.toString());
        }
        startTurnServer();
    }

    /** A veth from the internet's bridge to a NAT's WAN side; the NAT's default route is coturn's host. */
    private void wan(TestNamespace nat, String port, String natAddress) throws IOException {
        internet.exec("ip", "link", "add", port, "type", "veth", "peer", "name", "wan", "netns", nat.name());
        internet.exec("ip", "link", "set", port, "master", "br0");
        internet.exec("ip", "link", "set", port, "up");
        nat.exec("ip", "addr", "add", natAddress + "/24", "dev", "wan");
        nat.exec("ip", "link", "set", "wan", "up");
        nat.exec("ip", "route", "add", "default", "via", "203.0.113.100");
    }

    /**
     * A second host behind NAT B, 198.51.100.3, on a veth of its own (NAT B routes that one address to it; the
     * host reaches NAT B at 198.51.100.1, which holds that address on both LAN sides). It reaches site B only
     * through the NAT, like any host of another site. Removed with the lab.
     */
    public TestNamespace secondHostBehindNatB() throws IOException {
        TestNamespace host = ns("siteb2");
        natB.exec("ip", "link", "add", "lan2", "type", "veth", "peer", "name", "eth0", "netns", host.name());
        natB.exec("ip", "addr", "add", "198.51.100.1/32", "dev", "lan2");
        natB.exec("ip", "link", "set", "lan2", "up");
        natB.exec("ip", "route", "add", "198.51.100.3/32", "dev", "lan2");
        host.exec("ip", "addr", "add", "198.51.100.3/32", "dev", "eth0");
        host.exec("ip", "link", "set", "eth0", "up");
        host.exec("ip", "link", "set", "lo", "up");
        host.exec("ip", "route", "add", "198.51.100.1", "dev", "eth0");
        host.exec("ip", "route", "add", "default", "via", "198.51.100.1");
        return host;
    }

    /** A veth from a NAT's LAN side to its site; the site's default route is the NAT. */
    private static void lan(TestNamespace nat, TestNamespace site, String natAddress, String siteAddress)
            throws IOException {
        nat.exec("ip", "link", "add", "lan", "type", "veth", "peer", "name", "eth0", "netns", site.name());
        nat.exec("ip", "addr", "add", natAddress + "/24", "dev", "lan");
        nat.exec("ip", "link", "set", "lan", "up");
        site.exec("ip", "addr", "add", siteAddress + "/24", "dev", "eth0");
        site.exec("ip", "link", "set", "eth0", "up");
        site.exec("ip", "route", "add", "default", "via", natAddress);
    }

    private Path tempDir() throws IOException {
        if (dir == null) {
            dir = Files.createTempDirectory("ipop-natlab-");
        }
        return dir;
    }

    private void startTurnServer() throws IOException, InterruptedException {
        Path d = tempDir();
        Path conf = d.resolve("turnserver.conf");
        Files.writeString(conf, """
                listening-ip=203.0.113.100
                relay-ip=203.0.113.100
                listening-port=3478
                min-port=49152
                max-port=65535
                realm=ipop.test
                lt-cred-mech
                user=%s:%s
                fingerprint
                no-tcp
                no-tls
                no-dtls
                no-tcp-relay
                no-cli
                no-multicast-peers
                no-software-attribute
                userdb=%s
                pidfile=%s
                log-file=%s
                simple-log
                no-stdout-log
                verbose
                """.formatted(TURN_USER, turnPassword, d.resolve("turndb"), d.resolve("turnserver.pid"),
                d.resolve("turnserver.log")));
        turnserver = internet.start("turnserver", "-c", conf.toString());
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (System.nanoTime() < end) {
            if (!turnserver.isAlive()) {
                throw new IOException("turnserver exited with " + turnserver.exitValue() + ": " + turnLog());
            }
            String sockets = internet.exec("ss", "-uln");
            if (sockets.contains("203.0.113.100:3478")) {
                return;
            }
            Thread.sleep(100);
        }
        throw new IOException("turnserver did not listen within 20 s: " + turnLog());
    }

    /**
     * Kills coturn (SIGKILL: its allocations, permissions and channels are gone with it) and starts it again with the
     * same configuration, returning once it listens again.
     */
    public void restartTurnServer() throws IOException, InterruptedException {
        turnserver.destroyForcibly();
        if (!turnserver.waitFor(10, TimeUnit.SECONDS)) {
            throw new IOException("turnserver survived SIGKILL for 10 s");
        }
        startTurnServer();
    }

    /** coturn's log, for failure messages. */
    public String turnLog() {
        try {
            Path log = dir == null ? null : dir.resolve("turnserver.log");
            return log != null && Files.exists(log) ? Files.readString(log) : "(no log)";
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    IceConfig iceConfig(long consentTimeoutMs) {
        return new IceConfig(List.of(TURN), List.of(new IceConfig.TurnServer(TURN, TURN_USER, turnPassword)),
                consentTimeoutMs);
    }

    private static InetAddress address(String literal) {
        try {
            return InetAddress.getByName(literal);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() throws IOException {
        IOException failure = null;
        if (turnserver != null) {
            turnserver.destroyForcibly();
            try {
                turnserver.waitFor(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        for (TestNamespace n : namespaces.reversed()) {
            try {
                n.close();
            } catch (IOException e) {
                failure = e;
            }
        }
        if (dir != null) {
            try (Stream<Path> files = Files.walk(dir)) {
                for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
            }
        }
        if (failure != null) {
            throw failure;
        }
    }
}
