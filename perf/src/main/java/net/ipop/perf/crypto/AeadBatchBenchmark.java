package net.ipop.perf.crypto;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.TimeUnit;
import net.ipop.crypto.Suite;
import net.ipop.crypto.aead.AeadScratch;
import net.ipop.crypto.aead.PacketOpener;
import net.ipop.crypto.aead.PacketSealer;
import net.ipop.crypto.aead.TransportHeader;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The production batch API on 32 packets laid out in one off-heap buffer at a 2 KiB stride, as a
 * receive ring holds them. Scores and {@code gc.alloc.rate.norm} are per packet
 * ({@code @OperationsPerInvocation(32)}). {@code *Jdk} run in a fork with {@code -Dipop.aead=jdk};
 * the others use the default implementation ({@link net.ipop.crypto.aead.AeadImplementation}).
 * Run: {@code perf/jmh.sh 'AeadBatch' -prof gc}.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
public class AeadBatchBenchmark {
    private static final int BATCH = 32;
    private static final long STRIDE = 2048;

    @Param({"AES256GCM", "CHACHA20POLY1305"})
    Suite suite;

    @Param({"1420"})
    int size;

    private Arena arena;
    private final MemorySegment[] packets = new MemorySegment[BATCH];
    private final long[] offsets = new long[BATCH];
    private final int[] payloadLengths = new int[BATCH];
    private final int[] packetLengths = new int[BATCH];
    private final int[] results = new int[BATCH];
    private PacketSealer sealer;
    private PacketOpener opener;

    @Setup
    public void setup() {
        arena = Arena.ofConfined();
        MemorySegment ring = arena.allocate(BATCH * STRIDE);
        for (int i = 0; i < BATCH; i++) {
            packets[i] = ring;
            offsets[i] = i * STRIDE;
            payloadLengths[i] = size;
        }
        byte[] key = new byte[32];
        new java.util.Random(3).nextBytes(key);
        AeadScratch scratch = new AeadScratch(size);
        sealer = new PacketSealer(suite, key, 1, scratch);
        opener = new PacketOpener(suite, key, 1, scratch);
        if (size + TransportHeader.OVERHEAD > STRIDE) {
            throw new IllegalStateException("size must fit the 2 KiB stride");
        }
    }

    @TearDown
    public void tearDown() {
        sealer.close();
        opener.close();
        arena.close();
    }

    @Benchmark
    @OperationsPerInvocation(BATCH)
    public int sealBatch() {
        return sealer.sealBatch(packets, offsets, payloadLengths, BATCH, results);
    }

    @Benchmark
    @OperationsPerInvocation(BATCH)
    public int sealOpenBatch() {
        sealer.sealBatch(packets, offsets, payloadLengths, BATCH, packetLengths);
        return opener.openBatch(packets, offsets, packetLengths, BATCH, results);
    }

    /** As {@link #sealBatch()} with the production classes forced onto the JDK cipher. */
    @Benchmark
    @OperationsPerInvocation(BATCH)
    @Fork(value = 1, jvmArgsPrepend = "-Dipop.aead=jdk", jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
    public int sealBatchJdk() {
        return AeadSealBenchmark.jdkOnly(sealer).sealBatch(packets, offsets, payloadLengths, BATCH, results);
    }

    @Benchmark
    @OperationsPerInvocation(BATCH)
    @Fork(value = 1, jvmArgsPrepend = "-Dipop.aead=jdk", jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
    public int sealOpenBatchJdk() {
        AeadSealBenchmark.jdkOnly(sealer).sealBatch(packets, offsets, payloadLengths, BATCH, packetLengths);
        return opener.openBatch(packets, offsets, packetLengths, BATCH, results);
    }
}
