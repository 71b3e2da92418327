package net.ipop.crypto.aead;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HexFormat;
import net.ipop.crypto.Suite;
import org.junit.jupiter.api.Test;

/**
 * Published vectors through {@link JceAead}, {@link OpenSslAead} and, for AES-256-GCM,
 * {@link GcryptAead} and (where this CPU runs it) {@link IpsecMbAead}: the GCM specification's 256-bit test cases 13-16 (McGrew and Viega, "The Galois/Counter Mode of Operation", appendix B) and RFC 8439 section 2.8.2.
 */
class KnownAnswerTest {
    private static final HexFormat HEX = HexFormat.of();

    private static final String GCM_K15 = "feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308";
    private static final String GCM_IV15 = "cafebabefacedbaddecaf888";
    private static final String GCM_P15 = "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
            + "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b391aafd255";
    private static final String GCM_C15 = "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa"
            + "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662898015ad";

    @Test
    void gcmTestCase13EmptyPlaintextZeroKey() {
        check(Suite.AES256GCM, "00".repeat(32), "00".repeat(12), null, "", "", "530f8afbc74536b9a963b4f1c4cb738b");
    }

    @Test
    void gcmTestCase14OneZeroBlock() {
        check(Suite.AES256GCM, "00".repeat(32), "00".repeat(12), null, "00".repeat(16),
                "cea7403d4d606b6e074ec5d3baf39d18", "d0d1c8a799996bf0265b98b5d48ab919");
    }

    @Test
    void gcmTestCase15FourBlocks() {
        check(Suite.AES256GCM, GCM_K15, GCM_IV15, null, GCM_P15, GCM_C15, "b094dac5d93471bdec1a502270e3cc6c");
    }

    @Test
    void gcmTestCase16WithAssociatedData() {
        check(Suite.AES256GCM, GCM_K15, GCM_IV15, "feedfacedeadbeeffeedfacedeadbeefabaddad2",
                GCM_P15.substring(0, 120), GCM_C15.substring(0, 120), "76fc6ece0f4e1768cddf8853bb2d551b");
    }

    @Test
    void gcmZeroNonceEqualsCounterZero() {
        // Test cases 13/14 use an all-zero IV: exactly the transport nonce of counter 0.
        JceAead aead = new JceAead(Suite.AES256GCM, new byte[32]);
        byte[] out = new byte[32];
        aead.seal(0L, new byte[16], 0, 16, out, 0);
        assertArrayEquals(HEX.parseHex("cea7403d4d606b6e074ec5d3baf39d18d0d1c8a799996bf0265b98b5d48ab919"), out);
    }

    @Test
    void rfc8439Section282() {
        String plaintext = "Ladies and Gentlemen of the class of '99: If I could offer you only one tip for "
                + "the future, sunscreen would be it.";
        check(Suite.CHACHA20POLY1305,
                "808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f",
                "070000004041424344454647",
                "50515253c0c1c2c3c4c5c6c7",
                HEX.formatHex(plaintext.getBytes(StandardCharsets.US_ASCII)),
                "d31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d6"
                        + "3dbea45e8ca9671282fafb69da92728b1a71de0a9e060b2905d6a5b67ecd3b36"
                        + "92ddbd7f2d778b8c9803aee328091b58fab324e4fad675945585808b4831d7bc"
                        + "3ff4def08e4b7a9de576d26586cec64b6116",
                "1ae10b594f09e26a7e902ecbd0600691");
    }

    @Test
    void openSslZeroNonceEqualsCounterZero() {
        OpenSslAead aead = new OpenSslAead(Suite.AES256GCM, new byte[32], true);
        java.lang.foreign.MemorySegment packet = java.lang.foreign.Arena.ofAuto().allocate(40);
        aead.seal(0L, packet, 8, 16);
        assertArrayEquals(HEX.parseHex("cea7403d4d606b6e074ec5d3baf39d18d0d1c8a799996bf0265b98b5d48ab919"),
                packet.asSlice(8, 32).toArray(java.lang.foreign.ValueLayout.JAVA_BYTE));
        aead.wipe();
    }

    private static void check(Suite suite, String key, String nonce, String aad, String plain, String cipher,
            String tag) {
        JceAead jdk = new JceAead(suite, HEX.parseHex(key));
        check(jdk::seal, jdk::open, nonce, aad, plain, cipher, tag);
        assertTrue(AeadImplementation.openSsl(), AeadImplementation.describe());
        OpenSslAead sealer = new OpenSslAead(suite, HEX.parseHex(key), true);
        OpenSslAead opener = new OpenSslAead(suite, HEX.parseHex(key), false);
        check(sealer::seal, opener::open, nonce, aad, plain, cipher, tag);
        sealer.wipe();
        opener.wipe();
        if (suite == Suite.AES256GCM) {
            assertTrue(GcryptAead.available(), GcryptAead.status());
            GcryptAead gcryptSealer = new GcryptAead(HEX.parseHex(key), true);
            GcryptAead gcryptOpener = new GcryptAead(HEX.parseHex(key), false);
            check(gcryptSealer::seal, gcryptOpener::open, nonce, aad, plain, cipher, tag);
            gcryptSealer.wipe();
            gcryptOpener.wipe();
            assertTrue(gcryptSealer.keyZeroed());
            if (IpsecMbAeadTest.cpuQualifies()) {
                assertTrue(IpsecMbAead.available(), IpsecMbAead.status());
                IpsecMbAead mbSealer = new IpsecMbAead(HEX.parseHex(key), true);
                IpsecMbAead mbOpener = new IpsecMbAead(HEX.parseHex(key), false);
                check(mbSealer::seal, mbOpener::open, nonce, aad, plain, cipher, tag);
                mbSealer.wipe();
                mbOpener.wipe();
                assertTrue(mbSealer.keyZeroed() && mbOpener.keyZeroed());
            }
        }
    }

    private interface Seal {
        void seal(byte[] nonce12, byte[] aad, byte[] in, int inOff, int len, byte[] out, int outOff);
    }

    private interface Open {
        boolean open(byte[] nonce12, byte[] aad, byte[] in, int inOff, int len, byte[] out, int outOff);
    }

    private static void check(Seal aead, Open opener, String nonce, String aad, String plain, String cipher,
            String tag) {
        byte[] n = HEX.parseHex(nonce);
        byte[] a = aad == null ? null : HEX.parseHex(aad);
        byte[] p = HEX.parseHex(plain);
        byte[] expected = HEX.parseHex(cipher + tag);

        byte[] sealed = new byte[p.length + 16];
        aead.seal(n, a, p, 0, p.length, sealed, 0);
        assertArrayEquals(expected, sealed, "ciphertext || tag");

        byte[] opened = new byte[p.length];
        assertTrue(opener.open(n, a, sealed, 0, sealed.length, opened, 0));
        assertArrayEquals(p, opened);

        byte[] forged = sealed.clone();
        forged[forged.length - 1] ^= 1;
        assertFalse(opener.open(n, a, forged, 0, forged.length, new byte[p.length], 0), "altered tag");
        if (a != null) {
            byte[] otherAad = Arrays.copyOf(a, a.length);
            otherAad[0] ^= (byte) 0x80;
            assertFalse(opener.open(n, otherAad, sealed, 0, sealed.length, new byte[p.length], 0), "altered AAD");
        }
    }
}
