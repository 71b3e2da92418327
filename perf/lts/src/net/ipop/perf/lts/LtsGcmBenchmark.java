package net.ipop.perf.lts;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.util.concurrent.TimeUnit;
import org.bouncycastle.crypto.CryptoServicesRegistrar;
import org.bouncycastle.crypto.NativeServices;
import org.bouncycastle.crypto.PacketCipherException;
import org.bouncycastle.crypto.engines.AESNativeGCMPacketCipher;
import org.bouncycastle.crypto.modes.AESGCMModePacketCipher;
import org.bouncycastle.crypto.modes.AESGCMPacketCipher;
import org.bouncycastle.crypto.params.KeyParameter;
import org.bouncycastle.crypto.params.ParametersWithIV;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * BouncyCastle LTS (bcprov-lts8on) AES-GCM packet cipher, one packet per operation with a fresh
 * WireGuard-layout nonce. Kept out of the Maven build: bcprov-lts8on and bcprov-jdk18on define the
 * same classes and cannot share a class path. Run with {@code perf/lts/run.sh}.
 *
 * <p>{@code *Api}: the public {@code PacketCipher.processPacket}, which takes key and nonce per call
 * and clones both (112 B/op). {@code *NativeDirect}: the package-private JNI method behind it, called
 * through a private lookup - the only allocation-free way in, and not a supported API.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class LtsGcmBenchmark {
    @Param({"1420", "65535"})
    int size;

    private final byte[] key = new byte[32];
    private ParametersWithIV params;
    private byte[] nonce;
    private AESGCMModePacketCipher cipher;
    private MethodHandle nativePacket;
    private byte[] in;
    private byte[] out;
    private byte[] sealed;
    private long counter;

    @Setup
    public void setup() throws Throwable {
        NativeServices ns = CryptoServicesRegistrar.getNativeServices();
        if (!CryptoServicesRegistrar.hasEnabledService(NativeServices.AES_GCM_PC)) {
            throw new IllegalStateException("LTS native AES-GCM packet cipher not active: " + ns.getStatusMessage());
        }
        System.out.println("LTS native: " + ns.getStatusMessage() + " variant " + ns.getVariant());
        new java.util.Random(1).nextBytes(key);
        params = new ParametersWithIV(new KeyParameter(key), new byte[12]);
        nonce = params.getIV(); // the object's own array: mutating it sets the next nonce
        cipher = AESGCMPacketCipher.newInstance();
        nativePacket = MethodHandles.privateLookupIn(AESNativeGCMPacketCipher.class, MethodHandles.lookup())
                .findStatic(AESNativeGCMPacketCipher.class, "processPacket", MethodType.methodType(int.class,
                        boolean.class, byte[].class, byte[].class, byte[].class, int.class, byte[].class, int.class,
                        int.class, byte[].class, int.class, int.class));
        in = new byte[size + 16];
        out = new byte[size + 16];
        sealed = new byte[size + 16];
        setNonce(42);
        cipher.processPacket(true, params, in, 0, size, sealed, 0);
    }

    private void setNonce(long n) {
        for (int i = 0; i < 8; i++) {
            nonce[4 + i] = (byte) (n >>> (8 * i));
        }
    }

    @Benchmark
    public int sealApi() throws PacketCipherException {
        setNonce(++counter);
        return cipher.processPacket(true, params, in, 0, size, out, 0);
    }

    @Benchmark
    public int sealNativeDirect() throws Throwable {
        setNonce(++counter);
        return (int) nativePacket.invokeExact(true, key, nonce, (byte[]) null, 16, in, 0, size, out, 0, out.length);
    }

    @Benchmark
    public int openApi() throws PacketCipherException {
        setNonce(42);
        return cipher.processPacket(false, params, sealed, 0, size + 16, out, 0);
    }

    @Benchmark
    public int openNativeDirect() throws Throwable {
        setNonce(42);
        return (int) nativePacket.invokeExact(false, key, nonce, (byte[]) null, 16, sealed, 0, size + 16, out, 0,
                out.length);
    }
}
