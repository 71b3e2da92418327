package net.ipop.crypto.noise;

import java.security.SecureRandom;
import java.util.Random;

import net.ipop.crypto.Suite;
import org.junit.jupiter.api.Test;

import static net.ipop.crypto.noise.PeerTimers.KEEPALIVE_TIMEOUT_NANOS;
import static net.ipop.crypto.noise.PeerTimers.REJECT_AFTER_TIME_NANOS;
import static net.ipop.crypto.noise.PeerTimers.REKEY_AFTER_TIME_NANOS;
import static net.ipop.crypto.noise.PeerTimers.REKEY_ATTEMPT_TIME_NANOS;
import static net.ipop.crypto.noise.PeerTimers.REKEY_TIMEOUT_JITTER_MAX_NANOS;
import static net.ipop.crypto.noise.PeerTimers.REKEY_TIMEOUT_NANOS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** WireGuard's timer rules, driven by a fake clock. */
class PeerTimersTest {
    private static final long MS = 1_000_000L;
    private static final long S = 1_000 * MS;

    private final PeerTimers timers = new PeerTimers(new Random(42));
    private long now = 1_000 * S;

    @Test
    void queuedPacketWithoutKeysInitiatesOncePerRekeyTimeout() {
        assertTrue(timers.keysExpired(now));
        assertFalse(timers.shouldInitiate(now));
        timers.handshakeWanted();
        assertTrue(timers.shouldInitiate(now));
        timers.initiationSent(now);
        assertTrue(timers.handshaking());
        // Retransmission: not before REKEY_TIMEOUT, and by REKEY_TIMEOUT + max jitter at the latest.
        assertFalse(timers.shouldInitiate(now + REKEY_TIMEOUT_NANOS - 1));
        assertTrue(timers.shouldInitiate(now + REKEY_TIMEOUT_NANOS + REKEY_TIMEOUT_JITTER_MAX_NANOS));
        long deadline = timers.nextDeadline(now);
        assertTrue(deadline >= now + REKEY_TIMEOUT_NANOS && deadline <= now + REKEY_TIMEOUT_NANOS + 333 * MS);
    }

    @Test
    void retransmissionsStopAfterRekeyAttemptTime() {
        timers.handshakeWanted();
        long start = now;
        timers.initiationSent(now);
        while (true) {
            now += REKEY_TIMEOUT_NANOS + REKEY_TIMEOUT_JITTER_MAX_NANOS;
            if (!timers.shouldInitiate(now)) {
                break;
            }
            timers.initiationSent(now);
        }
        assertTrue(now - start >= REKEY_ATTEMPT_TIME_NANOS);
        assertTrue(timers.handshakeTimedOut(now));
        timers.handshakeAbandoned();
        assertFalse(timers.handshaking());
        assertFalse(timers.shouldInitiate(now + 60 * S));
    }

    @Test
    void jitterVariesBetweenRetransmissions() {
        timers.initiationSent(now);
        long first = timers.nextDeadline(now) - now;
        timers.initiationSent(now);
        long second = timers.nextDeadline(now) - now;
        assertTrue(first != second, "jitter should differ: " + first);
    }

    @Test
    void initiatorRekeysAfterRekeyAfterTimeWhenSending() {
        timers.sessionDerived(now, true);
        assertFalse(timers.keysExpired(now));
        timers.dataSent(now + REKEY_AFTER_TIME_NANOS - 1);
        timers.dataReceived(now + REKEY_AFTER_TIME_NANOS - 1, false);
        assertFalse(timers.shouldInitiate(now + REKEY_AFTER_TIME_NANOS - 1));
        timers.dataSent(now + REKEY_AFTER_TIME_NANOS);
        assertTrue(timers.shouldInitiate(now + REKEY_AFTER_TIME_NANOS));
    }

    @Test
    void responderDoesNotRekeyOnAgeButKeysStillExpire() {
        timers.sessionDerived(now, false);
        timers.dataSent(now + REKEY_AFTER_TIME_NANOS + S);
        timers.dataReceived(now + REKEY_AFTER_TIME_NANOS + S, false);
        assertFalse(timers.shouldInitiate(now + REKEY_AFTER_TIME_NANOS + S));
        assertFalse(timers.keysExpired(now + REJECT_AFTER_TIME_NANOS - 1));
        assertTrue(timers.keysExpired(now + REJECT_AFTER_TIME_NANOS));
    }

    @Test
    void initiatorRekeysWhenReceivingOnOldKeys() {
        timers.sessionDerived(now, true);
        long late = now + REJECT_AFTER_TIME_NANOS - KEEPALIVE_TIMEOUT_NANOS - REKEY_TIMEOUT_NANOS;
        timers.dataReceived(late - 1, true);
        assertFalse(timers.shouldInitiate(late - 1));
        timers.dataReceived(late, true);
        assertTrue(timers.shouldInitiate(late));
    }

