package net.ipop.control.config;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

import org.snakeyaml.engine.v2.exceptions.Mark;
import org.snakeyaml.engine.v2.nodes.Node;

/** Collects the problems of one file while it is read, so that all of them are reported together. */
final class Problems {
    private final Path file;
    private final List<ConfigProblem> list = new ArrayList<>();

    Problems(Path file) {
        this.file = file;
    }

    /** A problem located at the start of {@code node}. */
    void at(Node node, String key, String message) {
        at(node.getStartMark().orElse(null), key, message);
    }

    void at(Mark mark, String key, String message) {
        if (mark == null) {
            list.add(new ConfigProblem(file, 0, 0, key, message));
        } else {
            list.add(new ConfigProblem(file, mark.getLine() + 1, mark.getColumn() + 1, key, message));
        }
    }

    /** A problem with the file as a whole: it cannot be read, or holds nothing. */
    void wholeFile(String message) {
        list.add(new ConfigProblem(file, 0, 0, "", message));
    }

    boolean isEmpty() {
        return list.isEmpty();
    }

    /** The 1-based line of {@code node}, for messages that point back at an earlier entry. */
    static int line(Node node) {
        return node.getStartMark().map(m -> m.getLine() + 1).orElse(0);
    }

    /** @throws ConfigException with every problem so far, by position, if there is any */
    void throwIfAny() throws ConfigException {
        if (!list.isEmpty()) {
            List<ConfigProblem> sorted = new ArrayList<>(list);
            sorted.sort(Comparator.comparingInt(ConfigProblem::line).thenComparingInt(ConfigProblem::column));
            throw new ConfigException(sorted);
        }
    }
}
