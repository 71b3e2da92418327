package net.ipop.crypto.noise;

import java.util.Arrays;

import net.ipop.crypto.Suite;
import net.ipop.crypto.primitives.Blake2s;
import net.ipop.crypto.primitives.Curve25519;

/**
 * The Noise symmetric state of one handshake message at a time: chaining key {@code ck}, hash
 * {@code h} and the current AEAD key, with the operations WireGuard's protocol description is
 * written in (mix a DH result or public value into the key, mix data into the hash,
 * encrypt-and-hash, the psk step, split). Reused for every message by its {@link Handshaker}, so
 * the digest, cipher and scratch arrays are allocated once; {@link #wipe()} clears all secrets.
 * Not thread-safe.
 */
final class SymmetricState {
    static final int KEY = Blake2s.HASH_LENGTH;

    final Blake2s b2 = new Blake2s();
    private final HandshakeAead aead;
    private final byte[] ck = new byte[KEY];
    private final byte[] h = new byte[KEY];
    private final byte[] key = new byte[KEY];
    private final byte[] tau = new byte[KEY];
    private final byte[] dh = new byte[KEY];

    SymmetricState(Suite suite) {
        this.aead = new HandshakeAead(suite);
    }

    /** Starts from a chaining key and hash (both 32 bytes, copied). */
    void start(byte[] chainKey, byte[] hash) {
        System.arraycopy(chainKey, 0, ck, 0, KEY);
        System.arraycopy(hash, 0, h, 0, KEY);
    }

    /** Saves the chaining key and hash (to continue when the response arrives). */
    void save(byte[] chainKey, byte[] hash) {
        System.arraycopy(ck, 0, chainKey, 0, KEY);
        System.arraycopy(h, 0, hash, 0, KEY);
    }

    /** A public ephemeral: {@code ck = KDF1(ck, e)}, {@code h = HASH(h || e)}. */
    void mixEphemeral(byte[] e, int off) {
        b2.kdf(ck, e, off, KEY, ck, null, null);
        b2.mixHash(h, e, off, KEY);
    }

    /** {@code ck = KDF1(ck, DH(priv, pub))}; {@code false} if {@code pub} is a low-order point. */
    boolean mixDh(byte[] priv, byte[] pub, int pubOff) {
        if (!Curve25519.agree(priv, pub, pubOff, dh)) {
            return false;
        }
        b2.kdf(ck, dh, 0, KEY, ck, null, null);
        return true;
    }

    /** {@code (ck, key) = KDF2(ck, DH(priv, pub))}; {@code false} if {@code pub} is a low-order point. */
    boolean mixDhAndKey(byte[] priv, byte[] pub, int pubOff) {
        if (!Curve25519.agree(priv, pub, pubOff, dh)) {
            return false;
        }
        mixKey(dh);
        return true;
    }

    /** {@code (ck, key) = KDF2(ck, secret)} for a precomputed 32-byte DH result. */
    void mixKey(byte[] secret) {
        b2.kdf(ck, secret, 0, KEY, ck, key, null);
    }

    /** The psk step: {@code (ck, tau, key) = KDF3(ck, psk)}, {@code h = HASH(h || tau)}. */
    void mixPsk(byte[] psk) {
        b2.kdf(ck, psk, 0, KEY, ck, tau, key);
        b2.mixHash(h, tau, 0, KEY);
    }

    /** {@code c = AEAD(key, 0, plaintext, h)} into {@code out[outOff..]}, then {@code h = HASH(h || c)}. */
    void encryptAndHash(byte[] plaintext, int off, int len, byte[] out, int outOff) {
        aead.seal(key, plaintext, off, len, h, out, outOff);
        b2.mixHash(h, out, outOff, len + HandshakeAead.TAG_LENGTH);
    }

    /** Opens {@code in[off..+len]} into {@code out} and mixes the ciphertext into {@code h}; {@code false} if forged. */
    boolean decryptAndHash(byte[] in, int off, int len, byte[] out, int outOff) {
        if (!aead.open(key, in, off, len, h, out, outOff)) {
            return false;
        }
        b2.mixHash(h, in, off, len);
        return true;
    }

    /** {@code (first, second) = KDF2(ck, empty)}: the transport keys, initiator-to-responder first. */
    void split(byte[] first, byte[] second) {
        b2.kdf(ck, dh, 0, 0, first, second, null);
    }

    void wipe() {
        Arrays.fill(ck, (byte) 0);
        Arrays.fill(h, (byte) 0);
        Arrays.fill(key, (byte) 0);
        Arrays.fill(tau, (byte) 0);
        Arrays.fill(dh, (byte) 0);
    }
}
