package net.ipop.control.config;

import java.nio.file.Path;

/**
 * One mistake in a configuration file.
 *
 * @param file    the file as it was named to the parser
 * @param line    1-based line, or 0 when the problem is with the file as a whole (unreadable, empty)
 * @param column  1-based column, or 0 with {@code line} 0
 * @param key     the key path, e.g. {@code peers[1].allowedAddresses[0]}; empty for syntax errors
 * @param message what is wrong and how to fix it
 */
public record ConfigProblem(Path file, int line, int column, String key, String message) {
    /** {@code node.yaml:14:7: peers[1].endpoint: message}, the form editors and compilers use. */
    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder().append(file);
        if (line > 0) {
            sb.append(':').append(line).append(':').append(column);
        }
        sb.append(": ");
        if (!key.isEmpty()) {
            sb.append(key).append(": ");
        }
        return sb.append(message).toString();
    }
}
