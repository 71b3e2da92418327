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
    /**
     * Half the cores, at least 1, at most 16 (1 on a 2-core machine): a pipeline shares its core with the
     * kernel's work on its packets, so more pipelines than half the cores only take time from it
     * (docs/architecture.md, "Several queues").
     */
    public static final int DEFAULT_QUEUES = Math.max(1, Math.min(Runtime.getRuntime().availableProcessors() / 2, 16));

    public InterfaceConfig {
        addresses = List.copyOf(addresses);
    }
}
