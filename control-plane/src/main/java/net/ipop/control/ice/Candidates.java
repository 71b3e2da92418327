package net.ipop.control.ice;

import java.net.InetSocketAddress;
import java.util.List;

import org.ice4j.Transport;
import org.ice4j.TransportAddress;
import org.ice4j.ice.Candidate;
import org.ice4j.ice.CandidateType;
import org.ice4j.ice.Component;
import org.ice4j.ice.RemoteCandidate;

/** Converts between {@link IceCandidate} and ice4j's candidates. */
final class Candidates {
    private Candidates() {
    }

    static IceCandidate fromIce4j(Candidate<?> c) {
        TransportAddress a = c.getTransportAddress();
        TransportAddress related = c.getRelatedAddress();
        return new IceCandidate(c.getFoundation(), c.getParentComponent().getComponentID(), "udp", c.getPriority(),
                type(c.getType()), a.getAddress(), a.getPort(),
                related == null ? null : related.getAddress(), related == null ? 0 : related.getPort());
    }

    /** A remote candidate for {@code component}; {@code known} are those added before (for the related one). */
    static RemoteCandidate toIce4j(IceCandidate c, Component component, List<RemoteCandidate> known) {
        RemoteCandidate related = null;
        if (c.relatedAddress() != null) {
            InetSocketAddress r = new InetSocketAddress(c.relatedAddress(), c.relatedPort());
            for (RemoteCandidate k : known) {
                if (k.getTransportAddress().equals(r)) {
                    related = k;
                }
            }
        }
        return new RemoteCandidate(new TransportAddress(c.address(), c.port(), Transport.UDP), component,
                type(c.type()), c.foundation(), c.priority(), related);
    }

    static IceCandidate.Type type(CandidateType t) {
        return switch (t) {
            case HOST_CANDIDATE, LOCAL_CANDIDATE -> IceCandidate.Type.HOST;
            case SERVER_REFLEXIVE_CANDIDATE, STUN_CANDIDATE -> IceCandidate.Type.SERVER_REFLEXIVE;
            case PEER_REFLEXIVE_CANDIDATE -> IceCandidate.Type.PEER_REFLEXIVE;
            case RELAYED_CANDIDATE -> IceCandidate.Type.RELAYED;
        };
    }

    static CandidateType type(IceCandidate.Type t) {
        return switch (t) {
            case HOST -> CandidateType.HOST_CANDIDATE;
            case SERVER_REFLEXIVE -> CandidateType.SERVER_REFLEXIVE_CANDIDATE;
            case PEER_REFLEXIVE -> CandidateType.PEER_REFLEXIVE_CANDIDATE;
            case RELAYED -> CandidateType.RELAYED_CANDIDATE;
        };
    }
}
