package net.ipop.cli;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.DatagramChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import net.ipop.crypto.aead.AeadImplementation;
import net.ipop.ffm.libc.ErrnoException;
import net.ipop.ffm.libc.Libc;
import net.ipop.ffm.netlink.IpPrefix;
import net.ipop.ffm.netlink.Route;
import net.ipop.ffm.netlink.RtnetlinkClient;
import net.ipop.ffm.netns.NetNamespace;
import net.ipop.ffm.tun.TunDevice;
import net.ipop.ffm.tun.TunOffload;
import net.ipop.ffm.udp.MessageBatch;
import net.ipop.ffm.udp.UdpSocket;
import net.ipop.ffm.uring.IoUring;
import net.ipop.ffm.uring.UringAvailability;

/**
 * The checks behind {@code ipop doctor}. {@link #run} must be called on a thread of its own: it
 * moves that thread into a new anonymous network namespace first, so everything it creates lives
 * and dies there, and the host's network is never touched.
 */
final class KernelChecks {
    /** CAP_NET_ADMIN's bit in /proc/self/status CapEff (linux/capability.h). */
    private static final int CAP_NET_ADMIN = 12;
    private static final String TUN_ADDRESS = "192.0.2.1";
    private static final String FAR_ADDRESS = "192.0.2.2";
    private static final ValueLayout.OfInt BE_INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);

    private final List<Check> checks = new ArrayList<>();

    List<Check> run() {
        checks.add(java());
        checks.add(cipher());
        Check privileges = privileges();
        checks.add(privileges);
        if (privileges.status() == Check.Status.FAIL) {
            return checks;
        }
        try {
            NetNamespace.enterNew();
            checks.add(Check.ok("network namespace", "checks run in a private namespace; the host is untouched"));
        } catch (ErrnoException e) {
            // Without a private namespace every later check would change the host: stop here.
            checks.add(Check.fail("network namespace", e.getMessage(), "the kernel needs CONFIG_NET_NS"));
            return checks;
        }
        try (RtnetlinkClient netlink = RtnetlinkClient.open()) {
            netlink.linkUp("lo");
            udpOffloads();
            tunChecks(netlink);
        } catch (ErrnoException e) {
            checks.add(Check.fail("rtnetlink", e.getMessage(), "IPOP configures interfaces over rtnetlink"));
        }
        return checks;
    }

    private void tunChecks(RtnetlinkClient netlink) {
        TunDevice tun;
        try {
            tun = TunDevice.tun().name("ipopdoc%d").open();
            checks.add(Check.ok("tun device", tun.name() + " from /dev/net/tun"));
        } catch (ErrnoException | RuntimeException e) {
            checks.add(Check.fail("tun device", e.getMessage(),
                    "load the tun module (modprobe tun) and make sure /dev/net/tun exists"));
            return;
        }
        try (tun) {
            multiQueue();
            offloads();
            IpPrefix address = IpPrefix.parse(TUN_ADDRESS + "/24");
            netlink.addAddress(tun.name(), address, true);
            netlink.linkUp(tun.name());
            netlink.addRoute(IpPrefix.parse("198.51.100.0/24"), tun.name(), null, Route.PROTO_IPOP);
            checks.add(Check.ok("rtnetlink", "address " + address + ", link up, route 198.51.100.0/24 on " + tun.name()));
            roundTrip(tun);
        } catch (ErrnoException | RuntimeException e) {
            checks.add(Check.fail("rtnetlink", e.getMessage(), "IPOP configures interfaces over rtnetlink"));
        }
    }

    /**
     * One GSO send of {@code SEGMENTS} datagrams to a socket with GRO on, over this namespace's
     * loopback: the batching the data plane relies on for its UDP side.
     */
    private void udpOffloads() {
        final int segments = 8;
        final int size = 1200;
        try (UdpSocket rx = UdpSocket.open(StandardProtocolFamily.INET);
             UdpSocket tx = UdpSocket.open(StandardProtocolFamily.INET);
             MessageBatch out = new MessageBatch(1, segments * size);
             MessageBatch in = new MessageBatch(4, 65536)) {
            rx.setGro(true);
            rx.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            out.setLength(0, segments * size);
            out.setSegmentSize(0, size);
            out.remote(0).set(new InetSocketAddress(InetAddress.getLoopbackAddress(), rx.localPort()));
            tx.send(out, 0, 1);
            int bytes = 0;
            int gro = 0;
            long deadline = System.nanoTime() + 2_000_000_000L;
            while (bytes < segments * size && System.nanoTime() < deadline) {
                if (!rx.awaitReadable(200)) {
                    continue;
                }
                int n = rx.receive(in);
                for (int i = 0; i < n; i++) {
                    bytes += in.length(i);
                    gro = Math.max(gro, in.segmentSize(i));
                }
            }
            if (bytes != segments * size) {
                checks.add(Check.fail("udp gso/gro", "sent " + segments * size + " bytes, received " + bytes, ""));
            } else if (tx.gsoRefused()) {
                checks.add(Check.warn("udp gso/gro", "the kernel refused UDP_SEGMENT; segments were sent one by one",
                        "IPOP still works, with one system call per datagram"));
            } else if (gro != size) {
                checks.add(Check.warn("udp gso/gro", "GSO works; GRO did not coalesce (segment size " + gro + ")",
                        "IPOP still works, with one receive per datagram"));
            } else {
                checks.add(Check.ok("udp gso/gro", segments + " x " + size + " B in one send, coalesced on receive"));
            }
        } catch (IOException | RuntimeException e) {
            checks.add(Check.fail("udp gso/gro", String.valueOf(e.getMessage()), ""));
        }
    }

    private void multiQueue() {
        try (TunDevice mq = TunDevice.tun().name("ipopdocmq%d").queues(2).open()) {
            checks.add(Check.ok("multi-queue tun", mq.queueCount() + " queues on " + mq.name()));
        } catch (ErrnoException | RuntimeException e) {
            checks.add(Check.warn("multi-queue tun", e.getMessage(), "IPOP runs with one queue (queues: 1)"));
        }
    }

    private void offloads() {
        try (TunDevice v = TunDevice.tun().name("ipopdocv%d").vnetHeader(true).offloads(TunOffload.ALL).open()) {
            int got = v.offloads();
            if ((got & (TunOffload.TSO4 | TunOffload.TSO6)) == 0) {
                checks.add(Check.warn("tun offloads", "only " + TunOffload.describe(got),
                        "without TSO the kernel hands over one packet per read: slower, still correct"));
            } else {
                checks.add(Check.ok("tun offloads", "virtio-net header with " + TunOffload.describe(got)));
            }
        } catch (ErrnoException | RuntimeException e) {
            checks.add(Check.warn("tun offloads", e.getMessage(), "IPOP runs without the virtio-net header"));
        }
    }

    /**
     * Sends a UDP datagram from a socket into the TUN device, reads it from the device (through
     * io_uring when the kernel allows it), writes the mirrored reply back, and receives it on the
     * socket: the whole kernel path a node uses, without any peer.
     */
    private void roundTrip(TunDevice tun) {
        UringAvailability uring = IoUring.probe();
        if (uring.available()) {
            checks.add(Check.ok("io_uring", "available"));
        } else {
            checks.add(Check.warn("io_uring", uring.reason(), "IPOP falls back to plain read/write system calls"));
        }
        try (Arena arena = Arena.ofConfined();
             DatagramChannel socket = DatagramChannel.open(StandardProtocolFamily.INET);
             Selector selector = Selector.open()) {
            socket.bind(new InetSocketAddress(InetAddress.getByName(TUN_ADDRESS), 0));
            socket.configureBlocking(false);
            socket.register(selector, SelectionKey.OP_READ);
            byte[] probe = "ipop doctor".getBytes(StandardCharsets.US_ASCII);
            long start = System.nanoTime();
            socket.send(ByteBuffer.wrap(probe), new InetSocketAddress(InetAddress.getByName(FAR_ADDRESS), 9));

            MemorySegment packet = arena.allocate(2048);
            int n = readProbe(tun, packet, uring.available());
            if (n <= 0) {
                checks.add(Check.fail("packet round trip", "nothing arrived on the TUN device within 2 s",
                        "check that nothing (firewall, rp_filter) drops packets towards " + FAR_ADDRESS));
                return;
            }
            mirrorUdp(packet);
            if (tun.queue(0).write(packet, n) != n) {
                checks.add(Check.fail("packet round trip", "the TUN device refused the reply", ""));
                return;
            }
            ByteBuffer reply = ByteBuffer.allocate(2048);
            if (selector.select(2000) == 0 || socket.receive(reply) == null) {
                checks.add(Check.fail("packet round trip", "the reply written to the TUN device did not reach the socket",
                        "check rp_filter and firewall rules inside network namespaces"));
                return;
            }
            double ms = (System.nanoTime() - start) / 1e6;
            checks.add(Check.ok("packet round trip", String.format(Locale.ROOT,
                    "UDP through %s and back in %.2f ms (%s)", tun.name(), ms, uring.available() ? "io_uring" : "read/write")));
        } catch (IOException | RuntimeException e) {
            checks.add(Check.fail("packet round trip", String.valueOf(e.getMessage()), ""));
        }
    }

    /**
     * Reads from the device until our IPv4/UDP probe shows up, for at most 2 s. Other packets (the
     * kernel's own IPv6 router solicitations, for one) are skipped. Returns the probe's length or 0.
     */
    private static int readProbe(TunDevice tun, MemorySegment packet, boolean useUring) throws IOException {
        long deadline = System.nanoTime() + 2_000_000_000L;
        int far = ByteBuffer.wrap(InetAddress.getByName(FAR_ADDRESS).getAddress()).getInt();
        try (IoUring ring = useUring ? IoUring.open(8) : null) {
            long[] userData = new long[1];
            int[] res = new int[1];
            int[] flags = new int[1];
            while (System.nanoTime() < deadline) {
                int n;
                if (ring != null) {
                    ring.prepRead(tun.queue(0).fd(), packet, (int) packet.byteSize(), -1, 1);
                    ring.submitAndWait(1, 200_000_000L);
                    n = ring.drain(userData, res, flags, 1) == 1 ? res[0] : 0;
                    if (n == 0) {
                        continue; // the READ stays queued in the ring and completes on a later wait
                    }
                } else {
                    n = tun.queue(0).awaitReadable(200) ? tun.queue(0).read(packet) : Libc.WOULD_BLOCK;
                }
                if (n >= 28 && (packet.get(ValueLayout.JAVA_BYTE, 0) & 0xF0) == 0x40
                        && packet.get(ValueLayout.JAVA_BYTE, 9) == 17
                        && packet.get(BE_INT, 16) == far) {
                    return n;
                }
            }
        }
        return 0;
    }

    /** Swaps addresses and ports of an IPv4/UDP packet in place; the checksums stay valid under a swap. */
    private static void mirrorUdp(MemorySegment p) {
        int ihl = (p.get(ValueLayout.JAVA_BYTE, 0) & 0x0F) * 4;
        int src = p.get(ValueLayout.JAVA_INT_UNALIGNED, 12);
        p.set(ValueLayout.JAVA_INT_UNALIGNED, 12, p.get(ValueLayout.JAVA_INT_UNALIGNED, 16));
        p.set(ValueLayout.JAVA_INT_UNALIGNED, 16, src);
        short sport = p.get(ValueLayout.JAVA_SHORT_UNALIGNED, ihl);
        p.set(ValueLayout.JAVA_SHORT_UNALIGNED, ihl, p.get(ValueLayout.JAVA_SHORT_UNALIGNED, ihl + 2));
        p.set(ValueLayout.JAVA_SHORT_UNALIGNED, ihl + 2, sport);
    }

    private static Check java() {
        Runtime.Version v = Runtime.version();
        return v.feature() >= 25 ? Check.ok("java", v + " (" + System.getProperty("java.vm.vendor") + ")")
                : Check.fail("java", v.toString(), "IPOP needs Java 25 or newer");
    }

    /** Which library the transport's AEAD goes through here; the slow fallbacks get a hint. */
    private static Check cipher() {
        String detail = AeadImplementation.describe();
        return switch (AeadImplementation.aes256gcm()) {
            case "JDK" -> Check.warn("transport cipher", detail,
                    "install libssl3 (and libgcrypt20): the JDK's cipher allocates for every packet");
            case "OpenSSL" -> Check.warn("transport cipher", detail, "for faster aes256gcm install libgcrypt20, and"
                    + " libipsec-mb1 on a CPU with AVX-512 and VAES");
            default -> Check.ok("transport cipher", detail);
        };
    }

    private static Check privileges() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("CapEff:")) {
                    long caps = Long.parseUnsignedLong(line.substring(7).trim(), 16);
                    if ((caps & (1L << CAP_NET_ADMIN)) != 0) {
                        return Check.ok("privileges", "CAP_NET_ADMIN held");
                    }
                    return Check.fail("privileges", "CAP_NET_ADMIN missing",
                            "run as root (sudo ./ipop doctor) or grant CAP_NET_ADMIN");
                }
            }
        } catch (IOException | NumberFormatException e) {
            return Check.warn("privileges", "cannot read /proc/self/status: " + e.getMessage(), "");
        }
        return Check.warn("privileges", "no CapEff line in /proc/self/status", "");
    }
}
