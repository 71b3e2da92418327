package net.ipop.control.config;

import java.net.InetAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import net.ipop.crypto.cert.IpPrefix;
import org.snakeyaml.engine.v2.nodes.MappingNode;
import org.snakeyaml.engine.v2.nodes.Node;
import org.snakeyaml.engine.v2.nodes.NodeTuple;
import org.snakeyaml.engine.v2.nodes.ScalarNode;
import org.snakeyaml.engine.v2.nodes.SequenceNode;
import org.snakeyaml.engine.v2.nodes.Tag;

/**
 * One YAML mapping of the config file with the keys it may hold, and typed reads of its values.
 * Every read that finds a problem reports it (with the value's position and key path) and
 * returns the default or null, so that reading goes on and all problems are found in one pass.
 */
final class Section {
    private final MappingNode node;
    private final String path;
    private final Problems problems;
    private final Map<String, Node> values = new LinkedHashMap<>();

    private Section(MappingNode node, String path, Problems problems) {
        this.node = node;
        this.path = path;
        this.problems = problems;
    }

    /**
     * Opens {@code node} as a mapping allowed to hold {@code keys}; reports duplicate and unknown
     * keys. Returns null (after reporting) if the node is not a mapping.
     */
    static Section open(Node node, String path, Problems problems, List<String> keys) {
        if (!(node instanceof MappingNode map)) {
            problems.at(node, path, "expected a map of keys (" + String.join(", ", keys) + "), found "
                    + describe(node));
            return null;
        }
        Section s = new Section(map, path, problems);
        Map<String, Node> seen = new LinkedHashMap<>();
        for (NodeTuple t : map.getValue()) {
            Node k = t.getKeyNode();
            if (!(k instanceof ScalarNode sk) || sk.getTag().equals(Tag.NULL)) {
                problems.at(k, path, "a key must be a plain word, found " + describe(k));
                continue;
            }
            String key = sk.getValue();
            Node first = seen.putIfAbsent(key, k);
            if (first != null) {
                problems.at(k, s.child(key), "duplicate key (first at line " + Problems.line(first)
                        + "); keep only one of them");
            } else if (!keys.contains(key)) {
                problems.at(k, s.child(key), "unknown key; " + Suggestions.hint(key, keys));
            } else {
                s.values.put(key, t.getValueNode());
            }
        }
        return s;
    }

    String child(String key) {
        return path.isEmpty() ? key : path + "." + key;
    }

    static String element(String listPath, int index) {
        return listPath + "[" + index + "]";
    }

    /** Reports a problem with {@code key} (at its value, or at this mapping if absent) that no single read finds. */
    void problem(String key, String message) {
        Node v = values.get(key);
        problems.at(v == null ? node : v, child(key), message);
    }

    /** The value node of {@code key}, or null if the key is absent. */
    Node get(String key) {
        return values.get(key);
    }

    /** The value node of {@code key}; if absent, reports it at this mapping with {@code fix} and returns null. */
    Node require(String key, String fix) {
        Node v = values.get(key);
        if (v == null) {
            problems.at(node, child(key), "missing; " + fix);
        }
        return v;
    }

    /** Text of a required scalar, or null (reported). */
    String requireText(String key, String fix) {
        Node v = require(key, fix);
        return v == null ? null : text(v, child(key), fix);
    }

    /** Text of an optional scalar, {@code null} if absent, or null (reported) if not a scalar. */
    String optionalText(String key, String fix) {
        Node v = get(key);
        return v == null ? null : text(v, child(key), fix);
    }

    /** A whole number in {@code min..max}, or {@code dflt} if absent (or wrong: then reported). */
    int integer(String key, int dflt, int min, int max, String fix) {
        Node v = get(key);
        if (v == null) {
            return dflt;
        }
        String t = text(v, child(key), fix);
        if (t == null) {
            return dflt;
        }
        if (!t.matches("-?\\d{1,10}")) {
            problems.at(v, child(key), "expected a whole number, found '" + t + "'; " + fix);
            return dflt;
        }
        long n = Long.parseLong(t);
        if (n < min || n > max) {
            problems.at(v, child(key), t + " is out of range; " + fix);
            return dflt;
        }
        return (int) n;
    }

    /** {@code true} or {@code false}, or {@code dflt} if absent (or wrong: then reported). */
    boolean bool(String key, boolean dflt) {
        Node v = get(key);
        if (v == null) {
            return dflt;
        }
        String fix = "write true or false";
        String t = text(v, child(key), fix);
        if ("true".equals(t)) {
            return true;
        }
        if ("false".equals(t)) {
            return false;
        }
        if (t != null) {
            problems.at(v, child(key), "expected true or false, found '" + t + "'; " + fix);
        }
        return dflt;
    }

