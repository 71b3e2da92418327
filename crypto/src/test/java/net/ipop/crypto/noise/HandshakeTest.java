package net.ipop.crypto.noise;

import java.security.SecureRandom;
import java.util.Arrays;

import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;

import net.ipop.crypto.MessageTypes;
import net.ipop.crypto.Suite;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Two state machines in one JVM exchanging messages in memory, both suites, driven by a fake clock. */
class HandshakeTest {
    private static final byte[] SOURCE_A = {(byte) 198, 51, 100, 1, 0x30, 0x39};
    private static final byte[] SOURCE_B = {(byte) 198, 51, 100, 2, 0x30, 0x3a};

    private final SecureRandom random = new SecureRandom();
    private final FakeClock clock = new FakeClock();
    private final NoiseKeyPair aliceKeys = NoiseKeyPair.generate(random);
    private final NoiseKeyPair bobKeys = NoiseKeyPair.generate(random);
    private final byte[] psk = new byte[32];
    private final byte[] msg = new byte[HandshakeMessages.MAX_LENGTH];
    private final byte[] reply = new byte[HandshakeMessages.MAX_LENGTH];

    private Handshaker alice;
    private Handshaker bob;
    private PeerHandshake bobAtAlice;
    private PeerHandshake aliceAtBob;

    private void setUp(Suite suite) {
        random.nextBytes(psk);
        alice = new Handshaker(suite, aliceKeys, clock, random);
        bob = new Handshaker(suite, bobKeys, clock, random);
        bobAtAlice = alice.addPeer(7, bobKeys.publicKey(), psk);
        aliceAtBob = bob.addPeer(9, aliceKeys.publicKey(), psk);
    }

    @ParameterizedTest
    @EnumSource(Suite.class)
    void roundTripDerivesMatchingKeys(Suite suite) throws Exception {
        setUp(suite);
        assertEquals(HandshakeMessages.INITIATION_LENGTH, alice.createInitiation(bobAtAlice, msg, 0));
        assertEquals(MessageTypes.initiation(suite), msg[0]);
        assertTrue(bobAtAlice.initiationPending());

        assertEquals(Outcome.INITIATION_ACCEPTED, bob.consume(msg, 0, 148, SOURCE_A, 0, 6, reply, 0));
        assertEquals(HandshakeMessages.RESPONSE_LENGTH, bob.replyLength());
        assertSame(aliceAtBob, bob.lastPeer());
        assertEquals(9, bob.lastPeer().peerId());
        SessionKeys bobSession = bob.lastKeys();
        assertFalse(bobSession.initiator());
        assertEquals(MessageTypes.response(suite), reply[0]);

        assertEquals(Outcome.RESPONSE_ACCEPTED, alice.consume(reply, 0, 92, SOURCE_B, 0, 6, msg, 0));
        SessionKeys aliceSession = alice.lastKeys();
        assertSame(bobAtAlice, alice.lastPeer());
        assertTrue(aliceSession.initiator());
        assertFalse(bobAtAlice.initiationPending());

        assertArrayEquals(aliceSession.sendKey(), bobSession.receiveKey());
        assertArrayEquals(aliceSession.receiveKey(), bobSession.sendKey());
        assertFalse(Arrays.equals(aliceSession.sendKey(), aliceSession.receiveKey()));
        assertEquals(aliceSession.localIndex(), bobSession.remoteIndex());
        assertEquals(aliceSession.remoteIndex(), bobSession.localIndex());
        assertEquals(suite, aliceSession.suite());
        assertSame(bobAtAlice, alice.peerForIndex(aliceSession.localIndex()));
        assertSame(aliceAtBob, bob.peerForIndex(bobSession.localIndex()));

        // The keys really work as a transport AEAD in both directions.
        byte[] payload = "hello through the tunnel".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        assertArrayEquals(payload, open(suite, bobSession.receiveKey(), seal(suite, aliceSession.sendKey(), payload)));
        assertArrayEquals(payload, open(suite, aliceSession.receiveKey(), seal(suite, bobSession.sendKey(), payload)));

        alice.releaseIndex(aliceSession.localIndex());
        assertNull(alice.peerForIndex(aliceSession.localIndex()));
        // Both sides' timers learned of the new session.
        assertFalse(bobAtAlice.timers().keysExpired(clock.nanoTime()));
        assertFalse(aliceAtBob.timers().keysExpired(clock.nanoTime()));
    }

