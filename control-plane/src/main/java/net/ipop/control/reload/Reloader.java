package net.ipop.control.reload;

import java.io.IOException;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;

import net.ipop.control.config.ConfigException;
import net.ipop.control.config.ConfigProblem;
import net.ipop.control.config.MetricsConfig;
import net.ipop.control.config.NodeConfig;
import net.ipop.control.config.NodeConfigParser;
import net.ipop.control.logging.LogLevels;
import net.ipop.control.metrics.MetricsServer;
import net.ipop.control.metrics.NodeMetrics;
import net.ipop.control.node.StaticNode;
import net.ipop.control.node.StaticNodeAgent;

/**
 * The node's reloadable settings and what serves them: the config in effect, the log levels, the metrics
 * registry and endpoint, and the link to the running node agent. {@link #reload()} (on SIGHUP) reads the file
 * again; a file with problems changes nothing (each problem is logged); otherwise log levels and the metrics
 * endpoint change at once, peer changes are handed to the node's thread ({@link StaticNode#reconfigure}; an overlay node gets every good
 * reload through its {@link ReloadTarget}), and
 * every changed key that needs a restart is logged as refused ("restart needed") and keeps its running value.
 *
 * <p>Threading: {@link #reload()}, {@link #attach} and {@link #config()} may be called from any thread; reloads
 * are serialised. The node's own state is only touched on its thread.
 */
public final class Reloader implements AutoCloseable {
    private static final Logger LOG = System.getLogger(Reloader.class.getName());

    private final Path file;
    private final Map<String, String> logOverrides;
    private final NodeMetrics metrics = new NodeMetrics();
    private volatile NodeConfig config;
    private StaticNodeAgent agent;
    private ReloadTarget overlay;
    private MetricsServer server;
    private boolean closed;

    /**
     * @param file         the config file, read again on each reload
     * @param initial      the config the node started with
     * @param logOverrides {@code --log-level} settings, which win over the file's at every reload
     */
    public Reloader(Path file, NodeConfig initial, Map<String, String> logOverrides) {
        this.file = file;
        this.config = initial;
        this.logOverrides = Map.copyOf(logOverrides);
    }

    /** Applies the initial log levels and starts the metrics endpoint if configured. */
    public synchronized void start() throws IOException {
        LogLevels.apply(config.log(), logOverrides);
        startMetrics(config.metrics());
    }

    /** The config in effect: the start's, with the reloadable keys of the latest good reload. */
    public NodeConfig config() {
        return config;
    }

    /** The registry the node reports to. */
    public NodeMetrics metrics() {
        return metrics;
    }

    /** Where the metrics endpoint listens, or null if it is off. */
    public synchronized java.net.InetSocketAddress metricsAddress() {
        return server == null ? null : server.address();
    }

    /**
     * The agent of the node now running (null while there is none, between data plane restarts). The node must
     * have been built from {@link #config()}; its metrics hooks are set up on its thread.
     */
    public synchronized void attach(StaticNodeAgent running) {
        agent = running;
        overlay = null;
        if (running != null) {
            running.submit(node -> node.observe(metrics));
        }
    }

    /**
     * The overlay node now running, which applies each reload on its own thread ({@link #attach attach(null)}
     * detaches it). Any thread.
     */
    public synchronized void attachOverlay(ReloadTarget running) {
        overlay = running;
        agent = null;
    }

    /** Reports an overlay node's handshakes, links and ICE states to the metrics; call before its agent starts. */
    public void observe(StaticNode node) {
        node.observe(metrics);
    }

    /** Reads the file again and applies what can be applied. Returns the log lines it wrote (tests). */
    public synchronized List<String> reload() {
        List<String> lines = new ArrayList<>();
        NodeConfig fresh;
        try {
            fresh = NodeConfigParser.parse(file);
        } catch (ConfigException e) {
            for (ConfigProblem p : e.problems()) {
                lines.add(log(Level.ERROR, "reload refused: " + p));
            }
            lines.add(log(Level.ERROR, "reload refused: " + e.problems().size() + " problem(s) in " + file
                    + "; nothing changed"));
            return lines;
        }
        NodeConfig running = config;
        for (String key : ConfigChanges.needingRestart(running, fresh)) {
            lines.add(log(Level.WARNING, "reload: " + key + " changed: restart needed (ipop down, then ipop up);"
                    + " running on with the old value"));
        }
        NodeConfig next = ConfigChanges.applied(running, fresh);
        config = next;
        if (!running.log().equals(next.log())) {
            lines.add(log(Level.INFO, "reload: log levels now " + LogLevels.apply(next.log(), logOverrides)));
        }
        if (!running.metrics().equals(next.metrics())) {
            lines.add(log(Level.INFO, "reload: metrics.listen now " + next.metrics().listen().map(Object::toString)
                    .orElse("off")));
            closeMetrics();
            try {
                startMetrics(next.metrics());
            } catch (IOException e) {
                lines.add(log(Level.ERROR, "reload: " + e.getMessage() + "; metrics are off until the next reload"));
            }
        }
        if (overlay != null) {
            overlay.reload(running, next);
        } else if (!running.peers().equals(next.peers()) && agent != null) {
            agent.submit(node -> {
                for (String change : node.reconfigure(next.peers())) {
                    log(Level.INFO, "reload: " + change);
                }
            });
            lines.add(log(Level.INFO, "reload: peers changed; applying"));
        }
        lines.add(log(Level.INFO, "reload of " + file + " done"));
        return lines;
    }

    private void startMetrics(MetricsConfig m) throws IOException {
        if (m.listen().isPresent() && !closed) {
            server = MetricsServer.start(m.listen().get(), metrics, config.dataPlane().countersFile());
        }
    }

    private void closeMetrics() {
        if (server != null) {
            server.close();
            server = null;
        }
    }

    private static String log(Level level, String line) {
        LOG.log(level, line);
        return line;
    }

    /** Stops the metrics endpoint; later reloads start nothing. */
    @Override
    public synchronized void close() {
        closed = true;
        closeMetrics();
    }

    @Override
    public String toString() {
        return "Reloader[" + Objects.toString(file) + "]";
    }
}
