/**
 * Log levels per component for the node process. The code logs through {@link java.lang.System.Logger}; in the
 * node that is backed by {@code java.util.logging} (the JDK's default), which this package configures: one line
 * per record on standard error, a level per component ({@code log:} in the config file, {@code --log-level}).
 */
package net.ipop.control.logging;
