package net.ipop.cli;

import picocli.CommandLine.Option;

/** {@code -h/--help} for a verb, mixed in so that {@code ipop cert sign --help} works like {@code ipop --help}. */
final class HelpOption {
    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help and exit.")
    boolean help;
}
