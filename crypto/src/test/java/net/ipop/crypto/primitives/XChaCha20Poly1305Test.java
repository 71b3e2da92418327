package net.ipop.crypto.primitives;

import java.nio.charset.StandardCharsets;
import java.util.HexFormat;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** draft-irtf-cfrg-xchacha-03 appendix A.3.1 (XChaCha20-Poly1305 AEAD) known answer. */
class XChaCha20Poly1305Test {
    private static final HexFormat HEX = HexFormat.of();
    private static final byte[] PLAINTEXT = ("Ladies and Gentlemen of the class of '99: If I could offer you only one tip"
            + " for the future, sunscreen would be it.").getBytes(StandardCharsets.US_ASCII);
    private static final byte[] AAD = HEX.parseHex("50515253c0c1c2c3c4c5c6c7");
    private static final byte[] KEY = HEX.parseHex("808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f");
    private static final byte[] NONCE = HEX.parseHex("404142434445464748494a4b4c4d4e4f5051525354555657");
    private static final byte[] EXPECTED = HEX.parseHex(
            "bd6d179d3e83d43b9576579493c0e939572a1700252bfaccbed2902c21396cbb731c7f1b0b4aa6440bf3a82f4eda7e39ae64c6708c54c216cb96b72e1213b4522f8c9ba40db5d945b11b69b982c1bb9e3f3fac2bc369488f76b2383565d3fff921f9664c97637da9768812f615c68b13b52e"
            + "c0875924c1c7987947deafd8780acf49");

    @Test
    void draftVectorSealsAndOpens() {
        XChaCha20Poly1305 x = new XChaCha20Poly1305();
        byte[] ct = new byte[PLAINTEXT.length + 16];
        assertEquals(ct.length, x.seal(KEY, NONCE, 0, PLAINTEXT, 0, PLAINTEXT.length, AAD, 0, AAD.length, ct, 0));
        assertArrayEquals(EXPECTED, ct);
        byte[] pt = new byte[PLAINTEXT.length];
        assertTrue(x.open(KEY, NONCE, 0, ct, 0, ct.length, AAD, 0, AAD.length, pt, 0));
        assertArrayEquals(PLAINTEXT, pt);
    }

    @Test
    void tamperedCiphertextOrAadIsRefused() {
        XChaCha20Poly1305 x = new XChaCha20Poly1305();
        byte[] ct = EXPECTED.clone();
        ct[5] ^= 0x40;
        byte[] pt = new byte[PLAINTEXT.length];
        assertFalse(x.open(KEY, NONCE, 0, ct, 0, ct.length, AAD, 0, AAD.length, pt, 0));
        byte[] aad = AAD.clone();
        aad[0] ^= 1;
        assertFalse(x.open(KEY, NONCE, 0, EXPECTED, 0, EXPECTED.length, aad, 0, aad.length, pt, 0));
    }
}
