package net.ipop.control.config;

import java.util.Arrays;

import net.ipop.crypto.cert.X25519Keys;

/** An X25519 static public key (32 bytes); immutable, the bytes are copied in and out. */
public final class StaticPublicKey {
    private final byte[] key;

    private StaticPublicKey(byte[] key) {
        this.key = key;
    }

    /** @throws IllegalArgumentException if {@code key} is not 32 bytes */
    public static StaticPublicKey of(byte[] key) {
        if (key.length != X25519Keys.KEY_BYTES) {
            throw new IllegalArgumentException("a public key is 32 bytes, not " + key.length);
        }
        return new StaticPublicKey(key.clone());
    }

    public byte[] bytes() {
        return key.clone();
    }

    /** Base64, as {@code ipop pubkey} and {@code wg pubkey} print it. */
    @Override
    public String toString() {
        return X25519Keys.toBase64(key);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof StaticPublicKey k && Arrays.equals(k.key, key);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(key);
    }
}
