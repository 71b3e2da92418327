package net.ipop.crypto.noise;

import java.security.GeneralSecurityException;
import java.security.spec.AlgorithmParameterSpec;

import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;

import net.ipop.crypto.Suite;

/**
 * The AEAD of the handshake's encrypted fields, from the JDK: ChaCha20-Poly1305 for the WireGuard
 * suite, AES-256-GCM for aes256gcm. Every handshake key is used exactly once, so the nonce is
 * always the all-zero 12 bytes (counter 0 in both Noise encodings). One {@link Cipher} per state
 * machine, re-initialised per field; not thread-safe.
 */
final class HandshakeAead {
    static final int TAG_LENGTH = 16;
    private static final byte[] ZERO_NONCE = new byte[12];

    private final Cipher cipher;
    private final String algorithm;
    private final boolean gcm;

    HandshakeAead(Suite suite) {
        this.gcm = suite == Suite.AES256GCM;
        this.algorithm = gcm ? "AES" : "ChaCha20";
        try {
            this.cipher = Cipher.getInstance(gcm ? "AES/GCM/NoPadding" : "ChaCha20-Poly1305");
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("the JDK lacks the " + suite.configName() + " AEAD", e);
        }
    }

    /** Encrypts {@code in[inOff..+inLen]} with AAD {@code ad} (32-byte hash) into {@code out[outOff..+inLen+16]}. */
    void seal(byte[] key, byte[] in, int inOff, int inLen, byte[] ad, byte[] out, int outOff) {
        try {
            cipher.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(key, 0, 32, algorithm), parameters());
            cipher.updateAAD(ad);
            cipher.doFinal(in, inOff, inLen, out, outOff);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("handshake AEAD encryption failed", e);
        }
    }

    /** Opens {@code in[inOff..+inLen]} (ciphertext and tag) into {@code out[outOff..]}; {@code false} if it does not authenticate. */
    boolean open(byte[] key, byte[] in, int inOff, int inLen, byte[] ad, byte[] out, int outOff) {
        try {
            cipher.init(Cipher.DECRYPT_MODE, new SecretKeySpec(key, 0, 32, algorithm), parameters());
            cipher.updateAAD(ad);
            cipher.doFinal(in, inOff, inLen, out, outOff);
            return true;
        } catch (AEADBadTagException e) {
            return false;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("handshake AEAD decryption failed", e);
        }
    }

    private AlgorithmParameterSpec parameters() {
        return gcm ? new GCMParameterSpec(TAG_LENGTH * 8, ZERO_NONCE) : new IvParameterSpec(ZERO_NONCE);
    }
}
