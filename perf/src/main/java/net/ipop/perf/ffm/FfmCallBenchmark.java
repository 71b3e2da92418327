package net.ipop.perf.ffm;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.concurrent.TimeUnit;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import net.ipop.ffm.libc.ErrnoException;
import net.ipop.ffm.libc.Libc;
import net.ipop.ffm.libc.Native;

/**
 * What one FFM downcall costs, and what its parts cost: {@code abs} (no system call: the Java to
 * native transition alone, normal and {@code critical}), {@code getpid} (the cheapest system call),
 * and {@code fcntl(F_GETFL)} both through the project's binding ({@link Libc#fcntl}: errno captured
 * into the per-thread call state, result checked) and as a plain downcall without the capture.
 * The difference between the last two is the price of the errno contract on every call; the
 * difference to {@code getpid} is the price of the system call. Run:
 * {@code perf/jmh.sh FfmCallBenchmark -prof gc}.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(1)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class FfmCallBenchmark {
    private static final MethodHandle ABS = Native.call("abs",
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));
    private static final MethodHandle ABS_CRITICAL = Native.call("abs",
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT), Linker.Option.critical(false));
    private static final MethodHandle GETPID = Native.call("getpid", FunctionDescriptor.of(ValueLayout.JAVA_INT));
    private static final MethodHandle FCNTL_PLAIN = Native.call("fcntl",
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT),
            Linker.Option.firstVariadicArg(2));

    private int fd = -1;
    private int value = -42;

    @Setup
    public void setup() throws ErrnoException {
        try (Arena arena = Arena.ofConfined()) {
            fd = Libc.open(arena.allocateFrom("/dev/null"), Libc.O_RDONLY | Libc.O_CLOEXEC, 0, "/dev/null");
        }
    }

    @TearDown
    public void tearDown() throws ErrnoException {
        Libc.close(fd);
    }

    @Benchmark
    public int abs() throws Throwable {
        return (int) ABS.invokeExact(value);
    }

    @Benchmark
    public int absCritical() throws Throwable {
        return (int) ABS_CRITICAL.invokeExact(value);
    }

    @Benchmark
    public int getpid() throws Throwable {
        return (int) GETPID.invokeExact();
    }

    @Benchmark
    public int fcntlPlain() throws Throwable {
        return (int) FCNTL_PLAIN.invokeExact(fd, Libc.F_GETFL, 0);
    }

    @Benchmark
    public int fcntlThroughLibc() throws ErrnoException {
        return Libc.fcntl(fd, Libc.F_GETFL, 0);
    }
}
