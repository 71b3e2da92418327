package net.ipop.crypto.primitives;

import java.security.SecureRandom;

import org.bouncycastle.math.ec.rfc7748.X25519;

/**
 * X25519 (RFC 7748) on raw 32-byte little-endian strings, as WireGuard puts them on the wire.
 * BouncyCastle's low-level implementation is used instead of the JDK's XDH KeyAgreement because it
 * works on {@code byte[]} directly (no BigInteger u-coordinates, no key objects per operation).
 * Stateless and thread-safe.
 */
public final class Curve25519 {
    /** Length of private keys, public keys and shared secrets, in bytes. */
    public static final int KEY_LENGTH = 32;

    private Curve25519() {
    }

    /** Fills {@code privateKey[0..32]} with a fresh clamped private key. */
    public static void generatePrivateKey(SecureRandom random, byte[] privateKey) {
        X25519.generatePrivateKey(random, privateKey);
    }

    /** Clamps a private key in place as RFC 7748 section 5 (and {@code wg genkey}) does. */
    public static void clamp(byte[] privateKey) {
        privateKey[0] &= (byte) 248;
        privateKey[31] &= 127;
        privateKey[31] |= 64;
    }

    /** Writes the public key of {@code privateKey} to {@code publicKey[0..32]}. */
    public static void publicKey(byte[] privateKey, byte[] publicKey) {
        X25519.generatePublicKey(privateKey, 0, publicKey, 0);
    }

    /** Plain {@code X25519(scalar, u)} as RFC 7748 defines it (the scalar is clamped), for test vectors. */
    public static void scalarMult(byte[] scalar, byte[] u, byte[] out) {
        X25519.scalarMult(scalar, 0, u, 0, out, 0);
    }

    /**
     * Writes {@code DH(privateKey, publicKey)} to {@code out[0..32]}. Returns {@code false} when the
     * result is all zero (the public key is a low-order point): the handshake must then be refused,
     * since such a secret is known to anyone.
     */
    public static boolean agree(byte[] privateKey, byte[] publicKey, int publicOff, byte[] out) {
        return X25519.calculateAgreement(privateKey, 0, publicKey, publicOff, out, 0);
    }
}
