package net.ipop.control.logging;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.logging.ConsoleHandler;
import java.util.logging.Formatter;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

import net.ipop.control.config.LogConfig;

/**
 * Sets the node's log levels: the root level and one per component, each component the logger of one package
 * ({@code node} is {@code net.ipop.control.node}, and so on). Records go to standard error, one line each:
 * {@code 2026-11-24T21:40:00.123Z INFO node: link to beta (peer 1) at /198.51.100.2:51820 up}. Nothing in the
 * node logs per packet; per-packet events are counters.
 *
 * <p>Thread-safe (synchronised); called at start and on each reload.
 */
public final class LogLevels {
    /** The package of each component in {@link LogConfig#COMPONENTS}. */
    static final Map<String, String> PACKAGES = Map.of("node", "net.ipop.control.node", "ipc", "net.ipop.control.ipc",
            "signal", "net.ipop.control.signal", "ice", "net.ipop.control.ice", "metrics", "net.ipop.control.metrics",
            "reload", "net.ipop.control.reload");
    private static final DateTimeFormatter TIME = DateTimeFormatter.ISO_INSTANT.withZone(ZoneOffset.UTC);
    /** java.util.logging holds loggers weakly: a level set on one nobody references could be lost. */
    private static final Map<String, Logger> HELD = new HashMap<>();
    private static Handler handler;

    private LogLevels() {
    }

    /**
     * Parses {@code --log-level} arguments: {@code component=level}, or a bare {@code level} for the root.
     *
     * @throws IllegalArgumentException naming the wrong component or level and the choices
     */
    public static Map<String, String> parseOverrides(List<String> arguments) {
        Map<String, String> out = new LinkedHashMap<>();
        for (String a : arguments) {
            int eq = a.indexOf('=');
            String component = eq < 0 ? "" : a.substring(0, eq).strip();
            String level = (eq < 0 ? a : a.substring(eq + 1)).strip().toLowerCase(Locale.ROOT);
            if (!component.isEmpty() && !LogConfig.COMPONENTS.contains(component)) {
                throw new IllegalArgumentException("--log-level " + a + ": unknown component '" + component
                        + "'; use one of " + String.join(", ", LogConfig.COMPONENTS));
            }
            if (!LogConfig.LEVELS.contains(level)) {
                throw new IllegalArgumentException("--log-level " + a + ": unknown level '" + level + "'; use one of "
                        + String.join(", ", LogConfig.LEVELS));
            }
            out.put(component, level);
        }
        return out;
    }

    /**
     * Applies {@code config}, then {@code overrides} on top ({@link #parseOverrides}; key "" is the root level).
     * Returns the effective levels, root first under "".
     */
    public static synchronized Map<String, String> apply(LogConfig config, Map<String, String> overrides) {
        Map<String, String> effective = new LinkedHashMap<>();
        effective.put("", overrides.getOrDefault("", config.level()));
        for (String c : LogConfig.COMPONENTS) {
            String level = overrides.getOrDefault(c, config.components().get(c));
            if (level != null) {
                effective.put(c, level);
            }
        }
        Logger root = Logger.getLogger("");
        if (handler == null) {
            for (Handler h : root.getHandlers()) {
                root.removeHandler(h);
            }
            handler = new ConsoleHandler();
            handler.setFormatter(new OneLine());
            handler.setLevel(Level.ALL);
            root.addHandler(handler);
        }
        root.setLevel(julLevel(effective.get("")));
        for (String c : LogConfig.COMPONENTS) {
            Logger logger = HELD.computeIfAbsent(c, k -> Logger.getLogger(PACKAGES.get(k)));
            String level = effective.get(c);
            logger.setLevel(level == null ? null : julLevel(level));
        }
        return effective;
    }

    /** The java.util.logging level of a config level name (System.Logger's mapping: debug FINE, trace FINER). */
    static Level julLevel(String name) {
        return switch (name) {
            case "off" -> Level.OFF;
            case "error" -> Level.SEVERE;
            case "warning" -> Level.WARNING;
            case "info" -> Level.INFO;
            case "debug" -> Level.FINE;
            case "trace" -> Level.FINER;
            default -> throw new IllegalArgumentException("unknown level " + name);
        };
    }

    /** The component a logger name belongs to, or its last package name for others (ice4j, Smack). */
    static String component(String loggerName) {
        if (loggerName == null) {
            return "";
        }
        for (Map.Entry<String, String> e : PACKAGES.entrySet()) {
            if (loggerName.startsWith(e.getValue() + ".") || loggerName.equals(e.getValue())) {
                return e.getKey();
            }
        }
        return loggerName.substring(loggerName.lastIndexOf('.') + 1);
    }

    /** One line per record: time, level, component, message, then the exception's one-line summary if any. */
    static final class OneLine extends Formatter {
        @Override
        public String format(LogRecord r) {
            StringBuilder b = new StringBuilder(160).append(TIME.format(Instant.ofEpochMilli(r.getMillis())))
                    .append(' ').append(level(r.getLevel())).append(' ').append(component(r.getLoggerName()))
                    .append(": ").append(formatMessage(r));
            if (r.getThrown() != null) {
                b.append(" (").append(r.getThrown()).append(')');
            }
            return b.append('\n').toString();
        }

        private static String level(Level l) {
            int v = l.intValue();
            return v >= Level.SEVERE.intValue() ? "ERROR" : v >= Level.WARNING.intValue() ? "WARNING"
                    : v >= Level.INFO.intValue() ? "INFO" : v >= Level.FINE.intValue() ? "DEBUG" : "TRACE";
        }
    }
}
