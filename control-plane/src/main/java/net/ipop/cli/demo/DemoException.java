package net.ipop.cli.demo;

/**
 * A step of the demo failed: the message says which step, what went wrong and, where there is one, the fix.
 * The demo prints it as one line (never a stack trace) and exits with {@link #exitCode}.
 */
public final class DemoException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** The {@code ipop} exit code: 1 a step failed, 3 the machine lacks something (root, a package). */
    public final int exitCode;

    DemoException(String message) {
        this(1, message);
    }

    DemoException(int exitCode, String message) {
        super(message);
        this.exitCode = exitCode;
    }
}
