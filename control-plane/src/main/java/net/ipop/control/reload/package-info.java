/**
 * Reloading the node's config file on SIGHUP: the keys that can change while the data plane runs (peers, log
 * levels, the metrics endpoint) are applied, the others are refused with a log line naming the key.
 */
package net.ipop.control.reload;
