package net.ipop.control.metrics;

import java.io.IOException;
import java.io.OutputStream;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import net.ipop.ipc.counters.CountersFileReader;
import net.ipop.ipc.counters.CountersSnapshot;

/**
 * Serves {@code GET /metrics} (Prometheus text format 0.0.4) with the JDK's HTTP server on one daemon thread of
 * its own. Each scrape reads the {@link NodeMetrics} registry and the data plane's counters file (reopened when
 * a restarted data plane replaced it; absent while no data plane runs: then only {@code ipop_dataplane_up 0}
 * and the registry). Anything but GET or HEAD is answered 405, other paths 404.
 */
public final class MetricsServer implements AutoCloseable {
    private static final Logger LOG = System.getLogger(MetricsServer.class.getName());

    private final HttpServer server;
    private final ExecutorService executor;
    private final NodeMetrics metrics;
    private final Path countersFile;
    // HTTP thread only.
    private CountersFileReader reader;
    private String lastProblem;

    private MetricsServer(HttpServer server, NodeMetrics metrics, Path countersFile) {
        this.server = server;
        this.metrics = metrics;
        this.countersFile = countersFile;
        this.executor = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "ipop-metrics");
            t.setDaemon(true);
            return t;
        });
    }

    /**
     * Binds {@code listen} and starts serving.
     *
     * @throws IOException if the address cannot be bound (in use, not local); the message names it
     */
    public static MetricsServer start(InetSocketAddress listen, NodeMetrics metrics, Path countersFile)
            throws IOException {
        HttpServer http;
        try {
            http = HttpServer.create(listen, 16);
        } catch (IOException e) {
            throw new IOException("cannot serve metrics on " + listen + ": " + e.getMessage(), e);
        }
        MetricsServer s = new MetricsServer(http, metrics, countersFile);
        http.createContext("/", s::handle);
        http.setExecutor(s.executor);
        http.start();
        LOG.log(Level.INFO, "serving metrics on http://{0}:{1}/metrics", s.address().getHostString(),
                Integer.toString(s.address().getPort()));
        return s;
    }

    /** The bound address (the port the kernel chose for port 0). */
    public InetSocketAddress address() {
        InetSocketAddress a = server.getAddress();
        return a.getAddress().isAnyLocalAddress() ? a
                : new InetSocketAddress(a.getAddress().getHostAddress(), a.getPort());
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            String method = exchange.getRequestMethod();
            if (!exchange.getRequestURI().getPath().equals("/metrics")) {
                reply(exchange, 404, "text/plain; charset=utf-8", "not found; metrics are at /metrics\n", true);
            } else if (!method.equals("GET") && !method.equals("HEAD")) {
                exchange.getResponseHeaders().set("Allow", "GET, HEAD");
                reply(exchange, 405, "text/plain; charset=utf-8", "use GET\n", true);
            } else {
                reply(exchange, 200, PrometheusText.CONTENT_TYPE, metrics.render(counters()), method.equals("GET"));
            }
        }
    }

    private static void reply(HttpExchange exchange, int status, String type, String body, boolean withBody)
            throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", type);
        exchange.sendResponseHeaders(status, withBody ? bytes.length : -1);
        if (withBody) {
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(bytes);
            }
        }
    }

    /** The counters now, or null while there is no readable file (the problem is logged once per change). */
    private CountersSnapshot counters() {
        try {
            if (reader == null || reader.isReplaced()) {
                reader = CountersFileReader.open(countersFile);
            }
            lastProblem = null;
            return reader.snapshot(System.currentTimeMillis());
        } catch (IOException e) {
            reader = null;
            String problem = e instanceof NoSuchFileException ? countersFile + " does not exist (no data plane)"
                    : e.getMessage();
            if (!problem.equals(lastProblem)) {
                lastProblem = problem;
                LOG.log(Level.WARNING, "metrics without the data plane''s counters: {0}", problem);
            }
            return null;
        }
    }

    /** Stops serving at once and ends the thread. */
    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }
}
