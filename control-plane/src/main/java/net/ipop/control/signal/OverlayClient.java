package net.ipop.control.signal;

import java.io.IOException;
import java.security.SecureRandom;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Level;
import java.util.logging.Logger;

import javax.net.SocketFactory;

import net.ipop.control.config.SignallingConfig;
import net.ipop.crypto.cert.NodeCertificate;
import org.jivesoftware.smack.ConnectionListener;
import org.jivesoftware.smack.ReconnectionManager;
import org.jivesoftware.smack.SmackException;
import org.jivesoftware.smack.XMPPConnection;
import org.jivesoftware.smack.XMPPException;
import org.jivesoftware.smack.filter.AndFilter;
import org.jivesoftware.smack.filter.FromMatchesFilter;
import org.jivesoftware.smack.filter.StanzaTypeFilter;
import org.jivesoftware.smack.packet.ExtensionElement;
import org.jivesoftware.smack.packet.Message;
import org.jivesoftware.smack.packet.Presence;
import org.jivesoftware.smack.packet.Stanza;
import org.jivesoftware.smack.packet.StanzaError;
import org.jivesoftware.smack.tcp.XMPPTCPConnection;
import org.jivesoftware.smackx.muc.MultiUserChat;
import org.jivesoftware.smackx.muc.MultiUserChatManager;
import org.jivesoftware.smackx.muc.MucEnterConfiguration;
import org.jivesoftware.smackx.muc.packet.MUCUser;
import org.jxmpp.jid.EntityBareJid;
import org.jxmpp.jid.EntityFullJid;
import org.jxmpp.jid.Jid;
import org.jxmpp.jid.impl.JidCreate;
import org.jxmpp.jid.parts.Resourcepart;
import org.jxmpp.stringprep.XmppStringprepException;

/**
 * One overlay's signalling: one account, one XMPP connection, one room. The node is an occupant
 * of the room under its certificate's name; its join presence carries its {@link Announcement};
 * offers and answers go to a peer as private messages to {@code room/peer}, so the room vouches
 * for the sender's nick and no real JIDs need to be visible.
 *
 * <p>Threads: {@link #start}, the senders and {@link #close} are called by the control plane.
 * Stanzas arrive on Smack's (single) synchronous listener thread; they are checked there and
 * posted to the {@link EventSink}. After Smack's {@link ReconnectionManager} has reconnected, the
 * room is re-joined (and the announcement re-sent) on this client's own thread, since Smack's
 * callback threads must not block on a reply.
 */
