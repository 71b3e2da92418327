package net.ipop.control.status;

/**
 * How packets reach a peer, as {@code ipop status} shows it. A static peer is {@link #DIRECT} once its endpoint is
 * known; the ICE and topology code fill in the others.
 */
public enum PeerPath {
    /** Straight to the peer's endpoint over UDP. */
    DIRECT("direct"),
    /** Through a TURN relay. */
    RELAYED("relayed"),
    /** Through another overlay node, which forwards (the snapshot's {@code via} names it). */
    FORWARDED("forwarded"),
    /** No way to the peer yet: no endpoint known. */
    NONE("none");

    private final String key;

    PeerPath(String key) {
        this.key = key;
    }

    /** Its name in the status JSON and table. */
    public String key() {
        return key;
    }
}
