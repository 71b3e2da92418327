package net.ipop.crypto.primitives;

import java.nio.charset.StandardCharsets;
import java.util.HexFormat;

import org.bouncycastle.crypto.digests.Blake2sDigest;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** RFC 7693 known answers for BLAKE2s, unkeyed and keyed, through the wrappers the handshake uses. */
class Blake2sTest {
    private static final HexFormat HEX = HexFormat.of();

    @Test
    void abc() {
        byte[] abc = "abc".getBytes(StandardCharsets.US_ASCII);
        byte[] out = new byte[32];
        new Blake2s().hash(abc, 0, 3, null, 0, 0, out, 0);
        assertArrayEquals(HEX.parseHex("508c5e8c327c14e2e1a72ba34eeb452f37458b209ed63a294d999b4c86675982"), out);
        // HASH(a || b) must equal HASH of the concatenation.
        new Blake2s().hash(abc, 0, 1, abc, 1, 2, out, 0);
        assertArrayEquals(HEX.parseHex("508c5e8c327c14e2e1a72ba34eeb452f37458b209ed63a294d999b4c86675982"), out);
    }

    /**
     * RFC 7693 appendix E self-test: keyed and unkeyed hashes over all output lengths {16, 20, 28,
     * 32} and input lengths {0, 3, 64, 65, 255, 1024}, hashed together into one known answer. The
     * 16-byte keyed cases go through {@link Blake2s.Mac}, the MAC of WireGuard's mac1/mac2/cookies.
     */
    @Test
    void rfc7693SelfTest() {
        int[] outLens = {16, 20, 28, 32};
        int[] inLens = {0, 3, 64, 65, 255, 1024};
        byte[] in = new byte[1024];
        byte[] md = new byte[32];
        byte[] key = new byte[32];
        Blake2sDigest ctx = new Blake2sDigest(256);
        for (int outLen : outLens) {
            for (int inLen : inLens) {
                selftestSeq(in, inLen, inLen);
                Blake2sDigest plain = new Blake2sDigest(outLen * 8);
                plain.update(in, 0, inLen);
                plain.doFinal(md, 0);
                ctx.update(md, 0, outLen);

                selftestSeq(key, outLen, outLen);
                if (outLen == Blake2s.MAC_LENGTH) {
                    new Blake2s.Mac(key, 0, outLen).compute(in, 0, inLen, md, 0);
                } else {
                    Blake2sDigest keyed = new Blake2sDigest(java.util.Arrays.copyOf(key, outLen), outLen, null, null);
                    keyed.update(in, 0, inLen);
                    keyed.doFinal(md, 0);
                }
                ctx.update(md, 0, outLen);
            }
        }
        byte[] result = new byte[32];
        ctx.doFinal(result, 0);
        assertArrayEquals(HEX.parseHex("6a411f08ce25adcdfb02aba641451cec53c598b24f4fc787fbdc88797f4c1dfe"), result);
    }

    /** BLAKE2 reference keyed KAT (key 00..1f, 32-byte output): empty input and the single byte 00. */
    @Test
    void keyedKnownAnswers() {
        byte[] key = new byte[32];
        for (int i = 0; i < 32; i++) {
            key[i] = (byte) i;
        }
        byte[] out = new byte[32];
        Blake2sDigest d = new Blake2sDigest(key, 32, null, null);
        d.doFinal(out, 0);
        assertArrayEquals(HEX.parseHex("48a8997da407876b3d79c0d92325ad3b89cbb754d86ab71aee047ad345fd2c49"), out);
        d.update((byte) 0);
        d.doFinal(out, 0);
        assertArrayEquals(HEX.parseHex("40d15fee7c328830166ac3f918650f807e7e01e177258cdc0a39b11f598066f1"), out);
    }

    @Test
    void macVerifyDetectsChange() {
        byte[] key = new byte[32];
        byte[] msg = "mac me".getBytes(StandardCharsets.US_ASCII);
        Blake2s.Mac mac = new Blake2s.Mac(key, 0, 32);
        byte[] tag = new byte[16];
        mac.compute(msg, 0, msg.length, tag, 0);
        byte[] scratch = new byte[16];
        assertTrue(mac.verify(msg, 0, msg.length, tag, 0, scratch));
        tag[15] ^= 1;
        assertFalse(mac.verify(msg, 0, msg.length, tag, 0, scratch));
    }

    /** RFC 7693 appendix E's deterministic input generator (a Fibonacci-like sequence). */
    private static void selftestSeq(byte[] out, int len, int seed) {
        int a = 0xDEAD4BAD * seed;
        int b = 1;
        for (int i = 0; i < len; i++) {
            int t = a + b;
            a = b;
            b = t;
            out[i] = (byte) (t >>> 24);
        }
    }
}
