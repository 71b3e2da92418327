package net.ipop.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A node's status document (as {@code net.ipop.control.status.StatusService} writes it) as text: the node line
 * and a table of peers for {@code ipop status}, one line per peer for {@code ipop peers}. Unknown values show as
 * {@code -}.
 */
final class StatusTable {
    private static final String[] HEADER = {"PEER", "OVERLAY ADDRESSES", "PATH", "ENDPOINT", "RTT", "RECEIVED",
        "SENT", "LAST HANDSHAKE", "SESSION AGE"};

    private StatusTable() {
    }

    static String table(Map<String, Object> doc) {
        StringBuilder sb = new StringBuilder(nodeLine(doc)).append('\n');
        Map<String, Object> node = map(doc.get("node"));
        sb.append("public key ").append(text(node.get("publicKey"))).append("\n\n");
        List<String[]> rows = new ArrayList<>();
        rows.add(HEADER);
        for (Map<String, Object> p : peers(doc)) {
            rows.add(new String[] {text(p.get("name")), String.join(", ", strings(p.get("allowedAddresses"))),
                path(p), text(p.get("endpoint")), rtt(p.get("rttMs")), bytes(p.get("rxBytes")),
                bytes(p.get("txBytes")), ago(p.get("lastHandshakeAgeMs")), duration(p.get("sessionAgeMs"))});
        }
        columns(sb, rows);
        if (rows.size() == 1) {
            sb.append("(no peers)\n");
        }
        return sb.toString();
    }

    /** One line per peer: name, overlay addresses, path, endpoint, RTT, last handshake. */
    static String lines(Map<String, Object> doc) {
        List<String[]> rows = new ArrayList<>();
        for (Map<String, Object> p : peers(doc)) {
            rows.add(new String[] {text(p.get("name")), String.join(",", strings(p.get("allowedAddresses"))),
                path(p), text(p.get("endpoint")), "rtt " + rtt(p.get("rttMs")),
                "handshake " + ago(p.get("lastHandshakeAgeMs"))});
        }
        StringBuilder sb = new StringBuilder();
        columns(sb, rows);
        return sb.toString();
    }

    private static String nodeLine(Map<String, Object> doc) {
        Map<String, Object> node = map(doc.get("node"));
        Object dp = node.get("dataPlane");
        String dataPlane = dp instanceof Map<?, ?> d
                ? "data plane pid " + text(d.get("pid")) + " (" + text(d.get("liveness")).replace('_', ' ') + ")"
                : "data plane not running (no counters file)";
        return String.format(Locale.ROOT, "node %s on %s (%s), listening on %s, pid %s, %s",
                text(node.get("name")), text(node.get("interface")), String.join(", ", strings(node.get("addresses"))),
                text(node.get("listen")), text(node.get("pid")), dataPlane);
    }

    private static void columns(StringBuilder sb, List<String[]> rows) {
        if (rows.isEmpty()) {
            return;
        }
        int[] width = new int[rows.get(0).length];
        for (String[] r : rows) {
            for (int i = 0; i < r.length; i++) {
                width[i] = Math.max(width[i], r[i].length());
            }
        }
        for (String[] r : rows) {
            StringBuilder line = new StringBuilder();
            for (int i = 0; i < r.length; i++) {
                line.append(r[i]);
                if (i < r.length - 1) {
                    line.append(" ".repeat(width[i] - r[i].length() + 2));
                }
            }
            sb.append(line.toString().stripTrailing()).append('\n');
        }
    }

    private static String path(Map<String, Object> p) {
        String path = text(p.get("path"));
        Object via = p.get("via");
        return via == null ? path : path + " via " + via;
    }

    static List<Map<String, Object>> peers(Map<String, Object> doc) {
        List<Map<String, Object>> out = new ArrayList<>();
        if (doc.get("peers") instanceof List<?> l) {
            for (Object o : l) {
                out.add(map(o));
            }
        }
        return out;
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> map(Object o) {
        return o instanceof Map<?, ?> ? (Map<String, Object>) o : Map.of();
    }

    static List<String> strings(Object o) {
        List<String> out = new ArrayList<>();
        if (o instanceof List<?> l) {
            for (Object e : l) {
                out.add(String.valueOf(e));
            }
        }
        return out;
    }

    private static String text(Object o) {
        return o == null ? "-" : o.toString();
    }

    private static String rtt(Object ms) {
        return ms instanceof Number n ? String.format(Locale.ROOT, "%.2f ms", n.doubleValue()) : "-";
    }

    private static String bytes(Object n) {
        return n instanceof Number v ? StatsReport.bytes(v.longValue()) : "-";
    }

    private static String ago(Object ms) {
        return ms instanceof Number v ? StatsReport.age(v.longValue()) + " ago" : "never";
    }

    private static String duration(Object ms) {
        return ms instanceof Number v ? StatsReport.age(v.longValue()) : "-";
    }
}
