package net.ipop.crypto.aead;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.security.GeneralSecurityException;
import java.security.spec.AlgorithmParameterSpec;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.IvParameterSpec;
import net.ipop.crypto.Suite;

/**
 * One direction's AEAD key on a JDK (SunJCE) {@link Cipher}, over heap arrays: the JDK's
 * intrinsified heap path is the fastest option measured (docs/performance.md, "Crypto (JMH)").
 *
 * <p>Nonce: 4 zero bytes then the 64-bit counter little-endian (WireGuard's layout), for both
 * suites. No associated data (as WireGuard). The cipher is re-initialised per message because the
 * JDK forbids reusing a GCM/ChaCha20 encryption init; init + doFinal allocate ~0.9 KB (GCM) or
 * ~2.2 KB (ChaCha20-Poly1305) inside the JDK per message (docs/performance.md), which the JCE API
 * offers no way to avoid.
 *
 * <p>Not thread-safe: the owner of the enclosing sealer or opener is the only caller.
 */
final class JceAead {
    static final int KEY_LENGTH = 32;
    static final int NONCE_LENGTH = 12;
    private static final int TAG_BITS = TransportHeader.TAG_LENGTH * 8;
    private static final VarHandle LONG_LE =
            MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

    private final Suite suite;
    private final Cipher cipher;
    private final WipeableKey key;
    private final byte[] nonce = new byte[NONCE_LENGTH];

    /** Copies {@code key} (32 bytes); the caller wipes its own copy. */
    JceAead(Suite suite, byte[] key) {
        if (key.length != KEY_LENGTH) {
            throw new IllegalArgumentException("a " + suite.configName() + " key is 32 bytes, got " + key.length);
        }
        this.suite = suite;
        this.key = new WipeableKey(algorithm(suite), key);
        try {
            this.cipher = Cipher.getInstance(transformation(suite));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("this JDK lacks " + transformation(suite), e);
        }
    }

    /**
     * Encrypts {@code len} bytes of {@code in} at {@code inOff} into {@code out} at {@code outOff},
     * writing {@code len + 16} bytes (ciphertext then tag). {@code in} and {@code out} may be the
     * same array at the same offset.
     */
    void seal(long counter, byte[] in, int inOff, int len, byte[] out, int outOff) {
        LONG_LE.set(nonce, 4, counter);
        seal(nonce, null, in, inOff, len, out, outOff);
    }

    /**
     * As {@link #seal(long, byte[], int, int, byte[], int)} with an arbitrary 12-byte nonce and
     * optional associated data; the transport uses neither (known-answer tests do).
     */
    void seal(byte[] nonce12, byte[] aad, byte[] in, int inOff, int len, byte[] out, int outOff) {
        try {
            cipher.init(Cipher.ENCRYPT_MODE, key, spec(nonce12));
            if (aad != null) {
                cipher.updateAAD(aad);
            }
            cipher.doFinal(in, inOff, len, out, outOff);
        } catch (GeneralSecurityException e) {
            // Sizes and keys are checked by the callers: reaching this is a bug, not traffic.
            throw new IllegalStateException(suite.configName() + " seal failed", e);
        }
    }

    /**
     * Verifies and decrypts {@code len} bytes (ciphertext then 16-byte tag, {@code len >= 16}) into
     * {@code out} at {@code outOff} ({@code len - 16} bytes). On failure nothing is known to have
     * been written that the caller may use.
     *
     * @return false if the tag does not verify
     */
    boolean open(long counter, byte[] in, int inOff, int len, byte[] out, int outOff) {
        LONG_LE.set(nonce, 4, counter);
        return open(nonce, null, in, inOff, len, out, outOff);
    }

    /** As {@link #open(long, byte[], int, int, byte[], int)} with an arbitrary nonce and associated data. */
    boolean open(byte[] nonce12, byte[] aad, byte[] in, int inOff, int len, byte[] out, int outOff) {
        try {
            cipher.init(Cipher.DECRYPT_MODE, key, spec(nonce12));
            if (aad != null) {
                cipher.updateAAD(aad);
            }
            cipher.doFinal(in, inOff, len, out, outOff);
            return true;
        } catch (AEADBadTagException e) {
            return false;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(suite.configName() + " open failed", e);
        }
    }

    /**
     * Zeroes the key bytes and overwrites the JDK's copies of the key and of what it derived from it
     * (round keys, GHASH subkey, ChaCha state) by re-initialising with an all-zero key. After this,
     * {@link #seal} and {@link #open} throw: callers check retirement first.
     */
    void wipe() {
        key.destroy();
        byte[] zero = new byte[KEY_LENGTH];
        WipeableKey blank = new WipeableKey(algorithm(suite), zero);
        try {
            cipher.init(Cipher.ENCRYPT_MODE, blank, spec(new byte[NONCE_LENGTH]));
            cipher.doFinal(zero, 0, 0, new byte[TransportHeader.TAG_LENGTH], 0);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(suite.configName() + " wipe failed", e);
        } finally {
            blank.destroy();
        }
    }

    boolean keyZeroed() {
        return key.isZeroed();
    }

    private AlgorithmParameterSpec spec(byte[] nonce12) {
        // Both spec classes copy the nonce, so the array can be reused; the spec itself cannot.
        return suite == Suite.AES256GCM ? new GCMParameterSpec(TAG_BITS, nonce12) : new IvParameterSpec(nonce12);
    }

    static String transformation(Suite suite) {
        return suite == Suite.AES256GCM ? "AES/GCM/NoPadding" : "ChaCha20-Poly1305";
    }

    private static String algorithm(Suite suite) {
        return suite == Suite.AES256GCM ? "AES" : "ChaCha20";
    }
}
