package net.ipop.dataplane.conductor;

import net.ipop.dataplane.session.PeerEndpoint;
import net.ipop.dataplane.session.Session;
import net.ipop.ipc.sbe.PathKind;

/**
 * The conductor's own record of one peer, from which each {@link net.ipop.dataplane.session.PeerTable} snapshot
 * is built. Mutable, conductor thread only; the packet path never sees it.
 */
final class PeerEntry {
    final long id;
    final int slot;
    String name;
    PeerEndpoint endpoint;
    PathKind path = PathKind.DIRECT;
    Session current;
    Session previous;

    PeerEntry(long id, int slot, String name, PeerEndpoint endpoint) {
        this.id = id;
        this.slot = slot;
        this.name = name;
        this.endpoint = endpoint;
    }
}
