package net.ipop.control.node;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import net.ipop.control.ipc.DataPlaneConnection;
import net.ipop.control.ipc.DataPlaneUnavailableException;
import net.ipop.control.ipc.Endpoints;
import net.ipop.control.ipc.EventListener;
import net.ipop.control.ipc.Reply;
import net.ipop.ipc.sbe.BooleanType;
import net.ipop.ipc.sbe.CommandResultDecoder;
import net.ipop.ipc.sbe.PathKind;
import net.ipop.ipc.sbe.PeerStateDecoder;
import net.ipop.ipc.sbe.PuntedPacketDecoder;
import net.ipop.ipc.sbe.SessionEventDecoder;
import net.ipop.ipc.sbe.StateDoneDecoder;

/**
 * What a running data plane holds, as a control plane that adopts it needs it: per peer its id, static key,
 * current endpoint and installed sessions (no key material). Read with one QueryState ({@link #query}).
 * Immutable.
 */
public final class DataPlaneState {
    /** The schema version whose PeerState carries keys and sessions. */
    static final int ADOPTABLE_VERSION = 2;

    /**
     * One peer of the data plane.
     *
     * @param peerId    its id in the data plane (uint32 in an int)
     * @param publicKey its static key (32 bytes); owned by this record, do not modify
     * @param endpoint  where its packets go now (learned by roaming, perhaps), or {@code null}
     * @param sessions  its sessions, oldest first (previous, then current)
     * @param relayed   whether {@code endpoint} is reached through a TURN server (an overlay's relayed path)
     */
    record Peer(int peerId, byte[] publicKey, InetSocketAddress endpoint, List<Session> sessions, boolean relayed) {
        Peer(int peerId, byte[] publicKey, InetSocketAddress endpoint, List<Session> sessions) {
            this(peerId, publicKey, endpoint, sessions, false);
        }

        boolean hasKey(byte[] key) {
            return Arrays.equals(publicKey, key);
        }
    }

    private final List<Peer> peers;

    DataPlaneState(List<Peer> peers) {
        this.peers = List.copyOf(peers);
    }

    /** The peers, in the data plane's slot order. */
    List<Peer> peers() {
        return peers;
    }

    /** How many peers the data plane holds. */
    public int size() {
        return peers.size();
    }

    /** How many sessions the data plane holds over all peers. */
    public int sessions() {
        int n = 0;
        for (Peer p : peers) {
            n += p.sessions().size();
        }
        return n;
    }

    /**
     * Asks the data plane behind {@code connection} for its state and waits at most {@code timeout} for the
     * answer. Other events arriving meanwhile (punted handshakes, session events) are dropped: the peer
     * retransmits a handshake within 5 s, and an adopting node runs its rekey and expiry timers from the sessions'
     * ages, not from the data plane's events. Call on the connection's thread.
     *
     * @throws DataPlaneUnavailableException if the data plane does not answer, refuses the query, or is too old to
     *                                       report keys and sessions (schema version below 2): it cannot be adopted
     */
    public static DataPlaneState query(DataPlaneConnection connection, Duration timeout) {
        Collector collector = new Collector();
        Reply reply = connection.call(p -> collector.correlationId = p.queryState(), timeout, collector);
        if (!reply.ok()) {
            throw new DataPlaneUnavailableException("the data plane refused QueryState: " + reply.result() + " "
                    + reply.detail());
        }
        if (collector.tooOld) {
            throw new DataPlaneUnavailableException("the data plane speaks IPC schema version "
                    + collector.version + " and reports no keys or sessions (version " + ADOPTABLE_VERSION
                    + " does)");
        }
        return new DataPlaneState(collector.peers);
    }

    @Override
    public String toString() {
        return peers.size() + " peers, " + sessions() + " sessions";
    }

    /** Copies each PeerState of one query out of its borrowed decoder. */
    private static final class Collector implements EventListener {
        long correlationId;
        final List<Peer> peers = new ArrayList<>();
        boolean tooOld;
        int version;

        @Override
        public void onPeerState(PeerStateDecoder e) {
            if (e.correlationId() != correlationId) {
                return;
            }
            if (e.actingVersion() < ADOPTABLE_VERSION) {
                tooOld = true;
                version = e.actingVersion();
                return;
            }
            byte[] key = new byte[32];
            e.getStaticPublicKey(key, 0, key.length);
            List<Session> sessions = new ArrayList<>(2);
            if (e.previousLocalIndex() != 0) {
                sessions.add(new Session((int) e.previousLocalIndex(), (int) e.previousRemoteIndex(),
                        e.previousInitiator() == BooleanType.TRUE, e.previousCreatedAtNanos()));
            }
            if (e.currentLocalIndex() != 0) {
                sessions.add(new Session((int) e.currentLocalIndex(), (int) e.currentRemoteIndex(),
                        e.currentInitiator() == BooleanType.TRUE, e.sessionCreatedAtNanos()));
            }
            peers.add(new Peer((int) e.peerId(), key, endpoint(e), sessions, e.path() == PathKind.RELAYED));
        }

        private static InetSocketAddress endpoint(PeerStateDecoder e) {
            return e.endpoint().port() == 0 ? null : Endpoints.read(e.endpoint()); // port 0: none learnt yet
        }

        @Override
        public void onCommandResult(CommandResultDecoder event) {
            // Answers to other commands: none are in flight during the query.
        }

        @Override
        public void onPuntedPacket(PuntedPacketDecoder event) {
            // Dropped; see query().
        }

        @Override
        public void onSessionEvent(SessionEventDecoder event) {
            // Dropped; see query().
        }

        @Override
        public void onStateDone(StateDoneDecoder event) {
            // The CommandResult that follows ends the call.
        }
    }
}
