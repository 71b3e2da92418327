package net.ipop.cli;

/**
 * A failure to report to the user as one line, without a stack trace: the message names the
 * argument or file at fault and the fix. Carries the exit code {@link IpopCommand} documents.
 */
final class CliError extends RuntimeException {
    private static final long serialVersionUID = 1L;

    final int exitCode;

    CliError(int exitCode, String message) {
        super(message);
        this.exitCode = exitCode;
    }

    /** The user passed a wrong argument (exit 2). */
    static CliError usage(String message) {
        return new CliError(IpopCommand.EXIT_USAGE, message);
    }

    /** The node the verb asks is not running (exit 3): the message says how to start it. */
    static CliError notRunning(String message) {
        return new CliError(IpopCommand.EXIT_NOT_RUNNING, message);
    }

    /** The operation could not be done: missing file, refusal to overwrite, unsafe key file (exit 1). */
    static CliError failed(String message) {
        return new CliError(IpopCommand.EXIT_FAILED, message);
    }
}
