package net.ipop.control.ice;

import java.net.SocketException;

import org.ice4j.TransportAddress;
import org.ice4j.ice.CandidateExtendedType;
import org.ice4j.ice.CandidateType;
import org.ice4j.ice.Component;
import org.ice4j.ice.LocalCandidate;
import org.ice4j.socket.IceSocketWrapper;
import org.ice4j.socket.IceUdpSocketWrapper;
import org.ice4j.socket.MultiplexingDatagramSocket;

/**
 * A relayed candidate (RFC 8445 section 5.1.1.2) on the node's shared TURN allocation: to ice4j a relayed
 * candidate like its own (type, base itself, relay server, mapped address), but its socket is the agent's {@link
 * SharedAllocation.User} share, so its checks leave through the one allocation every agent of the node uses.
 * Freed with the agent; the share itself is given back by {@link AgentSockets#close}.
 */
final class SharedRelayCandidate extends LocalCandidate {
    private final SharedAllocation.User user;
    private final IceSocketWrapper socket;

    /**
     * @param related the server-reflexive candidate of the same allocation (its mapped address), or null
     * @throws SocketException if ice4j cannot wrap the share's socket
     */
    SharedRelayCandidate(Component component, SharedAllocation.User user, TransportAddress server,
            TransportAddress mapped, LocalCandidate related) throws SocketException {
        super(new TransportAddress(user.allocation().relayed(), org.ice4j.Transport.UDP), component,
                CandidateType.RELAYED_CANDIDATE, CandidateExtendedType.TURN_RELAYED_CANDIDATE, related);
        this.user = user;
        this.socket = new IceUdpSocketWrapper(new MultiplexingDatagramSocket(user.socket));
        setBase(this);
        setRelayServerAddress(server);
        setMappedAddress(mapped);
    }

    SharedAllocation.User user() {
        return user;
    }

    @Override
    protected IceSocketWrapper getCandidateIceSocketWrapper() {
        return socket;
    }
}