    @org.junit.jupiter.api.Test
    void aClaimedIndexBelongsToItsPeerIsNeverTakenTwiceAndIsReleasedAsUsual() {
        setUp(Suite.AES256GCM);
        assertTrue(alice.claimIndex(0x12345678, bobAtAlice));
        assertSame(bobAtAlice, alice.peerForIndex(0x12345678));
        assertFalse(alice.claimIndex(0x12345678, bobAtAlice), "claimed twice");
        assertFalse(alice.claimIndex(0, bobAtAlice), "0 names no session");
        alice.createInitiation(bobAtAlice, msg, 0);
        // The sender index of the initiation (bytes 4..8, little-endian) is a fresh one, not the claimed index.
        int sender = (msg[4] & 0xff) | (msg[5] & 0xff) << 8 | (msg[6] & 0xff) << 16 | (msg[7] & 0xff) << 24;
        assertTrue(sender != 0x12345678 && sender != 0);
        alice.releaseIndex(0x12345678);
        assertNull(alice.peerForIndex(0x12345678));
        assertTrue(alice.claimIndex(0x12345678, bobAtAlice), "a released index can be claimed again");
    }

    @ParameterizedTest
    @EnumSource(Suite.class)
    void replayedInitiationIsRejected(Suite suite) {
        setUp(suite);
        alice.createInitiation(bobAtAlice, msg, 0);
        byte[] copy = msg.clone();
        assertEquals(Outcome.INITIATION_ACCEPTED, bob.consume(msg, 0, 148, SOURCE_A, 0, 6, reply, 0));
        clock.advanceSeconds(1);
        assertEquals(Outcome.REJECTED_REPLAY, bob.consume(copy, 0, 148, SOURCE_A, 0, 6, reply, 0));
        assertEquals(0, bob.replyLength());
        assertNull(bob.lastKeys());
    }

    @ParameterizedTest
    @EnumSource(Suite.class)
    void initiationFloodIsRateLimited(Suite suite) {
        setUp(suite);
        alice.createInitiation(bobAtAlice, msg, 0);
        assertEquals(Outcome.INITIATION_ACCEPTED, bob.consume(msg, 0, 148, SOURCE_A, 0, 6, reply, 0));
        // Newer timestamp (next whitening interval) but only 17 ms later: over 50/s.
        clock.advanceMillis(17);
        alice.createInitiation(bobAtAlice, msg, 0);
        assertEquals(Outcome.REJECTED_RATE_LIMITED, bob.consume(msg, 0, 148, SOURCE_A, 0, 6, reply, 0));
        clock.advanceMillis(20);
        alice.createInitiation(bobAtAlice, msg, 0);
        assertEquals(Outcome.INITIATION_ACCEPTED, bob.consume(msg, 0, 148, SOURCE_A, 0, 6, reply, 0));
    }

    @ParameterizedTest
    @EnumSource(Suite.class)
    void tamperedMessagesAreRejected(Suite suite) {
        setUp(suite);
        alice.createInitiation(bobAtAlice, msg, 0);
        byte[] badMac = msg.clone();
        badMac[HandshakeMessages.INITIATION_MAC1_OFFSET + 3] ^= 1;
        assertEquals(Outcome.REJECTED_MAC1, bob.consume(badMac, 0, 148, SOURCE_A, 0, 6, reply, 0));
        // Flip a byte of the encrypted static key and recompute mac1 so only the AEAD can notice.
        byte[] badStatic = msg.clone();
        badStatic[HandshakeMessages.INITIATION_STATIC_OFFSET + 5] ^= 1;
        remac(badStatic, HandshakeMessages.INITIATION_MAC1_OFFSET, bobKeys);
        assertEquals(Outcome.REJECTED_DECRYPT, bob.consume(badStatic, 0, 148, SOURCE_A, 0, 6, reply, 0));
        byte[] badTimestamp = msg.clone();
        badTimestamp[HandshakeMessages.INITIATION_TIMESTAMP_OFFSET + 20] ^= 1;
        remac(badTimestamp, HandshakeMessages.INITIATION_MAC1_OFFSET, bobKeys);
        assertEquals(Outcome.REJECTED_DECRYPT, bob.consume(badTimestamp, 0, 148, SOURCE_A, 0, 6, reply, 0));
        byte[] badReserved = msg.clone();
        badReserved[2] = 1;
        assertEquals(Outcome.REJECTED_MALFORMED, bob.consume(badReserved, 0, 148, SOURCE_A, 0, 6, reply, 0));
        assertEquals(Outcome.REJECTED_MALFORMED, bob.consume(msg, 0, 147, SOURCE_A, 0, 6, reply, 0));

        // The original still goes through: rejected copies changed no state.
        assertEquals(Outcome.INITIATION_ACCEPTED, bob.consume(msg, 0, 148, SOURCE_A, 0, 6, reply, 0));
        byte[] response = Arrays.copyOf(reply, 92);
        byte[] badEmpty = response.clone();
        badEmpty[HandshakeMessages.RESPONSE_EMPTY_OFFSET + 1] ^= 1;
        remac(badEmpty, HandshakeMessages.RESPONSE_MAC1_OFFSET, aliceKeys);
        assertEquals(Outcome.REJECTED_DECRYPT, alice.consume(badEmpty, 0, 92, SOURCE_B, 0, 6, msg, 0));
        byte[] badResponseMac = response.clone();
        badResponseMac[HandshakeMessages.RESPONSE_MAC1_OFFSET] ^= 1;
        assertEquals(Outcome.REJECTED_MAC1, alice.consume(badResponseMac, 0, 92, SOURCE_B, 0, 6, msg, 0));
        // A forged response did not cancel the pending initiation.
        assertTrue(bobAtAlice.initiationPending());
        assertEquals(Outcome.RESPONSE_ACCEPTED, alice.consume(response, 0, 92, SOURCE_B, 0, 6, msg, 0));
        // Replaying the response finds no pending initiation.
        assertEquals(Outcome.REJECTED_UNKNOWN_INDEX, alice.consume(response, 0, 92, SOURCE_B, 0, 6, msg, 0));
    }

