package net.ipop.crypto.primitives;

import java.util.Arrays;

import org.bouncycastle.crypto.digests.Blake2sDigest;

/**
 * BLAKE2s as WireGuard uses it: {@code HASH} (unkeyed, 32 bytes), {@code HMAC} (RFC 2104 over
 * BLAKE2s, 64-byte block) and the HKDF built from it ({@code KDF1..KDF3}).
 *
 * <p>One instance owns one digest and its scratch space and reuses them on every call; it is not
 * thread-safe. Arguments are borrowed for the duration of the call only. Output arrays may alias
 * the chaining-key input of {@link #kdf}: inputs are fully consumed before any output is written.
 */
public final class Blake2s {
    /** Length of {@code HASH} and {@code HMAC} outputs and of every KDF output, in bytes. */
    public static final int HASH_LENGTH = 32;
    /** Length of the keyed {@code MAC} ({@link Mac}) output, in bytes. */
    public static final int MAC_LENGTH = 16;

    private static final int BLOCK_LENGTH = 64;
    private static final byte IPAD = 0x36;
    private static final byte OPAD = 0x5c;

    private final Blake2sDigest digest = new Blake2sDigest(HASH_LENGTH * 8);
    private final byte[] pad = new byte[BLOCK_LENGTH];
    private final byte[] inner = new byte[HASH_LENGTH];
    private final byte[] prk = new byte[HASH_LENGTH];
    private final byte[] t = new byte[HASH_LENGTH];

    /** {@code out = HASH(a || b)}; {@code b} may be {@code null}. {@code out} may alias {@code a} or {@code b}. */
    public void hash(byte[] a, int aOff, int aLen, byte[] b, int bOff, int bLen, byte[] out, int outOff) {
        digest.reset();
        digest.update(a, aOff, aLen);
        if (b != null) {
            digest.update(b, bOff, bLen);
        }
        digest.doFinal(out, outOff);
    }

    /** {@code h = HASH(h || data)}: the Noise "MixHash" step, in place on a 32-byte {@code h}. */
    public void mixHash(byte[] h, byte[] data, int off, int len) {
        hash(h, 0, HASH_LENGTH, data, off, len, h, 0);
    }

    /**
     * {@code HMAC(key, data || suffix)} written to {@code out[outOff..+32]}; {@code suffix < 0} means
     * no suffix byte. {@code key} is at most 64 bytes (always 32 here).
     */
    public void hmac(byte[] key, int keyLen, byte[] data, int off, int len, int suffix, byte[] out, int outOff) {
        if (keyLen > BLOCK_LENGTH) {
            throw new IllegalArgumentException("HMAC key longer than one BLAKE2s block: " + keyLen);
        }
        Arrays.fill(pad, IPAD);
        for (int i = 0; i < keyLen; i++) {
            pad[i] ^= key[i];
        }
        digest.reset();
        digest.update(pad, 0, BLOCK_LENGTH);
        digest.update(data, off, len);
        if (suffix >= 0) {
            digest.update((byte) suffix);
        }
        digest.doFinal(inner, 0);
        Arrays.fill(pad, OPAD);
        for (int i = 0; i < keyLen; i++) {
            pad[i] ^= key[i];
        }
        digest.reset();
        digest.update(pad, 0, BLOCK_LENGTH);
        digest.update(inner, 0, HASH_LENGTH);
        digest.doFinal(out, outOff);
    }

    /**
     * WireGuard's {@code KDFn(ck, input)}: HKDF with HMAC-BLAKE2s, the chaining key as salt, one to
     * three 32-byte outputs. {@code out2} and {@code out3} may be {@code null} (fewer outputs);
     * {@code out1} is commonly {@code ck} itself.
     */
    public void kdf(byte[] ck, byte[] input, int off, int len, byte[] out1, byte[] out2, byte[] out3) {
        hmac(ck, HASH_LENGTH, input, off, len, -1, prk, 0);
        hmac(prk, HASH_LENGTH, t, 0, 0, 1, t, 0);
        System.arraycopy(t, 0, out1, 0, HASH_LENGTH);
        if (out2 != null) {
            hmac(prk, HASH_LENGTH, t, 0, HASH_LENGTH, 2, t, 0);
            System.arraycopy(t, 0, out2, 0, HASH_LENGTH);
            if (out3 != null) {
                hmac(prk, HASH_LENGTH, t, 0, HASH_LENGTH, 3, t, 0);
                System.arraycopy(t, 0, out3, 0, HASH_LENGTH);
            }
        }
        // Key material must not linger in scratch space between handshakes.
        Arrays.fill(prk, (byte) 0);
        Arrays.fill(t, (byte) 0);
        Arrays.fill(inner, (byte) 0);
    }

    /**
     * Keyed BLAKE2s with a 16-byte output ({@code MAC(key, input)} in WireGuard). The key is fixed at
     * construction: BouncyCastle's digest cannot be re-keyed, so callers keep one per key (mac1 of a
     * peer) and create new ones only when a key changes (cookies, every two minutes at most).
     */
    public static final class Mac {
        private final Blake2sDigest keyed;

        /** Copies {@code key} (1..32 bytes). */
        public Mac(byte[] key, int off, int len) {
            this.keyed = new Blake2sDigest(Arrays.copyOfRange(key, off, off + len), MAC_LENGTH, null, null);
        }

        /** Writes {@code MAC(key, in[off..+len])} to {@code out[outOff..+16]}; {@code out} may alias {@code in} beyond the input range. */
        public void compute(byte[] in, int off, int len, byte[] out, int outOff) {
            keyed.reset();
            keyed.update(in, off, len);
            keyed.doFinal(out, outOff);
        }

        /** Constant-time check that {@code expected[eOff..+16]} is {@code MAC(key, in[off..+len])}; {@code scratch} holds 16 bytes. */
        public boolean verify(byte[] in, int off, int len, byte[] expected, int eOff, byte[] scratch) {
            compute(in, off, len, scratch, 0);
            return ConstantTime.equals(scratch, 0, expected, eOff, MAC_LENGTH);
        }
    }
}
