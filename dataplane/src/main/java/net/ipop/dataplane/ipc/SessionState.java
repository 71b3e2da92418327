package net.ipop.dataplane.ipc;

/**
 * A session as a PeerState reports it to a control plane that adopts a running data plane: enough to keep its
 * index reserved, expire it and resume the initiator's rekey timer. Holds no key material.
 *
 * @param localIndex     uint32 index data packets to us carry; 0 = no session
 * @param remoteIndex    uint32 index our data packets carry
 * @param createdAtNanos monotonic clock of the host when its keys were derived (InstallSession's createdAtNanos)
 * @param initiator      whether this node initiated its handshake
 */
public record SessionState(long localIndex, long remoteIndex, long createdAtNanos, boolean initiator) {
    /** No session. */
    public static final SessionState NONE = new SessionState(0, 0, 0, false);
}
