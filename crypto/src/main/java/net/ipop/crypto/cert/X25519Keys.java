package net.ipop.crypto.cert;

import java.security.SecureRandom;
import java.util.Base64;

import net.ipop.crypto.primitives.Curve25519;

/**
 * X25519 static keys in the form WireGuard prints them: 32 raw bytes, standard base64 with
 * padding (44 characters). A node's private key never enters a certificate; its public key does.
 */
public final class X25519Keys {
    public static final int KEY_BYTES = 32;

    private X25519Keys() {
    }

    /** A fresh private key, clamped as RFC 7748 section 5 describes (as {@code wg genkey} does). */
    public static byte[] generatePrivateKey(SecureRandom random) {
        byte[] k = new byte[KEY_BYTES];
        random.nextBytes(k);
        Curve25519.clamp(k);
        return k;
    }

    /**
     * The public key {@code X25519(k, 9)}. Any 32 bytes are accepted: the scalar is clamped inside,
     * so an unclamped key gives the same public key as its clamped form (RFC 7748).
     */
    public static byte[] publicKey(byte[] privateKey) {
        requireLength(privateKey, "private key");
        byte[] pub = new byte[KEY_BYTES];
        Curve25519.publicKey(privateKey, pub);
        return pub;
    }

    public static String toBase64(byte[] key) {
        requireLength(key, "key");
        return Base64.getEncoder().encodeToString(key);
    }

    /**
     * Decodes a base64 key (surrounding white space ignored).
     *
     * @param what names the key in the message, e.g. "--pubkey"
     * @throws IllegalArgumentException naming {@code what} if the text is not base64 of 32 bytes
     */
    public static byte[] fromBase64(String text, String what) {
        byte[] k;
        try {
            k = Base64.getDecoder().decode(text.strip());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(what + " is not base64; expect a 44-character key as printed by"
                    + " 'ipop genkey' / 'ipop pubkey' (or wg)");
        }
        if (k.length != KEY_BYTES) {
            throw new IllegalArgumentException(what + " decodes to " + k.length + " bytes, not 32; expect a"
                    + " 44-character key as printed by 'ipop genkey' / 'ipop pubkey' (or wg)");
        }
        return k;
    }

    private static void requireLength(byte[] key, String what) {
        if (key.length != KEY_BYTES) {
            throw new IllegalArgumentException(what + " must be 32 bytes, not " + key.length);
        }
    }
}