final class OverlayClient implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(OverlayClient.class.getName());
    private static final int JOIN_ATTEMPTS = 6;
    static final String RESOURCE = "ipop";

    private final SignallingConfig config;
    private final SocketFactory sockets;
    private final EventSink sink;
    private final SecureRandom random;
    private final int reconnectDelaySeconds;
    private final EntityBareJid roomJid;
    /** The status of the unavailable presence a node sends when it stops on purpose. */
    static final String LEAVING_STATUS = "ipop: leaving";
    private final Resourcepart nick;
    private final Map<String, NodeCertificate> present = new ConcurrentHashMap<>();
    private final Set<String> seenSinceJoin = ConcurrentHashMap.newKeySet();
    private final AtomicInteger joins = new AtomicInteger();
    private final ExecutorService rejoiner;
    private volatile NodeCertificate certificate;
    private volatile XMPPTCPConnection connection;
    private volatile MultiUserChat room;
    private volatile boolean closed;
    /** Peers present before the current join, until our own presence in the room is seen; or null. */
    private volatile Set<String> pendingSweep;

    /** Where checked events and drops go; called on Smack's threads. */
    interface EventSink {
        void post(SignalEvent event);

        void drop(DropReason reason, String overlay, String detail);
    }

    OverlayClient(SignallingConfig config, NodeCertificate certificate, SocketFactory sockets, EventSink sink,
            SecureRandom random, int reconnectDelaySeconds) throws SignallingException {
        this.config = config;
        this.certificate = certificate;
        this.sockets = sockets;
        this.sink = sink;
        this.random = random;
        this.reconnectDelaySeconds = reconnectDelaySeconds;
        try {
            this.roomJid = JidCreate.entityBareFrom(config.room());
            this.nick = Resourcepart.from(certificate.name());
        } catch (XmppStringprepException e) {
            throw new SignallingException(config.overlay() + ": room " + config.room() + " is not a valid JID", e);
        }
        this.rejoiner = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "signal-" + config.overlay());
            t.setDaemon(true);
            return t;
        });
    }

    String overlay() {
        return config.overlay();
    }

    /** Connects, logs in and joins the room; blocks up to a few times the configured timeout. */
    void start() throws SignallingException {
        XMPPTCPConnection c = new XMPPTCPConnection(XmppConnections.configuration(config, sockets));
        c.setReplyTimeout(config.connectTimeoutMs());
        c.setParsingExceptionCallback(u -> sink.drop(DropReason.MALFORMED, config.overlay(),
                "unparsable stanza: " + u.getParsingException()));
        c.addSyncStanzaListener(this::onPresence, new AndFilter(FromMatchesFilter.createBare(roomJid),
                StanzaTypeFilter.PRESENCE));
        c.addSyncStanzaListener(this::onMessage, StanzaTypeFilter.MESSAGE);
        c.addConnectionListener(new ConnectionListener() {
            @Override
            public void authenticated(XMPPConnection conn, boolean resumed) {
                if (!resumed && joins.get() > 0 && !closed) {
                    LOG.info(() -> config.overlay() + ": reconnected to " + config.server() + "; joining "
                            + roomJid + " again");
                    rejoiner.execute(OverlayClient.this::rejoin);
                }
            }

            @Override
            public void connectionClosedOnError(Exception e) {
                if (joins.get() > 0 && !closed) {
                    LOG.warning(() -> config.overlay() + ": connection to " + config.server() + " lost (" + e
                            + "); reconnecting");
                }
            }
        });
        ReconnectionManager reconnection = ReconnectionManager.getInstanceFor(c);
        if (reconnectDelaySeconds > 0) {
            reconnection.setReconnectionPolicy(ReconnectionManager.ReconnectionPolicy.FIXED_DELAY);
            reconnection.setFixedDelay(reconnectDelaySeconds);
        } else {
            reconnection.setReconnectionPolicy(ReconnectionManager.ReconnectionPolicy.RANDOM_INCREASING_DELAY);
        }
        // Not before the first login: a node that cannot log in at all (wrong password, untrusted server)
        // fails its join() instead of retrying in the background.
        reconnection.disableAutomaticReconnection();
        connection = c;
        try {
            c.connect();
            c.login();
            reconnection.enableAutomaticReconnection();
        } catch (SmackException | IOException | XMPPException e) {
            c.disconnect();
            throw new SignallingException(config.overlay() + ": cannot log in as " + config.account() + " at "
                    + config.server() + ":" + config.port() + " (" + e + ")", e);
        } catch (InterruptedException e) {
            c.disconnect();
            Thread.currentThread().interrupt();
            throw new SignallingException(config.overlay() + ": interrupted while connecting", e);
        }
        room = MultiUserChatManager.getInstanceFor(c).getMultiUserChat(roomJid);
        join();
    }

    /**
     * Joins again after a reconnection (on this client's thread), retrying with growing pauses (up to a
     * minute) while the connection stays up: a room can be briefly locked while another node re-creates it.
     */
    private void rejoin() {
        for (int attempt = 1; !closed; attempt++) {
            try {
                join();
                return;
            } catch (SignallingException e) {
                LOG.log(Level.WARNING, config.overlay() + ": could not join " + roomJid + " again (attempt "
                        + attempt + ")", e);
            }
            XMPPTCPConnection c = connection;
            if (c == null || !c.isAuthenticated()) {
                return; // the next reconnection starts over
            }
            try {
                Thread.sleep(Math.min(60_000L, 1000L << Math.min(attempt, 6)));
            } catch (InterruptedException e) {
                return; // closed
            }
        }
    }

    /**
     * Enters the room with the announcement in the join presence. The first node in creates the room and
     * unlocks it at once (an instant room); another node arriving while it is still locked is refused
     * and retries. Peers that were present before and are not in the room now are reported gone.
     */
    private synchronized void join() throws SignallingException {
        MultiUserChat muc = room;
        if (muc.isJoined()) {
            try {
                muc.leave(); // resets Smack's view of a room the server forgot when it restarted
            } catch (SmackException | XMPPException | InterruptedException e) {
                LOG.fine(() -> config.overlay() + ": leaving the stale room: " + e);
            }
        }
        seenSinceJoin.clear();
        pendingSweep = new HashSet<>(present.keySet());
        NodeCertificate cert = certificate;
        MucEnterConfiguration enter = muc.getEnterConfigurationBuilder(nick)
                .withPresence(p -> p.addExtension(SignalElement.of(new Announcement(cert))))
                .requestNoHistory()
                .timeoutAfter(config.connectTimeoutMs())
                .build();
        for (int attempt = 1; ; attempt++) {
            try {
                MultiUserChat.MucCreateConfigFormHandle created = muc.createOrJoin(enter);
                if (created != null) {
                    created.makeInstant();
                }
                break;
            } catch (XMPPException.XMPPErrorException e) {
                StanzaError.Condition why = e.getStanzaError().getCondition();
                boolean transient_ = why == StanzaError.Condition.item_not_found
                        || why == StanzaError.Condition.conflict;
                if (!transient_ || attempt == JOIN_ATTEMPTS) {
                    throw new SignallingException(config.overlay() + ": cannot join " + roomJid + " as " + nick
                            + " (" + why + ")", e);
                }
                pause(attempt);
            } catch (SmackException | InterruptedException e) {
                if (e instanceof InterruptedException) {
                    Thread.currentThread().interrupt();
                }
                throw new SignallingException(config.overlay() + ": cannot join " + roomJid + " (" + e + ")", e);
            }
        }
        joins.incrementAndGet();
        LOG.info(() -> config.overlay() + ": joined " + roomJid + " as " + nick);
    }

    /**
     * On our own presence coming back from the room after a join (listener thread): the service sends
     * every occupant's presence before ours (XEP-0045 7.2.3), so a peer present before the join and not
     * seen since has gone meanwhile. Done here, in stanza order, not in {@link #join}, whose return may
     * overtake the listener thread.
     */
    private void sweepAfterJoin() {
        Set<String> before = pendingSweep;
        if (before == null) {
            return;
        }
        pendingSweep = null;
        for (String peer : before) {
            if (!seenSinceJoin.contains(peer) && present.remove(peer) != null) {
                sink.post(new SignalEvent.PeerGone(config.overlay(), peer, false));
            }
        }
    }

    private static void pause(int attempt) throws SignallingException {
        try {
            Thread.sleep(100L * attempt * attempt);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SignallingException("interrupted while waiting to join", e);
        }
    }

    /** Sends a presence update with a new certificate (renewed by the CA); peers see it as present again. */
    void announce(NodeCertificate newCertificate) throws SignallingException {
        if (!newCertificate.name().equals(nick.toString())) {
            throw new IllegalArgumentException("the certificate names " + newCertificate.name() + ", not "
                    + nick + "; a node keeps its name in an overlay");
        }
        certificate = newCertificate;
        XMPPTCPConnection c = connection;
        EntityFullJid to = JidCreate.entityFullFrom(roomJid, nick);
        Presence p = c.getStanzaFactory().buildPresenceStanza().to(to)
                .addExtension(SignalElement.of(new Announcement(newCertificate))).build();
        send(c, p);
    }

    Offer sendOffer(String peerId, List<Candidate> candidates) throws SignallingException {
        return sendOffer(peerId, IceCredentials.random(random), candidates);
    }

    Offer sendOffer(String peerId, IceCredentials credentials, List<Candidate> candidates)
            throws SignallingException {
        Offer offer = new Offer(SessionIds.random(random), credentials, candidates);
        sendTo(peerId, offer);
        return offer;
    }

    Answer sendAnswer(String peerId, String sessionId, List<Candidate> candidates) throws SignallingException {
        return sendAnswer(peerId, sessionId, IceCredentials.random(random), candidates);
    }

    Answer sendAnswer(String peerId, String sessionId, IceCredentials credentials, List<Candidate> candidates)
            throws SignallingException {
        Answer answer = new Answer(sessionId, credentials, candidates);
        sendTo(peerId, answer);
        return answer;
    }

    private void sendTo(String peerId, SignalMessage m) throws SignallingException {
        if (!present.containsKey(peerId)) {
            throw new SignallingException(config.overlay() + ": peer " + peerId + " is not present in " + roomJid);
        }
        XMPPTCPConnection c = connection;
        EntityFullJid to;
        try {
            to = JidCreate.entityFullFrom(roomJid, Resourcepart.from(peerId));
        } catch (XmppStringprepException e) {
            throw new SignallingException(config.overlay() + ": '" + peerId + "' is not a valid nick", e);
        }
        Message msg = c.getStanzaFactory().buildMessageStanza().to(to).ofType(Message.Type.chat)
                .addExtension(new MUCUser()).addExtension(SignalElement.of(m)).build();
        send(c, msg);
    }

    private void send(XMPPTCPConnection c, Stanza s) throws SignallingException {
        try {
            c.sendStanza(s);
        } catch (SmackException.NotConnectedException e) {
            throw new SignallingException(config.overlay() + ": not connected to " + config.server()
                    + " (reconnecting)", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SignallingException(config.overlay() + ": interrupted while sending", e);
        }
    }

    /** Peers present in the room now, by node name. */
    Set<String> peers() {
        return Set.copyOf(present.keySet());
    }

    /** How many times the room was joined (1 after {@link #start}, one more per reconnection). */
    int joins() {
        return joins.get();
    }

    // --- Smack's listener thread below: check, count, post; never throw. ---

    private void onPresence(Stanza stanza) {
        try {
            Presence p = (Presence) stanza;
            Resourcepart from = p.getFrom().getResourceOrNull();
            if (from == null) {
                return; // the room itself
            }
            if (from.equals(nick)) {
                if (p.getType() == Presence.Type.available) {
                    sweepAfterJoin();
                }
                return;
            }
            String peer = from.toString();
            if (p.getType() == Presence.Type.unavailable) {
                seenSinceJoin.remove(peer);
                if (present.remove(peer) != null) {
                    sink.post(new SignalEvent.PeerGone(config.overlay(), peer, LEAVING_STATUS.equals(p.getStatus())));
                }
                return;
            }
            if (p.getType() != Presence.Type.available) {
                return;
            }
            SignalElement e = ours(p);
            if (e == null) {
                return; // an occupant that is not an IPOP node (an operator's client): not a peer
            }
            if (e.problem() != null || !(e.message() instanceof Announcement a)) {
                sink.drop(DropReason.MALFORMED, config.overlay(), "presence of " + peer + ": "
                        + (e.problem() != null ? e.problem() : "<" + e.getElementName() + "> in a presence"));
                return;
            }
            if (!a.nodeName().equals(peer)) {
                sink.drop(DropReason.FORGED, config.overlay(), "occupant " + peer + " announces the certificate of "
                        + a.nodeName());
                return;
            }
            present.put(peer, a.certificate());
            seenSinceJoin.add(peer);
            sink.post(new SignalEvent.PeerPresent(config.overlay(), peer, a.certificate()));
        } catch (RuntimeException e) {
            sink.drop(DropReason.MALFORMED, config.overlay(), "presence: " + e);
        }
    }

    private void onMessage(Stanza stanza) {
        try {
            Message m = (Message) stanza;
            SignalElement e = ours(m);
            if (e == null) {
                return; // not signalling (room subject, an operator's chat)
            }
            Jid from = m.getFrom();
            Resourcepart nickFrom = from == null ? null : from.getResourceOrNull();
            if (from == null || !from.asBareJid().equals(roomJid) || nickFrom == null) {
                sink.drop(DropReason.FORGED, config.overlay(), "signalling message not from an occupant of " + roomJid
                        + " (from " + from + ")");
                return;
            }
            if (m.getType() == Message.Type.error) {
                LOG.fine(() -> config.overlay() + ": a message to " + nickFrom + " bounced");
                return;
            }
            String peer = nickFrom.toString();
            if (m.getType() != Message.Type.chat) {
                sink.drop(DropReason.MALFORMED, config.overlay(), "signalling message of type " + m.getType()
                        + " from " + peer + "; only private (chat) messages carry offers and answers");
                return;
            }
            if (!present.containsKey(peer)) {
                sink.drop(DropReason.UNKNOWN_SENDER, config.overlay(), "message from " + peer
                        + ", who has not announced a certificate");
                return;
            }
            switch (e.message()) {
                case Offer o -> sink.post(new SignalEvent.OfferReceived(config.overlay(), peer, o));
                case Answer a -> sink.post(new SignalEvent.AnswerReceived(config.overlay(), peer, a));
                case null -> sink.drop(DropReason.MALFORMED, config.overlay(), "message from " + peer + ": "
                        + e.problem());
                case Announcement a -> sink.drop(DropReason.MALFORMED, config.overlay(), "message from " + peer
                        + ": an announcement belongs in presence");
            }
        } catch (RuntimeException e) {
            sink.drop(DropReason.MALFORMED, config.overlay(), "message: " + e);
        }
    }

    /** Our extension element in {@code s}, or null. More than one is refused as malformed. */
    private SignalElement ours(Stanza s) {
        SignalElement found = null;
        for (ExtensionElement x : s.getExtensions()) {
            if (SignalElement.NAMESPACE.equals(x.getNamespace())) {
                if (found != null || !(x instanceof SignalElement se)) {
                    return SignalElement.invalid(x.getElementName(), "more than one signalling element");
                }
                found = se;
            }
        }
        return found;
    }

    /** Leaves the room and disconnects; peers see this node gone. Idempotent. */
    @Override
    public void close() {
        closed = true;
        rejoiner.shutdownNow();
        XMPPTCPConnection c = connection;
        if (c != null) {
            ReconnectionManager.getInstanceFor(c).disableAutomaticReconnection();
            MultiUserChat muc = room;
            if (muc != null && muc.isJoined() && c.isAuthenticated()) {
                // Our own unavailable presence rather than MultiUserChat.leave(): it carries LEAVING_STATUS, which
                // tells the others this node stopped on purpose (a crash or a lost connection has the server send
                // the unavailable presence, without it, and the others keep the link a while for our return).
                try {
                    c.sendStanza(c.getStanzaFactory().buildPresenceStanza().ofType(Presence.Type.unavailable)
                            .to(JidCreate.entityFullFrom(roomJid, nick)).setStatus(LEAVING_STATUS).build());
                } catch (SmackException.NotConnectedException | InterruptedException e) {
                    LOG.fine(() -> config.overlay() + ": leaving " + roomJid + ": " + e);
                }
            }
            c.disconnect();
        }
        try {
            rejoiner.awaitTermination(1, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
