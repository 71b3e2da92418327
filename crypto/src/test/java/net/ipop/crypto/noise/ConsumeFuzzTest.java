package net.ipop.crypto.noise;

import java.security.SecureRandom;
import java.util.Random;

import net.ipop.crypto.MessageTypes;
import net.ipop.crypto.Suite;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;

/**
 * Random and mutated datagrams fed to {@link Handshaker#consume}: every one is rejected without an
 * exception and without a reply, and the state machine still completes a real handshake afterwards.
 */
class ConsumeFuzzTest {
    @ParameterizedTest
    @EnumSource(Suite.class)
    void garbageIsRejectedQuietly(Suite suite) {
        SecureRandom secure = new SecureRandom();
        Random r = new Random(1234);
        FakeClock clock = new FakeClock();
        NoiseKeyPair a = NoiseKeyPair.generate(secure);
        NoiseKeyPair b = NoiseKeyPair.generate(secure);
        Handshaker alice = new Handshaker(suite, a, clock, secure);
        Handshaker bob = new Handshaker(suite, b, clock, secure);
        PeerHandshake bobAtAlice = alice.addPeer(1, b.publicKey(), null);
        bob.addPeer(2, a.publicKey(), null);
        byte[] valid = new byte[148];
        alice.createInitiation(bobAtAlice, valid, 0);
        byte[] src = new byte[6];
        byte[] out = new byte[HandshakeMessages.MAX_LENGTH];
        byte[] in = new byte[200];
        byte[] types = {MessageTypes.initiation(suite), MessageTypes.response(suite), MessageTypes.cookieReply(suite),
                MessageTypes.data(suite), 0, (byte) 0xff};
        int[] lengths = {0, 1, 3, 4, 64, 92, 148, 149, 200};
        boolean acceptedOnce = false;
        for (int i = 0; i < 20_000; i++) {
            int len;
            boolean onlyMac2Changed = false;
            if (i % 2 == 0) {
                len = lengths[r.nextInt(lengths.length)];
                r.nextBytes(in);
                if (len > 0) {
                    in[0] = types[r.nextInt(types.length)];
                }
                if (len >= 4 && r.nextBoolean()) {
                    in[1] = 0;
                    in[2] = 0;
                    in[3] = 0;
                }
            } else {
                // A valid initiation with 1-3 bytes flipped somewhere.
                System.arraycopy(valid, 0, in, 0, 148);
                len = 148;
                onlyMac2Changed = true;
                for (int k = 1 + r.nextInt(3); k > 0; k--) {
                    int at = r.nextInt(148);
                    in[at] ^= (byte) (1 + r.nextInt(255));
                    onlyMac2Changed &= at >= HandshakeMessages.INITIATION_MAC2_OFFSET;
                }
            }
            boolean underLoad = i % 3 == 0;
            bob.setUnderLoad(underLoad);
            Outcome o = bob.consume(in, 0, len, src, 0, src.length, out, 0);
            if (onlyMac2Changed && !underLoad) {
                // mac2 is only checked under load: this is the genuine initiation (once, then a replay).
                assertEquals(acceptedOnce ? Outcome.REJECTED_REPLAY : Outcome.INITIATION_ACCEPTED, o);
                acceptedOnce = true;
            } else if (o == Outcome.COOKIE_REPLY_SENT) {
                // Under load a flipped mac2 earns a cookie reply: correct, and nothing else.
                assertEquals(64, bob.replyLength());
            } else {
                assertFalse(o.accepted(), "accepted garbage: " + o);
                assertEquals(0, bob.replyLength());
            }
            if (o != Outcome.INITIATION_ACCEPTED) {
                assertNull(bob.lastKeys());
            }
            Outcome oa = alice.consume(in, 0, len, src, 0, src.length, out, 0);
            assertFalse(oa.accepted(), "accepted garbage: " + oa);
        }
        bob.setUnderLoad(false);
        clock.advanceSeconds(1);
        alice.createInitiation(bobAtAlice, valid, 0);
        assertEquals(Outcome.INITIATION_ACCEPTED, bob.consume(valid, 0, 148, src, 0, 6, out, 0));
        assertEquals(Outcome.RESPONSE_ACCEPTED, alice.consume(out, 0, 92, src, 0, 6, in, 0));
    }
}
