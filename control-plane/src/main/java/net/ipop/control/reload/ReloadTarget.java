package net.ipop.control.reload;

import net.ipop.control.config.NodeConfig;

/**
 * A running node that applies a reload itself, on its own thread: an overlay node, whose members come from
 * signalling and whose admission (revocation list, allowed groups) can change even when the config file does not
 * (a newer list in the same file).
 */
public interface ReloadTarget {
    /**
     * Called on the reloading thread after every good read of the file, whether or not anything in it changed;
     * hands the work to the node's thread and returns at once. The node logs what it changes there.
     *
     * @param running the config in effect before this reload
     * @param next    the config in effect after it: {@code running} with the reloadable keys of the file
     */
    void reload(NodeConfig running, NodeConfig next);
}
