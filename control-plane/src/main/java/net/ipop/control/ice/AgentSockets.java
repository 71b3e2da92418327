package net.ipop.control.ice;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The sockets one ice4j agent sees: a {@link TransportDatagramSocket} per host address of the shared
 * transport. Datagrams the {@link IceMux} routes here go to the socket of the address they arrived on;
 * datagrams ice4j sends go out through the transport, after the mux and the channel table have seen them.
 *
 * <p>Threading: any thread; the socket table is fixed after {@link #open}.
 */
final class AgentSockets {
    private final IceMux mux;
    private final String localUfrag;
    private final List<TransportDatagramSocket> sockets = new ArrayList<>();
    private final ChannelBindings channels = new ChannelBindings();
    /** Which host address last sent to a server: the base of relayed candidates allocated there. */
    private final Map<InetSocketAddress, InetSocketAddress> lastFrom = new HashMap<>();
    /** Whether this agent holds a TURN allocation (gathered a relayed candidate); set once after gathering. */
    volatile boolean allocated;

    private AgentSockets(IceMux mux, String localUfrag) {
        this.mux = mux;
        this.localUfrag = localUfrag;
    }

    /** One socket per host address of {@code mux}'s transport, attached to the mux. */
    static AgentSockets open(IceMux mux, String localUfrag) throws SocketException {
        AgentSockets s = new AgentSockets(mux, localUfrag);
        for (InetSocketAddress host : mux.transport().hostAddresses()) {
            s.sockets.add(new TransportDatagramSocket(s, host));
        }
        mux.attach(s);
        return s;
    }

    String localUfrag() {
        return localUfrag;
    }

    List<TransportDatagramSocket> sockets() {
        return sockets;
    }

    ChannelBindings channels() {
        return channels;
    }

    synchronized InetSocketAddress lastFrom(InetSocketAddress server) {
        return lastFrom.get(server);
    }

    void send(InetSocketAddress from, InetSocketAddress to, byte[] b, int off, int len) throws IOException {
        mux.sending(this, b, off, len);
        channels.sent(to, b, off, len);
        synchronized (this) {
            lastFrom.put(to, from);
        }
        mux.transport().send(from, to, b, off, len);
    }

    void deliver(InetSocketAddress local, InetSocketAddress source, byte[] b, int off, int len) {
        channels.received(source, b, off, len);
        TransportDatagramSocket target = null;
        for (TransportDatagramSocket s : sockets) {
            if (s.host().equals(local)) {
                target = s;
                break;
            }
            if (target == null && s.host().getAddress().getClass() == source.getAddress().getClass()) {
                target = s; // the data plane reports only the port it received on: same family will do
            }
        }
        if (target != null) {
            target.enqueue(source, b, off, len);
        }
    }

    /** Detaches from the mux and closes every socket (ice4j closes them too when the agent is freed). */
    void close() {
        mux.detach(this);
        for (TransportDatagramSocket s : sockets) {
            s.close();
        }
    }
}
