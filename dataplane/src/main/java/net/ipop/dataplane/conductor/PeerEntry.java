package net.ipop.dataplane.conductor;

import net.ipop.dataplane.session.PeerEndpoint;
import net.ipop.dataplane.session.PeerLiveness;
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
    /** Whether we initiated the handshake of {@link #current} / {@link #previous} (reported to an adopting control plane). */
    boolean currentInitiator;
    boolean previousInitiator;
    /** The peer's static key from AddPeer (32 bytes), by which a restarted control plane recognises it. */
    byte[] staticKey = new byte[32];
    /** Shared with the packet path; replaced (with a new snapshot) when the keepalive interval changes. */
    PeerLiveness liveness;
    int keepaliveMs;
    /** When a session was last installed: fresh authenticated contact, for the {@link LivenessMonitor}. */
    long contactNanos;

    PeerEntry(long id, int slot, String name, PeerEndpoint endpoint, PeerLiveness liveness, int keepaliveMs,
              long nowNanos) {
        this.id = id;
        this.slot = slot;
        this.name = name;
        this.endpoint = endpoint;
        this.liveness = liveness;
        this.keepaliveMs = keepaliveMs;
        this.contactNanos = nowNanos;
    }
}
