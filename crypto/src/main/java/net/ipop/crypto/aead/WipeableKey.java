package net.ipop.crypto.aead;

import java.io.IOException;
import java.io.NotSerializableException;
import java.io.ObjectOutputStream;
import java.io.Serial;
import java.util.Arrays;
import javax.crypto.SecretKey;

/**
 * A raw symmetric key whose bytes this class owns and can zero. {@code SecretKeySpec} cannot do
 * that: its {@code destroy()} is the default that throws, and it only clears itself when collected.
 *
 * <p>{@link #getEncoded()} returns a copy, as the JCE contract requires; the JDK providers zero
 * those copies after use. Refuses to be serialized.
 */
final class WipeableKey implements SecretKey {
    @Serial
    private static final long serialVersionUID = 1L;

    private final String algorithm;
    private final byte[] bytes;
    private volatile boolean destroyed;

    /** Copies {@code key}; the caller keeps and should wipe its own array. */
    WipeableKey(String algorithm, byte[] key) {
        this.algorithm = algorithm;
        this.bytes = key.clone();
    }

    @Override
    public String getAlgorithm() {
        return algorithm;
    }

    @Override
    public String getFormat() {
        return "RAW";
    }

    /** A fresh copy of the key bytes; throws {@link IllegalStateException} once destroyed. */
    @Override
    public byte[] getEncoded() {
        if (destroyed) {
            throw new IllegalStateException("key was destroyed");
        }
        return bytes.clone();
    }

    /** Zeroes the key bytes; every later use fails. */
    @Override
    public void destroy() {
        destroyed = true;
        Arrays.fill(bytes, (byte) 0);
    }

    @Override
    public boolean isDestroyed() {
        return destroyed;
    }

    /** True if every key byte is zero (tests use this to check a retired key). */
    boolean isZeroed() {
        byte acc = 0;
        for (byte b : bytes) {
            acc |= b;
        }
        return acc == 0;
    }

    @Serial
    private void writeObject(ObjectOutputStream out) throws IOException {
        throw new NotSerializableException("secret keys are not serialized");
    }
}
