package net.ipop.control.ipc;

import java.net.Inet4Address;
import java.net.InetAddress;

/** An overlay address of the interface with its prefix length, for {@link CommandProxy#configureInterface}. */
public record OverlayAddress(InetAddress address, int prefixLength) {
    public OverlayAddress {
        int max = address instanceof Inet4Address ? 32 : 128;
        if (prefixLength < 0 || prefixLength > max) {
            throw new IllegalArgumentException("prefix length " + prefixLength + " out of 0.." + max);
        }
    }
}