    @ParameterizedTest
    @EnumSource(Suite.class)
    void wrongStaticKeyIsRejected(Suite suite) {
        setUp(suite);
        // Mallory knows Bob's public key (so mac1 passes) but is not Bob's peer.
        Handshaker mallory = new Handshaker(suite, NoiseKeyPair.generate(random), clock, random);
        PeerHandshake bobAtMallory = mallory.addPeer(1, bobKeys.publicKey(), psk);
        mallory.createInitiation(bobAtMallory, msg, 0);
        assertEquals(Outcome.REJECTED_UNKNOWN_PEER, bob.consume(msg, 0, 148, SOURCE_A, 0, 6, reply, 0));

        // An initiation meant for someone else's static key fails mac1 at Bob.
        NoiseKeyPair carol = NoiseKeyPair.generate(random);
        PeerHandshake carolAtAlice = alice.addPeer(2, carol.publicKey(), null);
        alice.createInitiation(carolAtAlice, msg, 0);
        assertEquals(Outcome.REJECTED_MAC1, bob.consume(msg, 0, 148, SOURCE_A, 0, 6, reply, 0));

        // A different pre-shared key: the initiation is accepted, Alice refuses the response.
        Handshaker bob2 = new Handshaker(suite, bobKeys, clock, random);
        byte[] otherPsk = psk.clone();
        otherPsk[0] ^= 1;
        bob2.addPeer(9, aliceKeys.publicKey(), otherPsk);
        alice.createInitiation(bobAtAlice, msg, 0);
        assertEquals(Outcome.INITIATION_ACCEPTED, bob2.consume(msg, 0, 148, SOURCE_A, 0, 6, reply, 0));
        assertEquals(Outcome.REJECTED_DECRYPT, alice.consume(reply, 0, 92, SOURCE_B, 0, 6, msg, 0));
    }

    @ParameterizedTest
    @EnumSource(Suite.class)
    void suitesDoNotMix(Suite suite) {
        setUp(suite);
        Suite other = suite == Suite.AES256GCM ? Suite.CHACHA20POLY1305 : Suite.AES256GCM;
        Handshaker bobOther = new Handshaker(other, bobKeys, clock, random);
        bobOther.addPeer(9, aliceKeys.publicKey(), psk);
        alice.createInitiation(bobAtAlice, msg, 0);
        assertEquals(Outcome.REJECTED_MALFORMED, bobOther.consume(msg, 0, 148, SOURCE_A, 0, 6, reply, 0));
        // Even with the type byte rewritten the construction differs: mac1 still matches, the AEAD does not.
        msg[0] = MessageTypes.initiation(other);
        remac(msg, HandshakeMessages.INITIATION_MAC1_OFFSET, bobKeys);
        assertEquals(Outcome.REJECTED_DECRYPT, bobOther.consume(msg, 0, 148, SOURCE_A, 0, 6, reply, 0));
    }

