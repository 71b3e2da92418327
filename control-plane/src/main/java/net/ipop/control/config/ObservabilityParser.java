package net.ipop.control.config;

import java.net.InetSocketAddress;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.snakeyaml.engine.v2.nodes.MappingNode;
import org.snakeyaml.engine.v2.nodes.Node;
import org.snakeyaml.engine.v2.nodes.NodeTuple;
import org.snakeyaml.engine.v2.nodes.ScalarNode;
import org.snakeyaml.engine.v2.nodes.Tag;

/** Reads the {@code metrics:} and {@code log:} sections; every problem is reported, nothing thrown. */
final class ObservabilityParser {
    static final List<String> METRICS_KEYS = List.of("listen");
    static final List<String> LOG_KEYS = List.of("level", "components");
    private static final String LISTEN_FIX = "write a literal address and port, e.g. listen: 127.0.0.1:9586";

    private ObservabilityParser() {
    }

    static MetricsConfig metrics(Section top, Problems problems) {
        Node n = top.get("metrics");
        if (n == null || isNull(n)) {
            return MetricsConfig.OFF;
        }
        Section s = Section.open(n, "metrics", problems, METRICS_KEYS);
        if (s == null) {
            return MetricsConfig.OFF;
        }
        String t = s.optionalText("listen", LISTEN_FIX);
        if (t == null) {
            return MetricsConfig.OFF;
        }
        try {
            InetSocketAddress a = Endpoints.parse(t.strip());
            return new MetricsConfig(Optional.of(a));
        } catch (IllegalArgumentException e) {
            problems.at(s.get("listen"), "metrics.listen", e.getMessage().replace("51820", "9586"));
            return MetricsConfig.OFF;
        }
    }

    static LogConfig log(Section top, Problems problems) {
        Node n = top.get("log");
        if (n == null || isNull(n)) {
            return LogConfig.DEFAULT;
        }
        Section s = Section.open(n, "log", problems, LOG_KEYS);
        if (s == null) {
            return LogConfig.DEFAULT;
        }
        String level = LogConfig.LEVELS.get(s.choice("level", LogConfig.LEVELS.indexOf("info"), LogConfig.LEVELS));
        Map<String, String> components = new LinkedHashMap<>();
        Node c = s.get("components");
        if (c != null && !isNull(c)) {
            if (!(c instanceof MappingNode map)) {
                problems.at(c, "log.components", "expected a map like {node: debug}, found " + Section.describe(c));
            } else {
                for (NodeTuple t : map.getValue()) {
                    component(t, components, problems);
                }
            }
        }
        return new LogConfig(level, components);
    }

    private static void component(NodeTuple t, Map<String, String> components, Problems problems) {
        String name = t.getKeyNode() instanceof ScalarNode k ? k.getValue() : "";
        String key = "log.components." + name;
        if (!LogConfig.COMPONENTS.contains(name)) {
            problems.at(t.getKeyNode(), key, "unknown component; " + Suggestions.hint(name, LogConfig.COMPONENTS));
            return;
        }
        if (components.containsKey(name)) {
            problems.at(t.getKeyNode(), key, "duplicate key; keep only one of them");
            return;
        }
        String value = t.getValueNode() instanceof ScalarNode v ? v.getValue() : null;
        if (value == null || !LogConfig.LEVELS.contains(value)) {
            problems.at(t.getValueNode(), key, "unknown level '" + (value == null ? Section.describe(t.getValueNode())
                    : value) + "'; " + Suggestions.hint(value == null ? "" : value, LogConfig.LEVELS));
            return;
        }
        components.put(name, value);
    }

    private static boolean isNull(Node n) {
        return n instanceof ScalarNode s && s.getTag().equals(Tag.NULL);
    }
}
