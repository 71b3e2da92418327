package net.ipop.control.config;

import java.util.List;

/**
 * A configuration file that cannot be used, with every problem found in it (not only the first),
 * ordered by position. The message is the problems, one per line.
 */
public final class ConfigException extends Exception {
    private static final long serialVersionUID = 1L;

    private final transient List<ConfigProblem> problems;

    ConfigException(List<ConfigProblem> problems) {
        super(String.join("\n", problems.stream().map(ConfigProblem::toString).toList()));
        if (problems.isEmpty()) {
            throw new IllegalArgumentException("a ConfigException needs at least one problem");
        }
        this.problems = List.copyOf(problems);
    }

    /** The problems, ordered by line and column; never empty. */
    public List<ConfigProblem> problems() {
        return problems;
    }
}
