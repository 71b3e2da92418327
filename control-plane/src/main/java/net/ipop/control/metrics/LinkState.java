package net.ipop.control.metrics;

import java.util.Locale;

/**
 * A peer link's state as {@code ipop_peer_link_state{state=...}} shows it. Static peers are up while the node
 * holds a session with them and down otherwise; ICE links will add their checking states here.
 */
public enum LinkState {
    /** No usable session: never handshaken, given up, or every session expired. */
    DOWN,
    /** A session is installed; data flows. */
    UP;

    /** The label value. */
    String label() {
        return name().toLowerCase(Locale.ROOT);
    }
}
