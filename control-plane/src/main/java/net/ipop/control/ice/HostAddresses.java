package net.ipop.control.ice;

import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/** The host candidate addresses of a socket: its own address, or for the wildcard every usable one. */
final class HostAddresses {
    private HostAddresses() {
    }

    /**
     * {@code bind}'s address with {@code port}, or for a wildcard bind every address of every interface
     * that is up, except loopback, link-local and multicast ones (ICE cannot use them across hosts).
     *
     * @throws IOException if there is none
     */
    static List<InetSocketAddress> of(InetSocketAddress bind, int port) throws IOException {
        if (!bind.getAddress().isAnyLocalAddress()) {
            return List.of(new InetSocketAddress(bind.getAddress(), port));
        }
        List<InetSocketAddress> out = new ArrayList<>();
        for (NetworkInterface nif : Collections.list(NetworkInterface.getNetworkInterfaces())) {
            if (!nif.isUp() || nif.isLoopback()) {
                continue;
            }
            for (InetAddress a : Collections.list(nif.getInetAddresses())) {
                if (!a.isLinkLocalAddress() && !a.isLoopbackAddress() && !a.isMulticastAddress()) {
                    out.add(new InetSocketAddress(a, port));
                }
            }
        }
        if (out.isEmpty()) {
            throw new IOException("no usable local address for ICE host candidates (only loopback or link-local)");
        }
        return List.copyOf(out);
    }

    /** The first of {@code hosts} of {@code peer}'s address family, else the first. */
    static InetSocketAddress sameFamily(List<InetSocketAddress> hosts, InetSocketAddress peer) {
        boolean v4 = peer.getAddress() instanceof Inet4Address;
        for (InetSocketAddress h : hosts) {
            if ((h.getAddress() instanceof Inet4Address) == v4) {
                return h;
            }
        }
        return hosts.getFirst();
    }
}
