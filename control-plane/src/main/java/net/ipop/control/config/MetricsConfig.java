package net.ipop.control.config;

import java.net.InetSocketAddress;
import java.util.Optional;

/**
 * The node's Prometheus endpoint ({@code metrics:} in the config file).
 *
 * @param listen where the node serves {@code GET /metrics}; empty: no endpoint (the default)
 */
public record MetricsConfig(Optional<InetSocketAddress> listen) {
    /** No endpoint. */
    public static final MetricsConfig OFF = new MetricsConfig(Optional.empty());
}
