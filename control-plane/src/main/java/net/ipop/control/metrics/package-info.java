/**
 * The node's Prometheus endpoint: {@link net.ipop.control.metrics.NodeMetrics} is the registry the node's thread
 * writes (handshakes, round trips, link state), {@link net.ipop.control.metrics.MetricsServer} serves
 * {@code GET /metrics} from its own thread, reading the registry and the data plane's counters file at each
 * scrape. Nothing here runs per packet: traffic and drops are the data plane's counters, read only when scraped.
 */
package net.ipop.control.metrics;
