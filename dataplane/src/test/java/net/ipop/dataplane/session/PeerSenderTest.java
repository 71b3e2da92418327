package net.ipop.dataplane.session;

import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.util.Arrays;
import java.util.List;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import net.ipop.crypto.Suite;
import net.ipop.crypto.aead.AeadScratch;
import net.ipop.crypto.aead.MessageLimits;

/** Which session a peer sends with across a rekey ({@link Peer#sender(long)}). */
class PeerSenderTest {
    /** Sessions below are created at 0; this is a moment later. */
    private static final long SOON = 100_000_000L;
    private final AeadScratch scratch = new AeadScratch();
    private final PeerEndpoint endpoint = new PeerEndpoint();

    @AfterEach
    void close() {
        endpoint.close();
    }

    private Session session(int index) {
        byte[] key = new byte[32];
        Arrays.fill(key, (byte) index);
        return new Session(index, index + 100, Suite.AES256GCM, key, key, scratch, 0);
    }

    private Peer peer() {
        return Peer.create(0, "b", List.of(), endpoint);
    }

    @Test
    void noSessionNoSender() {
        assertNull(peer().sender(SOON));
    }

    @Test
    void anInitiatedSessionSendsAtOnce() {
        Session old = session(1);
        Session initiated = session(2);
        assertSame(initiated, peer().withSession(old).withSession(initiated).sender(SOON));
    }

    @Test
    void anAnsweredSessionSendsOnlyOnceThePeerHasUsedIt() {
        Session old = session(1);
        Session answered = session(2).awaitingConfirmation();
        Peer p = peer().withSession(old).withSession(answered);
        assertSame(old, p.sender(SOON));
        answered.signals().onAuthenticated();
        assertSame(answered, p.sender(SOON));
    }

    @Test
    void anAnsweredSessionSendsAfterTheGraceEvenUnused() {
        Session old = session(1);
        Session answered = session(2).awaitingConfirmation();
        Peer p = peer().withSession(old).withSession(answered);
        assertSame(old, p.sender(Peer.CONFIRMATION_GRACE_NANOS - 1));
        assertSame(answered, p.sender(Peer.CONFIRMATION_GRACE_NANOS),
                "the peer may have lost the previous session (a restarted data plane): the new one is its only way");
    }

    @Test
    void anAnsweredSessionSendsWhenNothingElseCan() {
        Session answered = session(2).awaitingConfirmation();
        assertSame(answered, peer().withSession(answered).sender(SOON), "no previous session");
        Session exhausted = session(1);
        exhausted.signals().onSendCounter(MessageLimits.REJECT_AFTER_MESSAGES);
        Session answeredAgain = session(3).awaitingConfirmation();
        assertSame(answeredAgain, peer().withSession(exhausted).withSession(answeredAgain).sender(SOON),
                "the previous session may send no more");
    }
}