    @Test
    void keepaliveAfterReceivingDataAndSendingNothing() {
        timers.sessionDerived(now, false);
        timers.dataReceived(now, false);
        assertFalse(timers.shouldSendKeepalive(now + KEEPALIVE_TIMEOUT_NANOS - 1));
        assertTrue(timers.shouldSendKeepalive(now + KEEPALIVE_TIMEOUT_NANOS));
        timers.keepaliveSent(now + KEEPALIVE_TIMEOUT_NANOS);
        assertFalse(timers.shouldSendKeepalive(now + 2 * KEEPALIVE_TIMEOUT_NANOS));
        // Data sent in time replaces the keepalive; a received keepalive asks for none.
        timers.dataReceived(now + 30 * S, false);
        timers.dataSent(now + 31 * S);
        assertFalse(timers.shouldSendKeepalive(now + 45 * S));
        timers.dataReceived(now + 50 * S, true);
        assertFalse(timers.shouldSendKeepalive(now + 70 * S));
    }

    @Test
    void unansweredDataTriggersHandshake() {
        timers.sessionDerived(now, true);
        timers.dataSent(now + S);
        timers.dataSent(now + 5 * S);
        assertFalse(timers.shouldInitiate(now + S + KEEPALIVE_TIMEOUT_NANOS + REKEY_TIMEOUT_NANOS - 1));
        assertTrue(timers.shouldInitiate(now + S + KEEPALIVE_TIMEOUT_NANOS + REKEY_TIMEOUT_NANOS));
        // Any authenticated packet back cancels it.
        timers.dataReceived(now + 16 * S, true);
        assertFalse(timers.shouldInitiate(now + 17 * S));
    }

    @Test
    void responderKeysDoNotStopOurRetransmissionsUntilConfirmed() {
        timers.initiationSent(now);
        timers.sessionDerived(now + S, false);
        assertTrue(timers.shouldInitiate(now + REKEY_TIMEOUT_NANOS + REKEY_TIMEOUT_JITTER_MAX_NANOS));
        timers.keysConfirmed(now + 2 * S);
        assertFalse(timers.handshaking());
        assertFalse(timers.shouldInitiate(now + REKEY_TIMEOUT_NANOS + REKEY_TIMEOUT_JITTER_MAX_NANOS));
    }

    @Test
    void keysAreErasedAfterThreeRejectAfterTimes() {
        timers.sessionDerived(now, true);
        assertFalse(timers.shouldEraseKeys(now + 3 * REJECT_AFTER_TIME_NANOS - 1));
        assertTrue(timers.shouldEraseKeys(now + 3 * REJECT_AFTER_TIME_NANOS));
        timers.keysErased();
        assertTrue(timers.keysExpired(now + 3 * REJECT_AFTER_TIME_NANOS));
        assertFalse(timers.shouldEraseKeys(now + 4 * REJECT_AFTER_TIME_NANOS));
        assertEquals(Long.MAX_VALUE, timers.nextDeadline(now + 4 * REJECT_AFTER_TIME_NANOS));
    }

    /** The whole loop: handshake, rekey at 120 s on send, expiry at 180 s, all on one fake clock. */
    @Test
    void rekeyAndExpiryThroughTheHandshaker() {
        SecureRandom random = new SecureRandom();
        FakeClock clock = new FakeClock();
        NoiseKeyPair a = NoiseKeyPair.generate(random);
        NoiseKeyPair b = NoiseKeyPair.generate(random);
        Handshaker alice = new Handshaker(Suite.AES256GCM, a, clock, random);
        Handshaker bob = new Handshaker(Suite.AES256GCM, b, clock, random);
        PeerHandshake bobAtAlice = alice.addPeer(1, b.publicKey(), null);
        bob.addPeer(2, a.publicKey(), null);
        byte[] m = new byte[148];
        byte[] r = new byte[148];
        PeerTimers t = bobAtAlice.timers();

        t.handshakeWanted();
        assertTrue(t.shouldInitiate(clock.nanoTime()));
        handshake(alice, bob, bobAtAlice, m, r);
        SessionKeys first = alice.lastKeys();
        assertNotNull(first);
        assertFalse(t.keysExpired(clock.nanoTime()));

        clock.advanceSeconds(119);
        t.dataSent(clock.nanoTime());
        assertFalse(t.shouldInitiate(clock.nanoTime()));
        clock.advanceSeconds(1);
        t.dataSent(clock.nanoTime());
        assertTrue(t.shouldInitiate(clock.nanoTime()));
        handshake(alice, bob, bobAtAlice, m, r);
        assertTrue(alice.lastKeys().localIndex() != first.localIndex());
        assertFalse(t.shouldInitiate(clock.nanoTime()));

        // No more traffic: the new keys expire 180 s after they were made.
        clock.advanceSeconds(179);
        assertFalse(t.keysExpired(clock.nanoTime()));
        clock.advanceSeconds(1);
        assertTrue(t.keysExpired(clock.nanoTime()));
    }

    private static void handshake(Handshaker alice, Handshaker bob, PeerHandshake peer, byte[] m, byte[] r) {
        alice.createInitiation(peer, m, 0);
        assertEquals(Outcome.INITIATION_ACCEPTED, bob.consume(m, 0, 148, new byte[6], 0, 6, r, 0));
        assertEquals(Outcome.RESPONSE_ACCEPTED, alice.consume(r, 0, 92, new byte[6], 0, 6, m, 0));
    }
}
