package net.ipop.control.metrics;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

import org.HdrHistogram.Histogram;

import net.ipop.ipc.counters.CountersSnapshot;
import net.ipop.ipc.counters.DropReason;
import net.ipop.ipc.counters.GlobalCounter;
import net.ipop.ipc.counters.Liveness;
import net.ipop.ipc.counters.PeerTotals;

/**
 * The metric families of a node, by name, type and help text (docs/operations.md lists them). Traffic and
 * drops come from the data plane's counters file; handshakes and link state from the {@link NodeMetrics}
 * registry. Rendering thread only.
 */
final class Exposition {
    /** Upper bounds of the round-trip buckets, seconds: 100 µs (same host) to 10 s (a retransmitted handshake). */
    static final double[] RTT_BUCKETS_SECONDS = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
        0.1, 0.25, 0.5, 1, 2.5, 5, 10};

    private Exposition() {
    }

    static void counters(PrometheusText out, CountersSnapshot c) {
        out.family("ipop_dataplane_up", "gauge", "1 if the data plane's counters file has a live writer, else 0.");
        out.sample("ipop_dataplane_up", c != null && c.writer().liveness() == Liveness.ALIVE ? 1 : 0);
        if (c == null) {
            return;
        }
        peerCounter(out, c.peers(), "ipop_peer_rx_bytes_total", "Inner (plaintext IP) bytes received from the peer.",
                PeerTotals::rxBytes);
        peerCounter(out, c.peers(), "ipop_peer_tx_bytes_total", "Inner (plaintext IP) bytes sent to the peer.",
                PeerTotals::txBytes);
        peerCounter(out, c.peers(), "ipop_peer_rx_packets_total", "Inner packets received from the peer.",
                PeerTotals::rxPackets);
        peerCounter(out, c.peers(), "ipop_peer_tx_packets_total", "Inner packets sent to the peer"
                + " (after segmentation).", PeerTotals::txPackets);
        out.family("ipop_peer_drops_total", "counter", "Packets of the peer the data plane dropped, by reason.");
        for (PeerTotals p : c.peers()) {
            for (Map.Entry<DropReason, Long> e : p.drops().entrySet()) {
                out.sample("ipop_peer_drops_total", e.getValue(), "peer", p.name(), "reason", e.getKey().key());
            }
        }
        out.family("ipop_drops_total", "counter", "Packets the data plane dropped, node-wide, by reason.");
        for (Map.Entry<DropReason, Long> e : c.drops().entrySet()) {
            out.sample("ipop_drops_total", e.getValue(), "reason", e.getKey().key());
        }
        for (Map.Entry<GlobalCounter, Long> e : c.globals().entrySet()) {
            String name = "ipop_" + e.getKey().key() + "_total";
            out.family(name, "counter", help(e.getKey()));
            out.sample(name, e.getValue());
        }
    }

    static void handshakes(PrometheusText out, Collection<PeerMetrics> all) {
        List<PeerMetrics> peers = new ArrayList<>(all);
        peers.sort(Comparator.comparing(p -> p.name));
        out.family("ipop_handshakes_started_total", "counter", "Handshake attempts begun with the peer"
                + " (retransmitted initiations not counted).");
        for (PeerMetrics p : peers) {
            out.sample("ipop_handshakes_started_total", p.started.getAcquire(), "peer", p.name);
        }
        out.family("ipop_handshakes_completed_total", "counter", "Handshakes with the peer that produced a session,"
                + " as initiator or responder.");
        for (PeerMetrics p : peers) {
            out.sample("ipop_handshakes_completed_total", p.completed.getAcquire(), "peer", p.name);
        }
        out.family("ipop_handshakes_failed_total", "counter", "Handshake attempts given up without an answer"
                + " (90 s of retransmissions).");
        for (PeerMetrics p : peers) {
            out.sample("ipop_handshakes_failed_total", p.failed.getAcquire(), "peer", p.name);
        }
        out.family("ipop_peer_handshake_rtt_seconds", "histogram", "Round trip from our handshake initiation to"
                + " the peer's response (bucket edges within 1%).");
        for (PeerMetrics p : peers) {
            Histogram h = p.cumulative();
            for (double le : RTT_BUCKETS_SECONDS) {
                long micros = Math.round(le * 1e6);
                out.sample("ipop_peer_handshake_rtt_seconds_bucket", h.getCountBetweenValues(0, micros), "peer",
                        p.name, "le", PrometheusText.format(le));
            }
            out.sample("ipop_peer_handshake_rtt_seconds_bucket", h.getTotalCount(), "peer", p.name, "le", "+Inf");
            out.sample("ipop_peer_handshake_rtt_seconds_sum", p.rttSumMicros.getAcquire() / 1e6, "peer", p.name);
            out.sample("ipop_peer_handshake_rtt_seconds_count", h.getTotalCount(), "peer", p.name);
        }
        out.family("ipop_peer_link_state", "gauge", "1 for the peer link's current state, 0 for the others.");
        for (PeerMetrics p : peers) {
            LinkState now = p.state;
            for (LinkState s : LinkState.values()) {
                out.sample("ipop_peer_link_state", s == now ? 1 : 0, "peer", p.name, "state", s.label());
            }
        }
        out.family("ipop_peer_ice_state", "gauge", "1 for an overlay member's current ICE state (checking, direct,"
                + " relayed, failed, unlinked: not a planned neighbour), 0 for the others; static peers have none.");
        for (PeerMetrics p : peers) {
            String ice = p.ice;
            if (ice != null) {
                for (String s : ICE_STATES) {
                    out.sample("ipop_peer_ice_state", s.equals(ice) ? 1 : 0, "peer", p.name, "state", s);
                }
            }
        }
        out.family("ipop_peer_up", "gauge", "1 while the node holds a session with the peer, else 0.");
        for (PeerMetrics p : peers) {
            out.sample("ipop_peer_up", p.state == LinkState.UP ? 1 : 0, "peer", p.name);
        }
    }

    private static void peerCounter(PrometheusText out, List<PeerTotals> peers, String name, String help,
                                    java.util.function.ToLongFunction<PeerTotals> value) {
        out.family(name, "counter", help);
        for (PeerTotals p : peers) {
            out.sample(name, value.applyAsLong(p), "peer", p.name());
        }
    }

    private static final List<String> ICE_STATES = List.of("checking", "direct", "relayed", "failed", "unlinked");

    private static String help(GlobalCounter g) {
        return switch (g) {
            case TUN_READS -> "Reads completed from the TUN queues (a super-packet counts once).";
            case UDP_SENDS -> "UDP send calls completed (a GSO send of many datagrams counts once).";
            case GSO_FALLBACKS -> "Sends the kernel refused with GSO, redone one datagram at a time.";
            case PUNTED -> "Packets handed to the control plane (handshakes, cookies, STUN).";
            case FORWARDED -> "Inner packets relayed from one peer to another inside the data plane.";
            case KEEPALIVES_SENT -> "Keepalives (empty data messages) sent.";
            case BUSY_CYCLES -> "Data-plane pipeline duty cycles that did work.";
            case BUSY_NANOS -> "Nanoseconds the working duty cycles took (divide by busy_cycles for the mean).";
        };
    }
}
