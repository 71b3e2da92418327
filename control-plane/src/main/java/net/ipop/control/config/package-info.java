/**
 * The node configuration file ({@code ipop up --config node.yaml}, {@code ipop config check}): its
 * typed immutable model ({@link net.ipop.control.config.NodeConfig} and the records it holds, among
 * them one {@link net.ipop.control.config.SignallingConfig} per overlay joined through XMPP) and
 * {@link net.ipop.control.config.NodeConfigParser}, which reads the YAML, validates every key and
 * reports all problems at once, each with file, line, column, key path and the fix. The format is
 * documented in {@code docs/configuration.md}; {@code docs/examples/node.yaml} is its example.
 */
package net.ipop.control.config;
