package net.ipop.dataplane.conductor;

import java.util.Map;

import net.ipop.dataplane.ipc.EventProxy;
import net.ipop.dataplane.route.Prefix;
import net.ipop.dataplane.route.RouteTraffic;
import net.ipop.ipc.sbe.AddressFamily;

/**
 * Turns the pipelines' per-route byte counts ({@link RouteTraffic}) into TrafficReport events: every interval it
 * takes each route's bytes since the last look and reports the routes at or above the threshold, naming the
 * prefix, its next-hop peer, the bytes and the interval actually measured. The control plane links on demand
 * to destinations it reaches through forwarding and sees traffic to.
 *
 * <p>Off until {@link #configure} sets a threshold and interval (SetTrafficReport); 0 for either turns it off.
 * A report that could not be offered is counted by the {@link EventProxy} and not repeated: the next interval
 * reports again if the traffic goes on.
 *
 * <p>Threading: conductor thread only, like {@link Conductor} which owns it and its maps. Allocates nothing per
 * poll besides the map iteration (slow path, once per interval).
 */
final class TrafficWatch {
    private final Map<Prefix, Long> routes;
    private final Map<Prefix, RouteTraffic> traffic;
    private final EventProxy events;
    private final byte[] address = new byte[16];
    private long thresholdBytes;
    private long intervalNanos;
    private long lastPollNanos;
    private long reports;

    /**
     * @param routes  the routed prefixes and their next-hop peer ids (the conductor's, read only)
     * @param traffic each routed prefix's counters (the conductor's, read only)
     */
    TrafficWatch(Map<Prefix, Long> routes, Map<Prefix, RouteTraffic> traffic, EventProxy events) {
        this.routes = routes;
        this.traffic = traffic;
        this.events = events;
    }

    /** Reports routes with {@code thresholdBytes} or more per {@code intervalMs} from now on; 0 turns it off. */
    void configure(long thresholdBytes, long intervalMs, long nowNanos) {
        this.thresholdBytes = thresholdBytes;
        this.intervalNanos = thresholdBytes == 0 ? 0 : intervalMs * 1_000_000L;
        this.lastPollNanos = nowNanos;
        // Counting starts now: what was sent before the setting does not fill the first interval.
        for (RouteTraffic t : traffic.values()) {
            t.sinceLast();
        }
    }

    boolean enabled() {
        return intervalNanos > 0;
    }

    /** Reports due routes when an interval has passed; returns the reports sent (or 1 for a quiet interval). */
    int poll(long nowNanos) {
        if (intervalNanos == 0 || nowNanos - lastPollNanos < intervalNanos) {
            return 0;
        }
        long intervalMs = (nowNanos - lastPollNanos) / 1_000_000L;
        lastPollNanos = nowNanos;
        int sent = 0;
        for (Map.Entry<Prefix, RouteTraffic> e : traffic.entrySet()) {
            long bytes = e.getValue().sinceLast();
            Long peerId = routes.get(e.getKey());
            if (bytes >= thresholdBytes && peerId != null) {
                Prefix p = e.getKey();
                fill(p);
                events.trafficReport(p.ipv6() ? AddressFamily.IPV6 : AddressFamily.IPV4, address, p.length(), peerId,
                        bytes, intervalMs);
                reports++;
                sent++;
            }
        }
        return Math.max(sent, 1);
    }

    /** Reports sent so far. */
    long reports() {
        return reports;
    }

    private void fill(Prefix p) {
        if (p.ipv6()) {
            for (int i = 0; i < 8; i++) {
                address[i] = (byte) (p.hi() >>> (56 - 8 * i));
                address[8 + i] = (byte) (p.lo() >>> (56 - 8 * i));
            }
        } else {
            for (int i = 0; i < 4; i++) {
                address[i] = (byte) (p.lo() >>> (24 - 8 * i));
            }
        }
    }
}
