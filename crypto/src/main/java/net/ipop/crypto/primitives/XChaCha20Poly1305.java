package net.ipop.crypto.primitives;

import org.bouncycastle.crypto.InvalidCipherTextException;
import org.bouncycastle.crypto.params.KeyParameter;
import org.bouncycastle.crypto.params.ParametersWithIV;

/**
 * XChaCha20-Poly1305 (draft-irtf-cfrg-xchacha: HChaCha20 subkey, then RFC 8439 ChaCha20-Poly1305),
 * the AEAD of WireGuard cookie replies, whose 24-byte nonces are random. Backed by BouncyCastle's
 * implementation (bcprov 1.87 ships it). One instance per owner; not thread-safe; arrays are
 * borrowed for the call.
 */
public final class XChaCha20Poly1305 {
    public static final int KEY_LENGTH = 32;
    public static final int NONCE_LENGTH = 24;
    public static final int TAG_LENGTH = 16;

    private final org.bouncycastle.crypto.modes.XChaCha20Poly1305 cipher =
            new org.bouncycastle.crypto.modes.XChaCha20Poly1305();
    private final byte[] nonce = new byte[NONCE_LENGTH];

    /** Encrypts {@code in[inOff..+inLen]} into {@code out[outOff..+inLen+16]}; returns the bytes written. */
    public int seal(byte[] key, byte[] nonceIn, int nonceOff, byte[] in, int inOff, int inLen,
                    byte[] aad, int aadOff, int aadLen, byte[] out, int outOff) {
        init(true, key, nonceIn, nonceOff, aad, aadOff, aadLen);
        int n = cipher.processBytes(in, inOff, inLen, out, outOff);
        try {
            return n + cipher.doFinal(out, outOff + n);
        } catch (InvalidCipherTextException e) {
            throw new IllegalStateException("encryption cannot fail an authentication check", e);
        }
    }

    /**
     * Decrypts and authenticates {@code in[inOff..+inLen]} (ciphertext plus 16-byte tag) into
     * {@code out[outOff..+inLen-16]}. Returns {@code false}, leaving {@code out} unspecified, when the
     * tag does not verify.
     */
    public boolean open(byte[] key, byte[] nonceIn, int nonceOff, byte[] in, int inOff, int inLen,
                        byte[] aad, int aadOff, int aadLen, byte[] out, int outOff) {
        if (inLen < TAG_LENGTH) {
            return false;
        }
        init(false, key, nonceIn, nonceOff, aad, aadOff, aadLen);
        int n = cipher.processBytes(in, inOff, inLen, out, outOff);
        try {
            cipher.doFinal(out, outOff + n);
            return true;
        } catch (InvalidCipherTextException e) {
            return false;
        }
    }

    private void init(boolean encrypt, byte[] key, byte[] nonceIn, int nonceOff, byte[] aad, int aadOff, int aadLen) {
        System.arraycopy(nonceIn, nonceOff, nonce, 0, NONCE_LENGTH);
        cipher.init(encrypt, new ParametersWithIV(new KeyParameter(key, 0, KEY_LENGTH), nonce));
        cipher.processAADBytes(aad, aadOff, aadLen);
    }
}
