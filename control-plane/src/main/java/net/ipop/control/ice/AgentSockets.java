package net.ipop.control.ice;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketException;
import java.util.ArrayList;
import java.util.List;

/**
 * The sockets one ice4j agent sees: a {@link TransportDatagramSocket} per host address of the shared
 * transport, and its shares of the node's TURN allocations ({@link SharedAllocation.User}, one per server).
 * Datagrams the {@link IceMux} routes here go to the socket of the address they arrived on; datagrams ice4j
 * sends go out through the transport, after the mux has seen them.
 *
 * <p>Threading: any thread; the host socket table is fixed after {@link #open}.
 */
final class AgentSockets {
    private final IceMux mux;
    private final String localUfrag;
    private final List<TransportDatagramSocket> sockets = new ArrayList<>();
    private final List<SharedAllocation.User> relays = new ArrayList<>();
    private boolean closed;

    private AgentSockets(IceMux mux, String localUfrag) {
        this.mux = mux;
        this.localUfrag = localUfrag;
    }

    /** One socket per host address of {@code mux}'s transport, attached to the mux. */
    static AgentSockets open(IceMux mux, String localUfrag) throws SocketException {
        AgentSockets s = new AgentSockets(mux, localUfrag);
        for (InetSocketAddress host : mux.transport().hostAddresses()) {
            s.sockets.add(new TransportDatagramSocket((to, b, off, len) -> s.send(host, to, b, off, len), host));
        }
        mux.attach(s);
        return s;
    }

    IceMux mux() {
        return mux;
    }

    String localUfrag() {
        return localUfrag;
    }

    List<TransportDatagramSocket> sockets() {
        return sockets;
    }

    /**
     * Takes a share of the node's allocation on {@code server} for this agent (blocking while it is made),
     * given back by {@link #close}; null if this agent is closed meanwhile.
     */
    SharedAllocation.User relay(IceConfig.TurnServer server) throws IOException {
        SharedAllocation.User u = mux.relays().acquire(server, localUfrag);
        synchronized (this) {
            if (!closed) {
                relays.add(u);
                return u;
            }
        }
        u.release();
        return null;
    }

    private void send(InetSocketAddress from, InetSocketAddress to, byte[] b, int off, int len) throws IOException {
        mux.sending(this, b, off, len);
        mux.transport().send(from, to, b, off, len);
    }

    void deliver(InetSocketAddress local, InetSocketAddress source, byte[] b, int off, int len) {
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

    /**
     * Detaches from the mux, closes every socket (ice4j closes them too when the agent is freed) and gives back
     * the agent's shares of TURN allocations.
     */
    void close() {
        mux.detach(this);
        for (TransportDatagramSocket s : sockets) {
            s.close();
        }
        List<SharedAllocation.User> held;
        synchronized (this) {
            closed = true;
            held = List.copyOf(relays);
            relays.clear();
        }
        for (SharedAllocation.User u : held) {
            u.release();
        }
    }
}
