package net.ipop.perf.crypto;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.security.GeneralSecurityException;
import java.util.Random;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.bouncycastle.crypto.engines.AESEngine;
import org.bouncycastle.crypto.modes.ChaCha20Poly1305;
import org.bouncycastle.crypto.modes.GCMBlockCipher;
import org.bouncycastle.crypto.modes.GCMModeCipher;
import org.bouncycastle.crypto.params.AEADParameters;
import org.bouncycastle.crypto.params.KeyParameter;
import org.bouncycastle.crypto.params.ParametersWithIV;

/**
 * The raw cipher candidates the benchmarks compare, each with a fresh WireGuard-layout nonce per
 * message (4 zero bytes, little-endian counter) as the transport needs. Benchmark state only.
 */
final class Candidates {
    static final VarHandle LONG_LE = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

    final byte[] key = new byte[32];
    final SecretKeySpec aesKey;
    final SecretKeySpec chachaKey;
    final Cipher jdkGcm;
    final Cipher jdkChaCha;
    final byte[] nonce = new byte[12];
    long counter;

    final GCMModeCipher bcGcm = GCMBlockCipher.newInstance(AESEngine.newInstance());
    final ChaCha20Poly1305 bcChaCha = new ChaCha20Poly1305();
    /**
     * Two ChaCha parameter objects used alternately: BC keeps a reference to the last nonce array to
     * refuse reuse, and {@code ParametersWithIV.getIV()} exposes its array, so no allocation is needed.
     * {@code AEADParameters.getNonce()} returns a copy, so GCM gets new parameters per message.
     */
    private final ParametersWithIV[] bcChaChaParams = new ParametersWithIV[2];

    Candidates() throws GeneralSecurityException {
        new Random(1).nextBytes(key);
        aesKey = new SecretKeySpec(key, "AES");
        chachaKey = new SecretKeySpec(key, "ChaCha20");
        jdkGcm = Cipher.getInstance("AES/GCM/NoPadding");
        jdkChaCha = Cipher.getInstance("ChaCha20-Poly1305");
        // First init with the key; later inits pass a null key so BC keeps its key schedule.
        bcGcm.init(true, new AEADParameters(new KeyParameter(key), 128, new byte[12]));
        bcChaCha.init(true, new ParametersWithIV(new KeyParameter(key), new byte[12]));
        for (int i = 0; i < 2; i++) {
            bcChaChaParams[i] = new ParametersWithIV(null, new byte[12]);
        }
    }

    void initJdkGcm(int mode, long n) throws GeneralSecurityException {
        LONG_LE.set(nonce, 4, n);
        jdkGcm.init(mode, aesKey, new GCMParameterSpec(128, nonce));
    }

    void initJdkChaCha(int mode, long n) throws GeneralSecurityException {
        LONG_LE.set(nonce, 4, n);
        jdkChaCha.init(mode, chachaKey, new IvParameterSpec(nonce));
    }

    void initBcGcm(boolean encrypt, long n) {
        LONG_LE.set(nonce, 4, n);
        bcGcm.init(encrypt, new AEADParameters(null, 128, nonce));
    }

    void initBcChaCha(boolean encrypt, long n) {
        ParametersWithIV p = bcChaChaParams[(int) (n & 1)];
        LONG_LE.set(p.getIV(), 4, n);
        bcChaCha.init(encrypt, p);
    }
}
