package net.ipop.perf.handoff;

import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;

import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.MessageHandler;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.ringbuffer.OneToOneRingBuffer;
import org.agrona.concurrent.ringbuffer.RingBufferDescriptor;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Group;
import org.openjdk.jmh.annotations.GroupThreads;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The price of handing a packet from one thread to another, the thing "shard before you hand off"
 * avoids: a slot index (4 bytes, never the packet) through an Agrona one-to-one ring buffer.
 * {@code handoff} runs a producer and a consumer thread. Their scores count calls, including an
 * offer refused by a full ring and a poll of an empty one; the {@code accepted} and
 * {@code delivered} rows count only the slot indices that really went across. {@code sameThread}
 * writes and reads on one thread: the cost without the cache-line traffic between cores. On a
 * 2-core machine shared with other work the cross-thread figures swing widely: read the error
 * column. Run: {@code perf/jmh.sh RingHandoffBenchmark -prof gc}.
 */
@State(Scope.Group)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(1)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class RingHandoffBenchmark {
    private static final int MESSAGE_TYPE = 1;
    private static final int CAPACITY = 64 * 1024;

    private OneToOneRingBuffer ring;
    private UnsafeBuffer slot;

    /** The consumer's handler: one instance, so a poll allocates nothing. */
    public static final class Consumer implements MessageHandler {
        long sum;

        @Override
        public void onMessage(int msgTypeId, MutableDirectBuffer buffer, int index, int length) {
            sum += buffer.getInt(index);
        }
    }

    /** The consumer thread's state; {@code delivered} is reported as a rate of its own. */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    public static class Reader {
        final Consumer consumer = new Consumer();
        public long delivered;

        @Setup(Level.Iteration)
        public void reset() {
            delivered = 0;
        }
    }

    /** The producer thread's state; {@code accepted} is reported as a rate of its own. */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    public static class Writer {
        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[4]);
        int next;
        public long accepted;

        @Setup(Level.Iteration)
        public void reset() {
            accepted = 0;
        }
    }

    @Setup
    public void setup() {
        ring = new OneToOneRingBuffer(new UnsafeBuffer(
                ByteBuffer.allocateDirect(CAPACITY + RingBufferDescriptor.TRAILER_LENGTH)));
        slot = new UnsafeBuffer(new byte[4]);
    }

    @Benchmark
    @Group("handoff")
    @GroupThreads(1)
    public boolean offer(Writer writer) {
        writer.buffer.putInt(0, writer.next++);
        boolean written = ring.write(MESSAGE_TYPE, writer.buffer, 0, 4);
        if (written) {
            writer.accepted++;
        }
        return written;
    }

    @Benchmark
    @Group("handoff")
    @GroupThreads(1)
    public int poll(Reader reader) {
        int n = ring.read(reader.consumer, 1);
        reader.delivered += n;
        return n;
    }

    @Benchmark
    @Group("sameThread")
    @GroupThreads(1)
    public int writeThenRead(Reader reader) {
        slot.putInt(0, 7);
        ring.write(MESSAGE_TYPE, slot, 0, 4);
        int n = ring.read(reader.consumer, 1);
        reader.delivered += n;
        return n;
    }
}