    @ParameterizedTest
    @EnumSource(Suite.class)
    void cookiePathUnderLoad(Suite suite) {
        setUp(suite);
        bob.setUnderLoad(true);
        alice.createInitiation(bobAtAlice, msg, 0);
        assertEquals(Outcome.COOKIE_REPLY_SENT, bob.consume(msg, 0, 148, SOURCE_A, 0, 6, reply, 0));
        assertEquals(HandshakeMessages.COOKIE_LENGTH, bob.replyLength());
        assertEquals(MessageTypes.cookieReply(suite), reply[0]);
        assertNull(bob.lastKeys());
        byte[] cookieReply = Arrays.copyOf(reply, 64);

        // A tampered cookie reply is refused; the genuine one is stored, once.
        byte[] bad = cookieReply.clone();
        bad[40] ^= 1;
        assertEquals(Outcome.REJECTED_DECRYPT, alice.consume(bad, 0, 64, SOURCE_B, 0, 6, reply, 0));
        assertEquals(Outcome.COOKIE_ACCEPTED, alice.consume(cookieReply, 0, 64, SOURCE_B, 0, 6, reply, 0));
        assertSame(bobAtAlice, alice.lastPeer());
        assertEquals(Outcome.REJECTED_UNKNOWN_INDEX, alice.consume(cookieReply, 0, 64, SOURCE_B, 0, 6, reply, 0));

        // The retry carries mac2 and is accepted from the same source, not from another one.
        clock.advanceSeconds(5);
        alice.createInitiation(bobAtAlice, msg, 0);
        assertFalse(isZero(msg, HandshakeMessages.INITIATION_MAC2_OFFSET, 16));
        assertEquals(Outcome.COOKIE_REPLY_SENT, bob.consume(msg, 0, 148, SOURCE_B, 0, 6, reply, 0));
        assertEquals(Outcome.INITIATION_ACCEPTED, bob.consume(msg, 0, 148, SOURCE_A, 0, 6, reply, 0));
        assertNotNull(bob.lastKeys());
        // Bob's response carries no mac2 (Bob has no cookie from Alice) and Alice is not under load.
        assertEquals(Outcome.RESPONSE_ACCEPTED, alice.consume(reply, 0, 92, SOURCE_B, 0, 6, msg, 0));

        // The cookie expires after two minutes: mac2 goes back to zeros.
        clock.advanceSeconds(121);
        alice.createInitiation(bobAtAlice, msg, 0);
        assertTrue(isZero(msg, HandshakeMessages.INITIATION_MAC2_OFFSET, 16));
        // Not under load any more: no mac2 needed.
        bob.setUnderLoad(false);
        assertEquals(Outcome.INITIATION_ACCEPTED, bob.consume(msg, 0, 148, SOURCE_A, 0, 6, reply, 0));
    }

    @ParameterizedTest
    @EnumSource(Suite.class)
    void aLateResponseToAnEarlierInitiationStillCompletesUpToTheLastThree(Suite suite) {
        setUp(suite);
        byte[][] sent = new byte[PeerHandshake.INITIATIONS_KEPT + 1][];
        for (int i = 0; i < sent.length; i++) {
            alice.createInitiation(bobAtAlice, msg, 0);
            sent[i] = Arrays.copyOf(msg, 148);
            clock.advanceSeconds(5);
        }
        // The oldest fell out of the window: Alice released its index.
        assertEquals(Outcome.INITIATION_ACCEPTED, bob.consume(sent[0], 0, 148, SOURCE_A, 0, 6, reply, 0));
        assertEquals(Outcome.REJECTED_UNKNOWN_INDEX, alice.consume(reply, 0, 92, SOURCE_B, 0, 6, msg, 0));
        // Bob answers the second after the fourth left (a loaded host: the round trip took over 5 s).
        clock.advanceSeconds(1);
        assertEquals(Outcome.INITIATION_ACCEPTED, bob.consume(sent[1], 0, 148, SOURCE_A, 0, 6, reply, 0));
        SessionKeys bobsSecond = bob.lastKeys();
        assertEquals(Outcome.RESPONSE_ACCEPTED, alice.consume(reply, 0, 92, SOURCE_B, 0, 6, msg, 0));
        assertMirrored(alice.lastKeys(), bobsSecond);
        assertEquals(clock.nanoTime() - 16_000_000_000L, alice.answeredInitiationNanos(), "sent 16 s ago");
        // The newer ones stay answerable: Bob installed a session for each and sends on the newest.
        assertTrue(bobAtAlice.initiationPending());
        clock.advanceSeconds(1);
        assertEquals(Outcome.INITIATION_ACCEPTED, bob.consume(sent[3], 0, 148, SOURCE_A, 0, 6, reply, 0));
        SessionKeys bobsFourth = bob.lastKeys();
        byte[] fourthResponse = Arrays.copyOf(reply, 92);
        assertEquals(Outcome.RESPONSE_ACCEPTED, alice.consume(fourthResponse, 0, 92, SOURCE_B, 0, 6, msg, 0));
        assertMirrored(alice.lastKeys(), bobsFourth);
        // Each completes once: a replayed response finds nothing.
        assertEquals(Outcome.REJECTED_UNKNOWN_INDEX, alice.consume(fourthResponse, 0, 92, SOURCE_B, 0, 6, msg, 0));
    }

