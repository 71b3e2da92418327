package net.ipop.control.config;

import java.util.List;

import net.ipop.crypto.cert.IpPrefix;

/**
 * The overlay (TUN) interface.
 *
 * @param name      the device name, at most 15 bytes
 * @param addresses our overlay addresses with their subnet lengths (host bits kept); at least one
 * @param mtu       bytes, 576..9000, and at least 1280 when an address is IPv6
 * @param queues    TUN queues, one pipeline each, 1..16
 */
public record InterfaceConfig(String name, List<IpPrefix> addresses, int mtu, int queues) {
    public static final int DEFAULT_MTU = 1420;
    public static final int DEFAULT_QUEUES = 1;

    public InterfaceConfig {
        addresses = List.copyOf(addresses);
    }
}
