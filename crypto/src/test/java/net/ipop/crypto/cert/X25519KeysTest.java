package net.ipop.crypto.cert;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.security.SecureRandom;
import java.util.HexFormat;

import org.junit.jupiter.api.Test;

class X25519KeysTest {
    private static final HexFormat HEX = HexFormat.of();

    @Test
    void publicKeyMatchesRfc7748Section61Vectors() {
        assertEquals("8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a", HEX.formatHex(
                X25519Keys.publicKey(HEX.parseHex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a"))));
        assertEquals("de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f", HEX.formatHex(
                X25519Keys.publicKey(HEX.parseHex("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb"))));
    }

    @Test
    void generatedKeysAreClampedAndDistinct() {
        SecureRandom r = new SecureRandom();
        byte[] a = X25519Keys.generatePrivateKey(r);
        byte[] b = X25519Keys.generatePrivateKey(r);
        assertNotEquals(HEX.formatHex(a), HEX.formatHex(b));
        assertEquals(0, a[0] & 7);
        assertEquals(0x40, a[31] & 0xc0);
    }

    @Test
    void base64RoundTripsAndRejectsWrongInput() {
        byte[] k = X25519Keys.generatePrivateKey(new SecureRandom());
        String s = X25519Keys.toBase64(k);
        assertEquals(44, s.length());
        assertArrayEquals(k, X25519Keys.fromBase64(" " + s + "\n", "key"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> X25519Keys.fromBase64("not base64!", "--pubkey"));
        assertTrue(e.getMessage().startsWith("--pubkey is not base64"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> X25519Keys.fromBase64("AAAA", "--pubkey"));
        assertTrue(e.getMessage().contains("3 bytes, not 32"), e.getMessage());
    }
}
