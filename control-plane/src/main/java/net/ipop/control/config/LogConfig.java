package net.ipop.control.config;

import java.util.List;
import java.util.Map;

/**
 * Log levels ({@code log:} in the config file): one for everything and optional ones per component.
 * Levels are the names of {@link System.Logger.Level} in lower case, or {@code off}.
 *
 * @param level      the level of every component not named in {@code components}
 * @param components component name (one of {@link #COMPONENTS}) to its level, in file order
 */
public record LogConfig(String level, Map<String, String> components) {
    /** The components whose level can be set, each the logger name prefix of one package. */
    public static final List<String> COMPONENTS = List.of("node", "ipc", "signal", "ice", "metrics", "reload");
    /** The level names, most verbose last. */
    public static final List<String> LEVELS = List.of("off", "error", "warning", "info", "debug", "trace");
    /** Everything at info: state changes, never packets. */
    public static final LogConfig DEFAULT = new LogConfig("info", Map.of());

    public LogConfig {
        components = Map.copyOf(components);
    }
}
