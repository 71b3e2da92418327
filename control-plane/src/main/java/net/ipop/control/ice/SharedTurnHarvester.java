package net.ipop.control.ice;

import java.io.IOException;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.net.SocketException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

import org.ice4j.Transport;
import org.ice4j.TransportAddress;
import org.ice4j.ice.CandidateExtendedType;
import org.ice4j.ice.Component;
import org.ice4j.ice.ComponentSocket;
import org.ice4j.ice.HostCandidate;
import org.ice4j.ice.LocalCandidate;
import org.ice4j.ice.ServerReflexiveCandidate;
import org.ice4j.ice.harvest.CandidateHarvester;
import org.ice4j.ice.harvest.HarvestStatistics;

/**
 * Gives an ice4j agent its server-reflexive and relayed candidates from the node's shared allocation on one TURN
 * server ({@link SharedRelays}), instead of an Allocate of its own, which the server would refuse for every
 * agent but the first (one allocation per 5-tuple, and all agents send from the one shared socket). The relayed
 * candidate is registered the way ice4j registers its own (with the agent's STUN stack for checks, with the
 * component socket for data). Runs after the host harvester, on ice4j's harvesting thread; blocks while the
 * allocation is made. A server that refuses or does not answer gives no candidates (logged).
 */
final class SharedTurnHarvester implements CandidateHarvester {
    private static final Logger LOG = System.getLogger(SharedTurnHarvester.class.getName());

    private final AgentSockets sockets;
    private final IceConfig.TurnServer server;
    private final HarvestStatistics statistics = new HarvestStatistics();

    SharedTurnHarvester(AgentSockets sockets, IceConfig.TurnServer server) {
        this.sockets = sockets;
        this.server = server;
    }

    @Override
    public Collection<LocalCandidate> harvest(Component component) {
        SharedAllocation.User user;
        try {
            user = sockets.relay(server);
        } catch (IOException e) {
            LOG.log(Level.WARNING, "no relayed candidate from TURN server {0}: {1}", server.address(),
                    e.getMessage());
            return List.of();
        }
        if (user == null) {
            return List.of();
        }
        SharedAllocation a = user.allocation();
        TransportAddress serverAddress = new TransportAddress(server.address(), Transport.UDP);
        TransportAddress mapped = new TransportAddress(a.mapped(), Transport.UDP);
        List<LocalCandidate> harvested = new ArrayList<>();
        HostCandidate base = hostCandidate(component, a);
        if (base != null) {
            ServerReflexiveCandidate reflexive = new ServerReflexiveCandidate(mapped, base, serverAddress,
                    CandidateExtendedType.STUN_SERVER_REFLEXIVE_CANDIDATE);
            if (component.addLocalCandidate(reflexive)) {
                harvested.add(reflexive);
            }
        }
        SharedRelayCandidate relayed;
        try {
            relayed = new SharedRelayCandidate(component, user, serverAddress, mapped,
                    component.findLocalCandidate(mapped));
        } catch (SocketException e) {
            throw new IllegalStateException("cannot wrap the shared relay socket for ice4j", e);
        }
        if (component.addLocalCandidate(relayed)) {
            relayed.getStunStack().addSocket(relayed.getStunSocket(null));
            ComponentSocket componentSocket = component.getComponentSocket();
            if (componentSocket != null) {
                componentSocket.add(relayed.getCandidateIceSocketWrapper());
            }
            harvested.add(relayed);
        }
        return harvested;
    }

    /** The host candidate on the allocation's local address (the shared socket), or null. */
    private static HostCandidate hostCandidate(Component component, SharedAllocation a) {
        for (LocalCandidate c : component.getLocalCandidates()) {
            if (c instanceof HostCandidate h && h.getTransportAddress().getAddress().equals(a.host().getAddress())
                    && h.getTransportAddress().getPort() == a.host().getPort()) {
                return h;
            }
        }
        return null;
    }

    @Override
    public HarvestStatistics getHarvestStatistics() {
        return statistics;
    }

    @Override
    public boolean isHostHarvester() {
        return false;
    }
}