    @ParameterizedTest
    @EnumSource(Suite.class)
    void crossedInitiationsBothComplete(Suite suite) {
        setUp(suite);
        alice.createInitiation(bobAtAlice, msg, 0);
        byte[] fromAlice = Arrays.copyOf(msg, 148);
        bob.createInitiation(aliceAtBob, msg, 0);
        byte[] fromBob = Arrays.copyOf(msg, 148);
        // Each receives the other's initiation before the answer to its own.
        assertEquals(Outcome.INITIATION_ACCEPTED, alice.consume(fromBob, 0, 148, SOURCE_B, 0, 6, reply, 0));
        SessionKeys aliceResponder = alice.lastKeys();
        byte[] aliceAnswer = Arrays.copyOf(reply, 92);
        assertEquals(Outcome.INITIATION_ACCEPTED, bob.consume(fromAlice, 0, 148, SOURCE_A, 0, 6, reply, 0));
        SessionKeys bobResponder = bob.lastKeys();
        byte[] bobAnswer = Arrays.copyOf(reply, 92);
        assertTrue(bobAtAlice.initiationPending(), "answering Bob did not drop Alice's own initiation");
        assertEquals(Outcome.RESPONSE_ACCEPTED, alice.consume(bobAnswer, 0, 92, SOURCE_B, 0, 6, msg, 0));
        assertMirrored(alice.lastKeys(), bobResponder);
        assertEquals(Outcome.RESPONSE_ACCEPTED, bob.consume(aliceAnswer, 0, 92, SOURCE_A, 0, 6, msg, 0));
        assertMirrored(bob.lastKeys(), aliceResponder);
        assertFalse(bobAtAlice.initiationPending());
        assertFalse(aliceAtBob.initiationPending());
    }

    private static void assertMirrored(SessionKeys initiator, SessionKeys responder) {
        assertTrue(initiator.initiator());
        assertFalse(responder.initiator());
        assertEquals(initiator.localIndex(), responder.remoteIndex());
        assertEquals(initiator.remoteIndex(), responder.localIndex());
        assertArrayEquals(initiator.sendKey(), responder.receiveKey());
        assertArrayEquals(initiator.receiveKey(), responder.sendKey());
    }

    private void remac(byte[] m, int mac1Off, NoiseKeyPair receiver) {
        net.ipop.crypto.primitives.Blake2s b = new net.ipop.crypto.primitives.Blake2s();
        byte[] k = Construction.labelKey(b, Construction.LABEL_MAC1, receiver.publicKey());
        new net.ipop.crypto.primitives.Blake2s.Mac(k, 0, 32).compute(m, 0, mac1Off, m, mac1Off);
    }

    private static boolean isZero(byte[] b, int off, int len) {
        for (int i = off; i < off + len; i++) {
            if (b[i] != 0) {
                return false;
            }
        }
        return true;
    }

    private static byte[] seal(Suite suite, byte[] key, byte[] plaintext) throws Exception {
        Cipher c = transportCipher(suite, Cipher.ENCRYPT_MODE, key);
        return c.doFinal(plaintext);
    }

    private static byte[] open(Suite suite, byte[] key, byte[] ciphertext) throws Exception {
        Cipher c = transportCipher(suite, Cipher.DECRYPT_MODE, key);
        return c.doFinal(ciphertext);
    }

    private static Cipher transportCipher(Suite suite, int mode, byte[] key) throws Exception {
        byte[] nonce = new byte[12];
        if (suite == Suite.AES256GCM) {
            Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
            c.init(mode, new SecretKeySpec(key, "AES"), new GCMParameterSpec(128, nonce));
            return c;
        }
        Cipher c = Cipher.getInstance("ChaCha20-Poly1305");
        c.init(mode, new SecretKeySpec(key, "ChaCha20"), new IvParameterSpec(nonce));
        return c;
    }
}
