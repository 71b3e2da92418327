/**
 * Reloading the node's config file on SIGHUP: the keys that can change while the data plane runs (peers, log
 * levels, the metrics endpoint; for an overlay node also each overlay's revocation list and allowed groups and the
 * ICE consent timeout, applied by its {@link net.ipop.control.reload.ReloadTarget}) are applied, the others are
 * refused with a log line naming the key.
 */
package net.ipop.control.reload;
