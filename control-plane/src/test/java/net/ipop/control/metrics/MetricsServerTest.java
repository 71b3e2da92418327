package net.ipop.control.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.agrona.concurrent.SystemEpochClock;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import net.ipop.dataplane.stats.CountersFileWriter;
import net.ipop.dataplane.stats.PipelineCounters;
import net.ipop.ipc.counters.DropReason;
import net.ipop.ipc.counters.GlobalCounter;

/** The endpoint over real HTTP on loopback, with a counters file written by the data plane's own writer. */
class MetricsServerTest {
    private static final long MS = 1_000_000L;

    @TempDir
    Path dir;

    private final HttpClient http = HttpClient.newHttpClient();

    private HttpResponse<String> get(MetricsServer s, String path, String method) throws Exception {
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + s.address().getPort() + path))
                .method(method, HttpRequest.BodyPublishers.noBody()).build();
        return http.send(request, HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void scrapeShowsCountersHandshakesRoundTripsAndLinkState() throws Exception {
        Path file = dir.resolve("ipop0.counters");
        NodeMetrics metrics = new NodeMetrics();
        metrics.peers(List.of("beta", "gamma", "delta"));
        metrics.handshakeStarted("beta");
        metrics.handshakeCompleted("beta", 3 * MS);
        metrics.handshakeStarted("beta");
        metrics.handshakeCompleted("beta", 40 * MS);
        metrics.handshakeCompleted("beta", -1);
        metrics.linkChanged("beta", true);
        metrics.iceState("beta", "checking");
        metrics.iceState("beta", "relayed");
        metrics.iceState("delta", "direct");
        metrics.iceState("delta", "unlinked");
        metrics.handshakeStarted("gamma");
        metrics.handshakeFailed("gamma");
        try (CountersFileWriter writer = CountersFileWriter.create(file, 1, 8, SystemEpochClock.INSTANCE);
             MetricsServer server = MetricsServer.start(new InetSocketAddress("127.0.0.1", 0), metrics, file)) {
            writer.addPeer(0, 1, "beta");
            writer.addPeer(1, 2, "gamma");
            PipelineCounters p = writer.pipeline(0);
            p.peerReceived(0, 7, 7000);
            p.peerSent(0, 5, 5000);
            p.peerDropped(0, DropReason.REPLAY);
            p.drop(DropReason.NO_ROUTE, 3);
            p.count(GlobalCounter.PUNTED, 4);
            writer.doWork();

            HttpResponse<String> r = get(server, "/metrics", "GET");
            assertEquals(200, r.statusCode());
            assertEquals("text/plain; version=0.0.4; charset=utf-8", r.headers().firstValue("Content-Type")
                    .orElseThrow());
            String text = r.body();
            for (String line : List.of(
                    "# TYPE ipop_peer_rx_bytes_total counter",
                    "ipop_dataplane_up 1",
                    "ipop_peer_rx_bytes_total{peer=\"beta\"} 7000",
                    "ipop_peer_rx_packets_total{peer=\"beta\"} 7",
                    "ipop_peer_tx_bytes_total{peer=\"beta\"} 5000",
                    "ipop_peer_tx_packets_total{peer=\"beta\"} 5",
                    "ipop_peer_rx_bytes_total{peer=\"gamma\"} 0",
                    "ipop_peer_drops_total{peer=\"beta\",reason=\"replay\"} 1",
                    "ipop_drops_total{reason=\"no_route\"} 3",
                    "ipop_punted_total 4",
                    "ipop_handshakes_started_total{peer=\"beta\"} 2",
                    "ipop_handshakes_completed_total{peer=\"beta\"} 3",
                    "ipop_handshakes_failed_total{peer=\"gamma\"} 1",
                    "# TYPE ipop_peer_handshake_rtt_seconds histogram",
                    "ipop_peer_handshake_rtt_seconds_bucket{peer=\"beta\",le=\"0.001\"} 0",
                    "ipop_peer_handshake_rtt_seconds_bucket{peer=\"beta\",le=\"0.005\"} 1",
                    "ipop_peer_handshake_rtt_seconds_bucket{peer=\"beta\",le=\"0.05\"} 2",
                    "ipop_peer_handshake_rtt_seconds_bucket{peer=\"beta\",le=\"+Inf\"} 2",
                    "ipop_peer_handshake_rtt_seconds_count{peer=\"beta\"} 2",
                    "ipop_peer_handshake_rtt_seconds_sum{peer=\"beta\"} 0.043",
                    "ipop_peer_handshake_rtt_seconds_count{peer=\"gamma\"} 0",
                    "ipop_peer_link_state{peer=\"beta\",state=\"up\"} 1",
                    "ipop_peer_link_state{peer=\"beta\",state=\"down\"} 0",
                    "ipop_peer_ice_state{peer=\"beta\",state=\"relayed\"} 1",
                    "ipop_peer_ice_state{peer=\"beta\",state=\"checking\"} 0",
                    "ipop_peer_ice_state{peer=\"delta\",state=\"unlinked\"} 1",
                    "ipop_peer_ice_state{peer=\"delta\",state=\"direct\"} 0",
                    "ipop_peer_up{peer=\"gamma\"} 0")) {
                assertTrue(text.lines().anyMatch(line::equals), "missing '" + line + "' in\n" + text);
            }
            assertFalse(text.contains("ipop_peer_ice_state{peer=\"gamma\""), "a peer without ICE has no ICE state");
            assertWellFormed(text);

            // Cumulative: a second scrape keeps the earlier round trips and adds the new one.
            metrics.handshakeCompleted("beta", 2_000 * MS);
            String again = get(server, "/metrics", "GET").body();
            assertTrue(again.contains("ipop_peer_handshake_rtt_seconds_bucket{peer=\"beta\",le=\"0.05\"} 2\n"), again);
            assertTrue(again.contains("ipop_peer_handshake_rtt_seconds_count{peer=\"beta\"} 3\n"), again);

            // A peer removed by a reload leaves the endpoint.
            metrics.peers(List.of("beta"));
            assertFalse(get(server, "/metrics", "GET").body().contains("gamma\"} 0\nipop_handshakes"));
            assertFalse(get(server, "/metrics", "GET").body().contains("ipop_handshakes_failed_total{peer=\"gamma\"}"));

            assertEquals(405, get(server, "/metrics", "POST").statusCode());
            assertEquals(404, get(server, "/", "GET").statusCode());
            HttpResponse<String> head = get(server, "/metrics", "HEAD");
            assertEquals(200, head.statusCode());
            assertEquals("", head.body());
        }
    }

    @Test
    void withoutACountersFileOnlyTheRegistryAndDataplaneDown() throws Exception {
        NodeMetrics metrics = new NodeMetrics();
        metrics.peers(List.of("beta"));
        try (MetricsServer server = MetricsServer.start(new InetSocketAddress("127.0.0.1", 0), metrics,
                dir.resolve("none.counters"))) {
            String text = get(server, "/metrics", "GET").body();
            assertTrue(text.contains("\nipop_dataplane_up 0\n") || text.startsWith("# HELP ipop_dataplane_up"), text);
            assertTrue(text.contains("ipop_dataplane_up 0\n"), text);
            assertFalse(text.contains("ipop_peer_rx_bytes_total"), text);
            assertTrue(text.contains("ipop_handshakes_started_total{peer=\"beta\"} 0\n"), text);
            assertWellFormed(text);
        }
    }

    @Test
    void aPortInUseIsAnErrorNamingTheAddress() throws Exception {
        try (MetricsServer first = MetricsServer.start(new InetSocketAddress("127.0.0.1", 0), new NodeMetrics(),
                dir.resolve("x"))) {
            IOException e = org.junit.jupiter.api.Assertions.assertThrows(IOException.class, () -> MetricsServer.start(
                    first.address(), new NodeMetrics(), dir.resolve("x")));
            assertTrue(e.getMessage().startsWith("cannot serve metrics on /127.0.0.1:" + first.address().getPort()),
                    e.getMessage());
        }
    }

    @Test
    void labelValuesAreEscaped() {
        String text = new PrometheusText().family("x", "gauge", "h").sample("x", 1.5, "peer", "a\"b\\c\nd").toString();
        assertEquals("# HELP x h\n# TYPE x gauge\nx{peer=\"a\\\"b\\\\c\\nd\"} 1.5\n", text);
    }

    /**
     * Every sample belongs to the family its HELP and TYPE lines opened (histogram samples by suffix), every name
     * follows Prometheus naming, counters end in _total, and no family is declared twice.
     */
    private static void assertWellFormed(String text) {
        Pattern sample = Pattern.compile("([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{[^}]*\\})? (\\S+)");
        String family = null;
        String type = null;
        java.util.Set<String> declared = new java.util.HashSet<>();
        for (String line : text.lines().toList()) {
            if (line.startsWith("# HELP ")) {
                family = line.split(" ")[2];
                assertTrue(declared.add(family), "declared twice: " + family);
                continue;
            }
            if (line.startsWith("# TYPE ")) {
                String[] f = line.split(" ");
                assertEquals(family, f[2], line);
                type = f[3];
                if (type.equals("counter")) {
                    assertTrue(family.endsWith("_total"), family);
                }
                continue;
            }
            Matcher m = sample.matcher(line);
            assertTrue(m.matches(), "not a sample line: " + line);
            String name = m.group(1);
            if ("histogram".equals(type)) {
                assertTrue(name.equals(family + "_bucket") || name.equals(family + "_sum")
                        || name.equals(family + "_count"), line);
            } else {
                assertEquals(family, name, line);
            }
            String value = m.group(3);
            assertTrue(value.equals("+Inf") || value.matches("-?\\d+(\\.\\d+)?(E-?\\d+)?"), line);
        }
    }
}
