package net.ipop.perf.crypto;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.security.GeneralSecurityException;
import java.util.concurrent.TimeUnit;
import javax.crypto.Cipher;
import net.ipop.crypto.Suite;
import net.ipop.crypto.aead.AeadScratch;
import net.ipop.crypto.aead.PacketOpener;
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
 * Verifying and decrypting one packet per operation. The raw candidates decrypt the same message
 * again and again (decryption may repeat a nonce); {@code *InPlace} first restores the ciphertext
 * with an array copy (included). The production opener refuses replays, so it is measured as a
 * seal-then-open round trip of one packet: its open cost is the round trip minus the same implementation's
 * {@code AeadSealBenchmark} row ({@code *JdkOffHeapCopy}, {@code *OpenSslOffHeap}, {@code gcmGcryptOffHeap},
 * {@code gcmIpsecMbOffHeap}; all but the default run in a fork with {@code -Dipop.aead} set).
 * Run: {@code perf/jmh.sh 'AeadOpen' -prof gc}.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
public class AeadOpenBenchmark {
    private static final long NONCE = 42;

    @Param({"1420", "65535"})
    int size;

    private Candidates c;
    private byte[] gcmSealed;
    private byte[] chachaSealed;
    private byte[] buf;
    private byte[] plain;
    private ByteBuffer directGcmSealed;
    private ByteBuffer directPlain;
    private Arena arena;
    private MemorySegment packet;
    private PacketSealer gcmSealer;
    private PacketOpener gcmOpener;
    private PacketSealer chachaSealer;
    private PacketOpener chachaOpener;

    @Setup
    public void setup() throws GeneralSecurityException {
        c = new Candidates();
        byte[] p = new byte[size];
        new java.util.Random(2).nextBytes(p);
        gcmSealed = new byte[size + 16];
        c.initJdkGcm(Cipher.ENCRYPT_MODE, NONCE);
        c.jdkGcm.doFinal(p, 0, size, gcmSealed, 0);
        chachaSealed = new byte[size + 16];
        c.initJdkChaCha(Cipher.ENCRYPT_MODE, NONCE);
        c.jdkChaCha.doFinal(p, 0, size, chachaSealed, 0);
        buf = new byte[size + 16];
        plain = new byte[size + 16];
        directGcmSealed = ByteBuffer.allocateDirect(size + 16).put(gcmSealed).flip();
        directPlain = ByteBuffer.allocateDirect(size + 16);
        arena = Arena.ofConfined();
        packet = arena.allocate(size + TransportHeader.OVERHEAD);
        AeadScratch scratch = new AeadScratch();
        gcmSealer = new PacketSealer(Suite.AES256GCM, c.key, 1, scratch);
        gcmOpener = new PacketOpener(Suite.AES256GCM, c.key, 1, scratch);
        chachaSealer = new PacketSealer(Suite.CHACHA20POLY1305, c.key, 1, scratch);
        chachaOpener = new PacketOpener(Suite.CHACHA20POLY1305, c.key, 1, scratch);
    }

    @TearDown
    public void tearDown() {
        gcmSealer.close();
        gcmOpener.close();
        chachaSealer.close();
        chachaOpener.close();
        arena.close();
    }

    @Benchmark
    public int gcmJdkHeapTwoArrays() throws GeneralSecurityException {
        c.initJdkGcm(Cipher.DECRYPT_MODE, NONCE);
        return c.jdkGcm.doFinal(gcmSealed, 0, size + 16, plain, 0);
    }

    @Benchmark
    public int gcmJdkHeapInPlace() throws GeneralSecurityException {
        System.arraycopy(gcmSealed, 0, buf, 0, size + 16);
        c.initJdkGcm(Cipher.DECRYPT_MODE, NONCE);
        return c.jdkGcm.doFinal(buf, 0, size + 16, buf, 0);
    }

    @Benchmark
    public int gcmJdkDirectBuffer() throws GeneralSecurityException {
        c.initJdkGcm(Cipher.DECRYPT_MODE, NONCE);
        directGcmSealed.position(0);
        directPlain.clear();
        return c.jdkGcm.doFinal(directGcmSealed, directPlain);
    }

    @Benchmark
    public int gcmBouncyCastle() throws InvalidCipherTextException {
        c.initBcGcm(false, NONCE);
        int n = c.bcGcm.processBytes(gcmSealed, 0, size + 16, plain, 0);
        return c.bcGcm.doFinal(plain, n);
    }

    @Benchmark
    @Fork(value = 1, jvmArgsPrepend = "-Dipop.aead=jdk", jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
    public int gcmJdkOffHeapCopySealOpen() {
        int len = AeadSealBenchmark.jdkOnly(gcmSealer).seal(packet, 0, size);
        return gcmOpener.open(packet, 0, len);
    }

    @Benchmark
    public int gcmIpsecMbOffHeapSealOpen() {
        int len = AeadSealBenchmark.aesThrough("libIPSec_MB", gcmSealer).seal(packet, 0, size);
        return gcmOpener.open(packet, 0, len);
    }

    @Benchmark
    @Fork(value = 1, jvmArgsPrepend = "-Dipop.aead=gcrypt", jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
    public int gcmGcryptOffHeapSealOpen() {
        int len = AeadSealBenchmark.aesThrough("libgcrypt", gcmSealer).seal(packet, 0, size);
        return gcmOpener.open(packet, 0, len);
    }

    @Benchmark
    @Fork(value = 1, jvmArgsPrepend = "-Dipop.aead=openssl", jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
    public int gcmOpenSslOffHeapSealOpen() {
        int len = AeadSealBenchmark.aesThrough("OpenSSL", gcmSealer).seal(packet, 0, size);
        return gcmOpener.open(packet, 0, len);
    }

    @Benchmark
    public int chachaJdkHeapTwoArrays() throws GeneralSecurityException {
        c.initJdkChaCha(Cipher.DECRYPT_MODE, NONCE);
        return c.jdkChaCha.doFinal(chachaSealed, 0, size + 16, plain, 0);
    }

    @Benchmark
    public int chachaJdkHeapInPlace() throws GeneralSecurityException {
        System.arraycopy(chachaSealed, 0, buf, 0, size + 16);
        c.initJdkChaCha(Cipher.DECRYPT_MODE, NONCE);
        return c.jdkChaCha.doFinal(buf, 0, size + 16, buf, 0);
    }

    @Benchmark
    public int chachaBouncyCastle() throws InvalidCipherTextException {
        c.initBcChaCha(false, NONCE);
        int n = c.bcChaCha.processBytes(chachaSealed, 0, size + 16, plain, 0);
        return c.bcChaCha.doFinal(plain, n);
    }

    @Benchmark
    @Fork(value = 1, jvmArgsPrepend = "-Dipop.aead=jdk", jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
    public int chachaJdkOffHeapCopySealOpen() {
        int len = AeadSealBenchmark.jdkOnly(chachaSealer).seal(packet, 0, size);
        return chachaOpener.open(packet, 0, len);
    }

    @Benchmark
    public int chachaOpenSslOffHeapSealOpen() {
        int len = AeadSealBenchmark.openSslOnly(chachaSealer).seal(packet, 0, size);
        return chachaOpener.open(packet, 0, len);
    }
}
