package net.ipop.perf.crypto;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.security.GeneralSecurityException;
import java.util.concurrent.TimeUnit;
import javax.crypto.Cipher;
import net.ipop.crypto.Suite;
import net.ipop.crypto.aead.AeadImplementation;
import net.ipop.crypto.aead.AeadScratch;
import net.ipop.crypto.aead.PacketSealer;
import net.ipop.crypto.aead.TransportHeader;
import org.bouncycastle.crypto.InvalidCipherTextException;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Encrypting one packet per operation, each with a fresh nonce (cipher re-initialised), for every
 * candidate. {@code *JdkOffHeapCopy}, {@code *OpenSslOffHeap}, {@code gcmGcryptOffHeap} and {@code
 * gcmIpsecMbOffHeap} are the production {@link PacketSealer} on an off-heap packet, on each implementation
 * (all but the default one in a fork with {@code -Dipop.aead} set).
 * Run: {@code perf/jmh.sh 'AeadSeal' -prof gc}.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
public class AeadSealBenchmark {
    @Param({"1420", "65535"})
    int size;

    private Candidates c;
    private byte[] heap;
    private byte[] heapOut;
    private ByteBuffer directIn;
    private ByteBuffer directOut;
    private Arena arena;
    private MemorySegment packet;
    private PacketSealer gcmSealer;
    private PacketSealer chachaSealer;

    @Setup
    public void setup() throws GeneralSecurityException {
        c = new Candidates();
        heap = new byte[size + 16];
        heapOut = new byte[size + 16];
        ByteBuffer direct = ByteBuffer.allocateDirect(size + 16);
        directIn = direct.duplicate();
        directOut = direct.duplicate();
        arena = Arena.ofConfined();
        packet = arena.allocate(size + TransportHeader.OVERHEAD);
        AeadScratch scratch = new AeadScratch();
        gcmSealer = new PacketSealer(Suite.AES256GCM, c.key, 1, scratch);
        chachaSealer = new PacketSealer(Suite.CHACHA20POLY1305, c.key, 1, scratch);
    }

    @TearDown
    public void tearDown() {
        gcmSealer.close();
        chachaSealer.close();
        arena.close();
    }

    @Benchmark
    public int gcmJdkHeapInPlace() throws GeneralSecurityException {
        c.initJdkGcm(Cipher.ENCRYPT_MODE, ++c.counter);
        return c.jdkGcm.doFinal(heap, 0, size, heap, 0);
    }

    @Benchmark
    public int gcmJdkHeapTwoArrays() throws GeneralSecurityException {
        c.initJdkGcm(Cipher.ENCRYPT_MODE, ++c.counter);
        return c.jdkGcm.doFinal(heap, 0, size, heapOut, 0);
    }

    @Benchmark
    public int gcmJdkDirectBufferInPlace() throws GeneralSecurityException {
        c.initJdkGcm(Cipher.ENCRYPT_MODE, ++c.counter);
        directIn.limit(size).position(0);
        directOut.limit(size + 16).position(0);
        return c.jdkGcm.doFinal(directIn, directOut);
    }

    /** The production sealer forced onto the JDK cipher (copies through the heap scratch). */
    @Benchmark
    @Fork(value = 1, jvmArgsPrepend = "-Dipop.aead=jdk", jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
    public int gcmJdkOffHeapCopy() {
        return jdkOnly(gcmSealer).seal(packet, 0, size);
    }

    /** The production sealer as it runs here by default (libIPSec_MB on a CPU with VAES and AVX-512): in place, off-heap. */
    @Benchmark
    public int gcmIpsecMbOffHeap() {
        return aesThrough("libIPSec_MB", gcmSealer).seal(packet, 0, size);
    }

    /** The production sealer with libIPSec_MB turned off: libgcrypt. */
    @Benchmark
    @Fork(value = 1, jvmArgsPrepend = "-Dipop.aead=gcrypt", jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
    public int gcmGcryptOffHeap() {
        return aesThrough("libgcrypt", gcmSealer).seal(packet, 0, size);
    }

    /** The production sealer with AES-256-GCM left to OpenSSL's provider functions. */
    @Benchmark
    @Fork(value = 1, jvmArgsPrepend = "-Dipop.aead=openssl", jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
    public int gcmOpenSslOffHeap() {
        return aesThrough("OpenSSL", gcmSealer).seal(packet, 0, size);
    }

    @Benchmark
    public int gcmBouncyCastle() throws InvalidCipherTextException {
        c.initBcGcm(true, ++c.counter);
        int n = c.bcGcm.processBytes(heap, 0, size, heapOut, 0);
        return c.bcGcm.doFinal(heapOut, n);
    }

    @Benchmark
    public int chachaJdkHeapInPlace() throws GeneralSecurityException {
        c.initJdkChaCha(Cipher.ENCRYPT_MODE, ++c.counter);
        return c.jdkChaCha.doFinal(heap, 0, size, heap, 0);
    }

    @Benchmark
    public int chachaJdkHeapTwoArrays() throws GeneralSecurityException {
        c.initJdkChaCha(Cipher.ENCRYPT_MODE, ++c.counter);
        return c.jdkChaCha.doFinal(heap, 0, size, heapOut, 0);
    }

    @Benchmark
    @Fork(value = 1, jvmArgsPrepend = "-Dipop.aead=jdk", jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
    public int chachaJdkOffHeapCopy() {
        return jdkOnly(chachaSealer).seal(packet, 0, size);
    }

    @Benchmark
    public int chachaOpenSslOffHeap() {
        return openSslOnly(chachaSealer).seal(packet, 0, size);
    }

    /** Fails the run if this fork's implementation is not the one the benchmark name promises. */
    static <T> T jdkOnly(T production) {
        if (AeadImplementation.openSsl()) {
            throw new IllegalStateException("expected the JDK implementation: " + AeadImplementation.describe());
        }
        return production;
    }

    /** Fails the run if AES-256-GCM does not go through {@code library} in this fork. */
    static <T> T aesThrough(String library, T production) {
        if (!AeadImplementation.aes256gcm().equals(library)) {
            throw new IllegalStateException("expected AES-256-GCM through " + library + ": "
                    + AeadImplementation.describe());
        }
        return production;
    }

    static <T> T openSslOnly(T production) {
        if (!AeadImplementation.openSsl()) {
            throw new IllegalStateException("expected OpenSSL: " + AeadImplementation.describe());
        }
        return production;
    }

    @Benchmark
    public int chachaBouncyCastle() throws InvalidCipherTextException {
        c.initBcChaCha(true, ++c.counter);
        int n = c.bcChaCha.processBytes(heap, 0, size, heapOut, 0);
        return c.bcChaCha.doFinal(heapOut, n);
    }
}
