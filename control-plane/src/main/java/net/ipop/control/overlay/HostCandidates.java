package net.ipop.control.overlay;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * The addresses of the data plane's socket that ICE offers as host candidates: the listen address if one is
 * configured, else every address of every interface that is up, except loopback, link-local, multicast, and the
 * overlay's own interface (its addresses live inside the tunnel and cannot carry the tunnel itself).
 */
final class HostCandidates {
    private HostCandidates() {
    }

    /**
     * @throws IOException if there is no usable address
     */
    static List<InetSocketAddress> of(InetAddress listen, int port, String overlayInterface) throws IOException {
        if (listen != null && !listen.isAnyLocalAddress()) {
            return List.of(new InetSocketAddress(listen, port));
        }
        List<InetSocketAddress> out = new ArrayList<>();
        for (NetworkInterface nif : Collections.list(NetworkInterface.getNetworkInterfaces())) {
            if (!nif.isUp() || nif.isLoopback() || nif.getName().equals(overlayInterface)) {
                continue;
            }
            for (InetAddress a : Collections.list(nif.getInetAddresses())) {
                if (!a.isLinkLocalAddress() && !a.isLoopbackAddress() && !a.isMulticastAddress()) {
                    // Without the scope id a global IPv6 address may carry here: candidates travel without one.
                    out.add(new InetSocketAddress(InetAddress.getByAddress(a.getAddress()), port));
                }
            }
        }
        if (out.isEmpty()) {
            throw new IOException("no usable local address for ICE host candidates (only loopback or link-local)");
        }
        return List.copyOf(out);
    }
}