    /** One of {@code names} (index returned), or {@code dflt} if absent (or wrong: then reported). */
    int choice(String key, int dflt, List<String> names) {
        Node v = get(key);
        if (v == null) {
            return dflt;
        }
        String t = text(v, child(key), "use one of " + String.join(", ", names));
        if (t == null) {
            return dflt;
        }
        int i = names.indexOf(t);
        if (i < 0) {
            problems.at(v, child(key), "unknown value '" + t + "'; " + Suggestions.hint(t, names));
            return dflt;
        }
        return i;
    }

    /** A file path, relative ones resolved against {@code base}; {@code dflt} if absent, null if wrong. */
    Path path(String key, Path base, Path dflt, String fix) {
        Node v = get(key);
        if (v == null) {
            return dflt;
        }
        String t = text(v, child(key), fix);
        if (t == null) {
            return null;
        }
        if (t.isBlank() || t.indexOf('\0') >= 0) {
            problems.at(v, child(key), "'" + t + "' is not a file path; " + fix);
            return null;
        }
        return base.resolve(t).normalize();
    }

    /**
     * The elements of a list value; reports and returns null if it is not a list. A list value
     * left empty ({@code key:} with nothing after it) is reported too.
     */
    List<Node> list(String key, String fix) {
        Node v = get(key);
        if (v == null) {
            return null;
        }
        if (v instanceof SequenceNode seq) {
            return seq.getValue();
        }
        problems.at(v, child(key), "expected a list like [a, b], found " + describe(v) + "; " + fix);
        return null;
    }

    /**
     * A required, non-empty list of IP prefixes, e.g. {@code [192.0.2.1/24, "2001:db8::1/64"]}.
     * Each element has its own problem if it is wrong; the good ones are returned with their nodes.
     *
     * @param hosts whether the examples in messages should be single hosts (/32, /128) rather than subnets
     */
    List<Located<IpPrefix>> prefixes(String key, String fix, boolean hosts) {
        List<Located<IpPrefix>> out = new ArrayList<>();
        if (require(key, fix) == null) {
            return out;
        }
        List<Node> items = list(key, fix);
        if (items == null) {
            return out;
        }
        if (items.isEmpty()) {
            problems.at(get(key), child(key), "the list is empty; " + fix);
            return out;
        }
        for (int i = 0; i < items.size(); i++) {
            String at = element(child(key), i);
            String t = text(items.get(i), at, fix);
            if (t == null) {
                continue;
            }
            try {
                out.add(new Located<>(IpPrefix.parse(t.strip()), items.get(i), at));
            } catch (IllegalArgumentException e) {
                problems.at(items.get(i), at, prefixProblem(t.strip(), hosts));
            }
        }
        return out;
    }

    /** Why {@code t} is not a prefix, with an example of the right form suited to the key. */
    static String prefixProblem(String t, boolean hosts) {
        String example = hosts ? "192.0.2.2/32 or 2001:db8::2/128" : "192.0.2.1/24 or 2001:db8::1/64";
        int slash = t.indexOf('/');
        String host = slash < 0 ? t : t.substring(0, slash);
        InetAddress a = Endpoints.literal(host);
        if (a == null) {
            return "'" + t + "' is not an IP prefix: " + Endpoints.notLiteral(host, example);
        }
        boolean v4 = a.getAddress().length == 4;
        if (slash < 0) {
            return "'" + t + "' has no prefix length; write it like " + t + "/"
                    + (v4 ? (hosts ? 32 : 24) : (hosts ? 128 : 64));
        }
        return "'" + t + "' is not an IP prefix: the length after '/' must be a number from 0 to " + (v4 ? 32 : 128)
                + "; write it like " + example;
    }

    /** The text of a scalar node, or null after reporting a map, list or empty value. */
    String text(Node v, String at, String fix) {
        if (v instanceof ScalarNode s && !s.getTag().equals(Tag.NULL)) {
            return s.getValue();
        }
        problems.at(v, at, "expected a single value, found " + describe(v) + "; " + fix);
        return null;
    }

    /** How a node looks to the user: "a map", "a list", "nothing" or the quoted text. */
    static String describe(Node node) {
        if (node instanceof MappingNode) {
            return "a map";
        }
        if (node instanceof SequenceNode) {
            return "a list";
        }
        if (node instanceof ScalarNode s) {
            return s.getTag().equals(Tag.NULL) ? "nothing" : "'" + s.getValue() + "'";
        }
        return "a " + node.getNodeType();
    }

    /** A parsed value with the node and key path it came from, for checks across entries. */
    record Located<T>(T value, Node node, String key) {
    }
}
