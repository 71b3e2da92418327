package net.ipop.control.ice;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

import org.ice4j.Transport;
import org.ice4j.ice.Component;
import org.ice4j.ice.ComponentSocket;
import org.ice4j.ice.HostCandidate;
import org.ice4j.ice.LocalCandidate;
import org.ice4j.ice.harvest.CandidateHarvester;
import org.ice4j.ice.harvest.HarvestStatistics;
import org.ice4j.socket.IceSocketWrapper;
import org.ice4j.socket.IceUdpSocketWrapper;
import org.ice4j.socket.MultiplexingDatagramSocket;

/**
 * Gives an ice4j agent its host candidates on the shared transport instead of sockets of its own: one per
 * {@link TransportDatagramSocket}, registered the way ice4j's own host harvester registers its sockets
 * (with the agent's STUN stack for checks and STUN/TURN harvesting, and with the component socket for data).
 * The STUN and TURN harvesters then allocate through these same sockets, so server-reflexive and relayed
 * candidates share the transport's 5-tuple too.
 */
final class TransportHostHarvester implements CandidateHarvester {
    private final AgentSockets sockets;
    private final HarvestStatistics statistics = new HarvestStatistics();

    TransportHostHarvester(AgentSockets sockets) {
        this.sockets = sockets;
    }

    @Override
    public Collection<LocalCandidate> harvest(Component component) {
        List<LocalCandidate> harvested = new ArrayList<>();
        for (TransportDatagramSocket socket : sockets.sockets()) {
            MultiplexingDatagramSocket multiplexing;
            try {
                multiplexing = new MultiplexingDatagramSocket(socket);
            } catch (java.net.SocketException e) {
                throw new IllegalStateException("cannot wrap " + socket + " for ice4j", e);
            }
            IceSocketWrapper wrapper = new IceUdpSocketWrapper(multiplexing);
            HostCandidate candidate = new HostCandidate(wrapper, component, Transport.UDP);
            if (component.addLocalCandidate(candidate)) {
                candidate.getStunStack().addSocket(candidate.getStunSocket(null));
                ComponentSocket componentSocket = component.getComponentSocket();
                if (componentSocket != null) {
                    componentSocket.add(multiplexing);
                }
                harvested.add(candidate);
            }
        }
        return harvested;
    }

    @Override
    public HarvestStatistics getHarvestStatistics() {
        return statistics;
    }

    @Override
    public boolean isHostHarvester() {
        return true;
    }
}
