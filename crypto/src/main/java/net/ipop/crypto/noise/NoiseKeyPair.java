package net.ipop.crypto.noise;

import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;

import net.ipop.crypto.cert.X25519Keys;
import net.ipop.crypto.primitives.Curve25519;

/**
 * A static X25519 identity: 32-byte private key (clamped) and its public key, in WireGuard's raw
 * little-endian encoding. Immutable; accessors return copies.
 */
public final class NoiseKeyPair {
    private final byte[] privateKey;
    private final byte[] publicKey;

    private NoiseKeyPair(byte[] privateKey) {
        this.privateKey = privateKey;
        this.publicKey = new byte[Curve25519.KEY_LENGTH];
        Curve25519.publicKey(privateKey, publicKey);
    }

    /** A fresh random key pair. */
    public static NoiseKeyPair generate(SecureRandom random) {
        byte[] priv = new byte[Curve25519.KEY_LENGTH];
        Curve25519.generatePrivateKey(random, priv);
        return new NoiseKeyPair(priv);
    }

    /** The key pair of an existing 32-byte private key (copied, then clamped as WireGuard does). */
    public static NoiseKeyPair fromPrivateKey(byte[] privateKey) {
        if (privateKey.length != Curve25519.KEY_LENGTH) {
            throw new IllegalArgumentException("an X25519 private key is 32 bytes, got " + privateKey.length);
        }
        byte[] k = privateKey.clone();
        Curve25519.clamp(k);
        return new NoiseKeyPair(k);
    }

    /** Parses a base64 private key as {@code wg genkey} prints it; the message names what is wrong. */
    public static NoiseKeyPair fromBase64(String privateKey) {
        return fromPrivateKey(X25519Keys.fromBase64(privateKey, "private key"));
    }

    public byte[] privateKey() {
        return privateKey.clone();
    }

    public byte[] publicKey() {
        return publicKey.clone();
    }

    /** The public key in base64, as {@code wg pubkey} prints it. */
    public String publicKeyBase64() {
        return Base64.getEncoder().encodeToString(publicKey);
    }

    /** Package-internal access without copying; callers never modify it. */
    byte[] privateKeyRef() {
        return privateKey;
    }

    byte[] publicKeyRef() {
        return publicKey;
    }

    @Override
    public String toString() {
        return "NoiseKeyPair[public=" + publicKeyBase64() + "]";
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof NoiseKeyPair k && Arrays.equals(publicKey, k.publicKey);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(publicKey);
    }
}
