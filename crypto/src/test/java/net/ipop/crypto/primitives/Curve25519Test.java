package net.ipop.crypto.primitives;

import java.util.HexFormat;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** RFC 7748 known answers: section 5.2 (scalar multiplication, iterated) and 6.1 (Diffie-Hellman). */
class Curve25519Test {
    private static final HexFormat HEX = HexFormat.of();

    @Test
    void section52Vectors() {
        check("a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4",
                "e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c",
                "c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552");
        check("4b66e9d4d1b4673c5ad22691957d6af5c11b6421e0ea01d42ca4169e7918ba0d",
                "e5210f12786811d3f4b7959d0538ae2c31dbe7106fc03c3efc4cd549c715a493",
                "95cbde9476e8907d7aade45cb4b873f88b595a68799fa152e6f8f7647aac7957");
    }

    @Test
    void section52Iterated() {
        byte[] k = HEX.parseHex("0900000000000000000000000000000000000000000000000000000000000000");
        byte[] u = k.clone();
        byte[] out = new byte[32];
        for (int i = 1; i <= 1000; i++) {
            Curve25519.scalarMult(k, u, out);
            u = k;
            k = out.clone();
            if (i == 1) {
                assertArrayEquals(HEX.parseHex("422c8e7a6227d7bca1350b3e2bb7279f7897b87bb6854b783c60e80311ae3079"), k);
            }
        }
        assertArrayEquals(HEX.parseHex("684cf59ba83309552800ef566f2f4d3c1c3887c49360e3875f2eb94d99532c51"), k);
    }

    @Test
    void section61DiffieHellman() {
        byte[] alicePriv = HEX.parseHex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a");
        byte[] bobPriv = HEX.parseHex("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb");
        byte[] alicePub = new byte[32];
        byte[] bobPub = new byte[32];
        Curve25519.publicKey(alicePriv, alicePub);
        Curve25519.publicKey(bobPriv, bobPub);
        assertArrayEquals(HEX.parseHex("8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a"), alicePub);
        assertArrayEquals(HEX.parseHex("de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f"), bobPub);
        byte[] k1 = new byte[32];
        byte[] k2 = new byte[32];
        assertTrue(Curve25519.agree(alicePriv, bobPub, 0, k1));
        assertTrue(Curve25519.agree(bobPriv, alicePub, 0, k2));
        byte[] shared = HEX.parseHex("4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742");
        assertArrayEquals(shared, k1);
        assertArrayEquals(shared, k2);
    }

    @Test
    void lowOrderPointIsRefused() {
        byte[] priv = HEX.parseHex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a");
        byte[] zeroPoint = new byte[32];
        assertFalse(Curve25519.agree(priv, zeroPoint, 0, new byte[32]));
        byte[] one = new byte[32];
        one[0] = 1;
        assertFalse(Curve25519.agree(priv, one, 0, new byte[32]));
    }

    private static void check(String scalar, String u, String expected) {
        byte[] out = new byte[32];
        Curve25519.scalarMult(HEX.parseHex(scalar), HEX.parseHex(u), out);
        assertArrayEquals(HEX.parseHex(expected), out);
    }
}
