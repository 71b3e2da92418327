package net.ipop.control.ice;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Shares one {@link IceTransport} (one UDP socket) among the ICE sessions of all peers, the way the data
 * plane's single socket serves every peer. Each arriving datagram goes to the session it belongs to:
 * <ul>
 *   <li>a STUN request (a connectivity or consent check) by the local ufrag in its USERNAME;</li>
 *   <li>a STUN response by the transaction id of the request a session sent;</li>
 *   <li>data a TURN server relays to the node's shared allocation (ChannelData, Data indications) to the
 *       session it is for, by the rules of {@link SharedAllocation};</li>
 *   <li>anything else (other indications, data on a transport that carries it) to every session: each ice4j
 *       agent ignores what does not match its own pairs.</li>
 * </ul>
 * Datagrams no session claims are dropped and counted.
 *
 * <p>Threading: {@link #datagram} runs on the transport's receiving thread; the other methods on any
 * thread. The routing tables are guarded by this object's lock, which is never held while a session's
 * code runs.
 */
public final class IceMux implements IceTransport.Receiver, AutoCloseable {
    /** Transactions outstanding at once across all sessions; older ones are forgotten (their answer is lost). */
    private static final int MAX_TRANSACTIONS = 4096;

    private final IceTransport transport;
    private final List<AgentSockets> sessions = new ArrayList<>();
    private final Map<StunPackets.TransactionKey, AgentSockets> transactions =
            new LinkedHashMap<>(64, 0.75f, false) {
                private static final long serialVersionUID = 1L;

                @Override
                protected boolean removeEldestEntry(Map.Entry<StunPackets.TransactionKey, AgentSockets> eldest) {
                    return size() > MAX_TRANSACTIONS;
                }
            };
    private long unclaimed;
    /** Answers awaited outside the ICE sessions ({@link TurnRelease}), by transaction id. */
    private final Map<StunPackets.TransactionKey, IceTransport.Receiver> exchanges = new java.util.HashMap<>();
    /** Allocate requests the TURN server refused with 437 Allocation Mismatch: its 5-tuple is taken. */
    private long allocationMismatches;
    private final Object releaseLock = new Object();
    private boolean released;
    private final SharedRelays relays = new SharedRelays(this);

    /** Takes over {@code transport}'s receiver. The transport stays the caller's to close. */
    public IceMux(IceTransport transport) {
        this.transport = transport;
        transport.receiver(this);
    }

    public IceTransport transport() {
        return transport;
    }

    /** Datagrams dropped because no session claimed them (checks for closed or restarted sessions). */
    public synchronized long unclaimed() {
        return unclaimed;
    }

    synchronized void attach(AgentSockets session) {
        sessions.add(session);
    }

    synchronized void detach(AgentSockets session) {
        sessions.remove(session);
        transactions.values().removeIf(s -> s == session);
    }

    /** Allocate requests refused with 437 Allocation Mismatch so far (an old allocation holds the 5-tuple). */
    synchronized long allocationMismatches() {
        return allocationMismatches;
    }

    /** The TURN allocations the sessions on this mux share. */
    SharedRelays relays() {
        return relays;
    }

    /** Routes the answer to the request {@code key} to {@code receiver} until {@link #forget}. */
    synchronized void expect(StunPackets.TransactionKey key, IceTransport.Receiver receiver) {
        exchanges.put(key, receiver);
    }

    synchronized void forget(StunPackets.TransactionKey key) {
        exchanges.remove(key);
    }

    /** Guards {@link #released}: {@link TurnRelease#beforeFirstGathering} runs once per mux. */
    Object releaseLock() {
        return releaseLock;
    }

    boolean released() {
        assert Thread.holdsLock(releaseLock);
        return released;
    }

    void released(boolean done) {
        assert Thread.holdsLock(releaseLock);
        released = done;
    }

    /** Records a request {@code session} is sending so that its response finds the way back. */
    void sending(AgentSockets session, byte[] b, int off, int len) {
        if (StunPackets.isStun(b, off, len) && StunPackets.messageClass(b, off) == StunPackets.CLASS_REQUEST) {
            StunPackets.TransactionKey key = StunPackets.transaction(b, off);
            synchronized (this) {
                transactions.put(key, session);
            }
        }
    }

    @Override
    public void datagram(InetSocketAddress local, InetSocketAddress source, byte[] b, int off, int len) {
        if (relays.received(source, b, off, len)) {
            return; // data relayed through a shared TURN allocation, handed to its session
        }
        AgentSockets[] targets;
        IceTransport.Receiver exchange = null;
        synchronized (this) {
            if (StunPackets.isStun(b, off, len) && isResponse(StunPackets.messageClass(b, off))) {
                exchange = exchanges.get(StunPackets.transaction(b, off));
                if (StunPackets.type(b, off) == TurnRefresh.ALLOCATE_ERROR
                        && TurnRefresh.errorCode(b, off, len) == TurnRefresh.ALLOCATION_MISMATCH) {
                    allocationMismatches++;
                }
            }
            targets = exchange != null ? null : route(b, off, len);
            if (targets != null && targets.length == 0) {
                unclaimed++;
                return;
            }
        }
        if (exchange != null) {
            exchange.datagram(local, source, b, off, len);
            return;
        }
        for (AgentSockets target : targets) {
            target.deliver(local, source, b, off, len);
        }
    }

    private static boolean isResponse(int messageClass) {
        return messageClass == StunPackets.CLASS_SUCCESS || messageClass == StunPackets.CLASS_ERROR;
    }

    private AgentSockets[] route(byte[] b, int off, int len) {
        if (StunPackets.isStun(b, off, len)) {
            int cls = StunPackets.messageClass(b, off);
            if (cls == StunPackets.CLASS_REQUEST) {
                String ufrag = StunPackets.checkedUfrag(b, off, len);
                for (AgentSockets s : sessions) {
                    if (s.localUfrag().equals(ufrag)) {
                        return new AgentSockets[] {s};
                    }
                }
                return new AgentSockets[0];
            }
            if (cls == StunPackets.CLASS_SUCCESS || cls == StunPackets.CLASS_ERROR) {
                AgentSockets s = transactions.remove(StunPackets.transaction(b, off));
                return s == null ? new AgentSockets[0] : new AgentSockets[] {s};
            }
        }
        return sessions.toArray(new AgentSockets[0]);
    }

    /**
     * Detaches the receiver from the transport and ends the shared TURN allocations (their releases are queued on
     * the transport, not awaited). Sessions still open receive nothing more.
     */
    @Override
    public void close() {
        transport.receiver(null);
        relays.close();
    }
}
