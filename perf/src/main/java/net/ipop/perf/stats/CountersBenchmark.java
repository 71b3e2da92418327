package net.ipop.perf.stats;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import org.agrona.concurrent.SystemEpochClock;
import org.agrona.concurrent.UnsafeBuffer;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import net.ipop.dataplane.stats.CountersFileWriter;
import net.ipop.dataplane.stats.PipelineCounters;
import net.ipop.ipc.counters.DropReason;

/**
 * The cost of counting on the packet path, in a real mapped counters file: one packet to a peer
 * (two single-writer opaque adds), a batch of 32 packets over 8 peers, one drop; and, for
 * comparison, the same two adds done as atomic read-modify-writes (what a counter shared by
 * pipelines would need). Run: {@code perf/jmh.sh CountersBenchmark -prof gc}.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(1)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
public class CountersBenchmark {
    private static final int BATCH = 32;
    private static final int PEERS = 8;

    private Path dir;
    private CountersFileWriter writer;
    private PipelineCounters pipeline;
    private UnsafeBuffer shared;

    @Setup
    public void setup() throws IOException {
        dir = Files.createTempDirectory("ipop-counters-bench");
        writer = CountersFileWriter.create(dir.resolve("bench.counters"), 1, PEERS, SystemEpochClock.INSTANCE);
        for (int slot = 0; slot < PEERS; slot++) {
            writer.addPeer(slot, slot, "peer-" + slot);
        }
        pipeline = writer.pipeline(0);
        shared = new UnsafeBuffer(java.nio.ByteBuffer.allocateDirect(256));
    }

    @TearDown
    public void tearDown() throws IOException {
        writer.close();
        Files.deleteIfExists(dir);
    }

    @Benchmark
    public void peerSent() {
        pipeline.peerSent(3, 1420);
    }

    @Benchmark
    @OperationsPerInvocation(BATCH)
    public void batchOf32OverEightPeers() {
        for (int i = 0; i < BATCH; i++) {
            pipeline.peerReceived(i & (PEERS - 1), 1420);
        }
    }

    @Benchmark
    public void drop() {
        pipeline.drop(DropReason.REPLAY);
    }

    @Benchmark
    public void atomicAddsForComparison() {
        shared.getAndAddLong(0, 1420);
        shared.getAndAddLong(128, 1);
    }
}
