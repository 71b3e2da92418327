package net.ipop.control.ice;

import java.net.InetSocketAddress;
import java.util.Objects;

/**
 * The path ICE nominated, and what the data plane needs to put its datagrams on it.
 *
 * <p>The data plane sends from its shared UDP socket ({@code localBase}) to {@code nextHop}. When the local
 * candidate is relayed, {@code nextHop} is the TURN server and each datagram must be framed as TURN
 * ChannelData with {@code channel} (RFC 8656 section 12), or, while {@code channel} is still -1 (not bound
 * yet), sent in a Send indication. When only the remote candidate is relayed, the datagrams are plain UDP to
 * the peer's relayed address.
 *
 * @param local       the nominated local candidate
 * @param remote      the nominated remote candidate
 * @param kind        {@link PathKind#RELAYED} if either candidate is relayed
 * @param localBase   the local transport address the datagrams leave from (the base of {@code local})
 * @param nextHop     where the datagrams are sent: the TURN server if {@code local} is relayed, else {@code remote}
 * @param relayServer the TURN server of a relayed local candidate, else {@code null}
 * @param channel     the TURN channel number bound to {@code remote} on {@code relayServer}, or -1
 */
public record SelectedPath(IceCandidate local, IceCandidate remote, PathKind kind, InetSocketAddress localBase,
                           InetSocketAddress nextHop, InetSocketAddress relayServer, int channel) {

    public SelectedPath {
        Objects.requireNonNull(local, "local");
        Objects.requireNonNull(remote, "remote");
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(localBase, "localBase");
        Objects.requireNonNull(nextHop, "nextHop");
    }

    /** True when this end must wrap its datagrams for its TURN server. */
    public boolean locallyRelayed() {
        return local.type() == IceCandidate.Type.RELAYED;
    }
}
