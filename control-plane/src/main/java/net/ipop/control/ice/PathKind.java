package net.ipop.control.ice;

/** How the path ICE selected reaches the peer. */
public enum PathKind {
    /** Host, server-reflexive or peer-reflexive on both ends: datagrams go peer to peer (through NATs). */
    DIRECT,
    /** At least one end is a TURN relayed candidate: datagrams pass through a TURN server. */
    RELAYED
}
