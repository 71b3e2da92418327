package net.ipop.dataplane.conductor;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import net.ipop.crypto.noise.PeerTimers;
import net.ipop.dataplane.ipc.EventProxy;
import net.ipop.dataplane.session.Session;
import net.ipop.dataplane.session.SessionSignals;
import net.ipop.ipc.sbe.SessionEventKind;

/**
 * Turns what the pipelines note about sessions ({@link SessionSignals}) and the sessions' ages into session
 * events for the control plane, and expires sessions the data plane may no longer use:
 *
 * <ul>
 *   <li>{@code CONFIRMED}, once, when a message authenticated under a responder session's receive key (the
 *       initiator has the keys: the handshake is complete);</li>
 *   <li>{@code REKEY_DUE}, once, for a peer's current session when its send counter passed
 *       {@code REKEY_AFTER_MESSAGES}, or when we initiated it and it is {@code REKEY_AFTER_TIME} old, or when we
 *       initiated it {@code REKEY_TIMEOUT} ago and nothing authenticated under it while the peer did send under
 *       another session: the peer lacks its keys (a burst of crossed handshakes left its data plane two others)
 *       or missed our announcement, and a new handshake settles it long before the dead-peer interval would;</li>
 *   <li>{@code EXPIRED} when a session is {@code REJECT_AFTER_TIME} old or its send counter reached the reject
 *       limit: the session is dropped from the table first ({@link Expiry}), and a current session takes the
 *       previous one with it (as RetireSession does), which gets its own {@code EXPIRED}.</li>
 * </ul>
 *
 * <p>Ages count from installation on the conductor's clock (the control plane's creation time is from another
 * process's clock, and a fake one in tests); installation follows the handshake by milliseconds. Sessions that
 * leave the table otherwise (RetireSession, a newer install, RemovePeer) are forgotten without an event.
 *
 * <p>Threading: conductor thread only, like {@link Conductor} which owns it; the pipelines only set flags. A
 * CONFIRMED or REKEY_DUE that could not be offered (back pressure, no control plane) is offered again on the
 * next poll; an EXPIRED is offered once (the session is gone either way; the control plane expires it by age
 * too) and counted by the {@link EventProxy} if lost. Slow path: allocates only when sessions come and go.
 */
final class SessionWatch {
    /** Polls at most this often: sessions live for minutes, a confirmation may wait 10 ms. */
    static final long POLL_INTERVAL_NANOS = 10_000_000L;

    /** Drops a session from its peer's table entry and publishes the change; conductor thread. */
    interface Expiry {
        void expire(PeerEntry entry, Session session);
    }

    private static final class Watched {
        final PeerEntry entry;
        final Session session;
        final boolean initiator;
        final long installedNanos;
        boolean confirmPending;
        boolean rekeyReported;

        Watched(PeerEntry entry, Session session, boolean initiator, long installedNanos) {
            this.entry = entry;
            this.session = session;
            this.initiator = initiator;
            this.installedNanos = installedNanos;
            this.confirmPending = !initiator;
        }
    }

    private final Map<Long, PeerEntry> peers;
    private final EventProxy events;
    private final Expiry expiry;
    private final List<Watched> watched = new ArrayList<>();
    private boolean polledOnce;
    private long lastPollNanos;

    /**
     * @param peers the conductor's peer records (read here, never changed), to tell a removed peer's sessions
     * @param events where the events go
     * @param expiry drops an expired session from the table
     */
    SessionWatch(Map<Long, PeerEntry> peers, EventProxy events, Expiry expiry) {
        this.peers = peers;
        this.events = events;
        this.expiry = expiry;
    }

    /** A session was installed (and published) for {@code entry} at {@code nowNanos}. */
    void installed(PeerEntry entry, Session session, boolean initiator, long nowNanos) {
        watched.add(new Watched(entry, session, initiator, nowNanos));
    }

    /** Sessions watched now (tests). */
    int size() {
        return watched.size();
    }

    /**
     * One look at every watched session, at most every {@link #POLL_INTERVAL_NANOS}; returns the number of
     * events sent and sessions expired (0 when nothing happened).
     */
    int poll(long nowNanos) {
        if (polledOnce && nowNanos - lastPollNanos < POLL_INTERVAL_NANOS) {
            return 0;
        }
        polledOnce = true;
        lastPollNanos = nowNanos;
        int work = 0;
        for (int i = 0; i < watched.size(); ) {
            Watched w = watched.get(i);
            if (!inTable(w)) {
                watched.remove(i);
                continue;
            }
            SessionSignals signals = w.session.signals();
            if (w.confirmPending && signals.received()) {
                w.confirmPending = !send(w, SessionEventKind.CONFIRMED);
                work++;
            }
            if (!w.rekeyReported && w.entry.current == w.session && (signals.rekeyDue()
                    || w.initiator && nowNanos - w.installedNanos >= PeerTimers.REKEY_AFTER_TIME_NANOS
                    || w.initiator && heardOnlyUnderOthers(w, signals, nowNanos))) {
                w.rekeyReported = send(w, SessionEventKind.REKEY_DUE);
                work++;
            }
            if (signals.exhausted() || nowNanos - w.installedNanos >= PeerTimers.REJECT_AFTER_TIME_NANOS) {
                Session alsoDropped = w.entry.current == w.session ? w.entry.previous : null;
                expiry.expire(w.entry, w.session);
                watched.remove(i);
                send(w, SessionEventKind.EXPIRED);
                work++;
                if (alsoDropped != null) {
                    int j = indexOf(alsoDropped);
                    if (j >= 0) {
                        Watched previous = watched.remove(j);
                        send(previous, SessionEventKind.EXPIRED);
                        if (j < i) {
                            i--;
                        }
                    }
                }
                continue;
            }
            i++;
        }
        return work;
    }

    /**
     * Whether the peer has not used our initiated session for {@code REKEY_TIMEOUT} though it sent us something
     * authenticated since we installed it (necessarily under another session).
     */
    private static boolean heardOnlyUnderOthers(Watched w, SessionSignals signals, long nowNanos) {
        return nowNanos - w.installedNanos >= PeerTimers.REKEY_TIMEOUT_NANOS && !signals.received()
                && w.entry.liveness.lastReceivedNanos() - w.installedNanos > 0;
    }

    private boolean inTable(Watched w) {
        return peers.get(w.entry.id) == w.entry && (w.entry.current == w.session || w.entry.previous == w.session);
    }

    private int indexOf(Session session) {
        for (int i = 0; i < watched.size(); i++) {
            if (watched.get(i).session == session) {
                return i;
            }
        }
        return -1;
    }

    private boolean send(Watched w, SessionEventKind kind) {
        return events.sessionEvent(w.entry.id, Integer.toUnsignedLong(w.session.localIndex()), kind);
    }
}
