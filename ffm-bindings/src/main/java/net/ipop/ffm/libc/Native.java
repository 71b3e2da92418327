package net.ipop.ffm.libc;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.util.Arrays;

/**
 * Linker plumbing shared by every binding: symbol lookup in libc, downcall handles that capture
 * {@code errno}, and the per-thread call-state segment those handles write into.
 *
 * <p>Why capture instead of reading {@code __errno_location()} afterwards: the JVM may run native
 * code of its own (GC, safepoints) between our call and the read, which can overwrite errno.
 *
 * <p>Threading: handles are immutable and shared. The call-state segment is per thread (a
 * {@link ThreadLocal} filled once per thread), so a steady-state call allocates nothing.
 */
public final class Native {
    /** The layout the linker writes captured state into; only {@code errno} is requested. */
    public static final StructLayout CALL_STATE_LAYOUT = Linker.Option.captureStateLayout();

    private static final Linker LINKER = Linker.nativeLinker();
    private static final SymbolLookup LIBC = LINKER.defaultLookup();
    private static final Linker.Option CAPTURE_ERRNO = Linker.Option.captureCallState("errno");
    private static final VarHandle ERRNO =
            CALL_STATE_LAYOUT.varHandle(MemoryLayout.PathElement.groupElement("errno"));
    private static final ThreadLocal<MemorySegment> CALL_STATE =
            ThreadLocal.withInitial(() -> Arena.ofAuto().allocate(CALL_STATE_LAYOUT));

    private Native() {
    }

    /**
     * A downcall handle whose first parameter is the call-state segment (pass {@link #callState()}),
     * followed by the C parameters in {@code descriptor}.
     *
     * @param options extra options, e.g. {@code Linker.Option.firstVariadicArg(2)} for ioctl/fcntl/open
     */
    @SuppressWarnings("restricted")
    public static MethodHandle errnoCall(String symbol, FunctionDescriptor descriptor, Linker.Option... options) {
        Linker.Option[] all = Arrays.copyOf(options, options.length + 1);
        all[options.length] = CAPTURE_ERRNO;
        return LINKER.downcallHandle(find(symbol), descriptor, all);
    }

    /** A downcall handle for a function that never sets errno (or whose errno we do not need). */
    @SuppressWarnings("restricted")
    public static MethodHandle call(String symbol, FunctionDescriptor descriptor, Linker.Option... options) {
        return LINKER.downcallHandle(find(symbol), descriptor, options);
    }

    /** The calling thread's call-state segment, allocated once per thread. */
    public static MemorySegment callState() {
        return CALL_STATE.get();
    }

    /** The errno captured by the last {@link #errnoCall} handle that wrote {@code state}. */
    public static int errno(MemorySegment state) {
        return (int) ERRNO.get(state, 0L);
    }

    /** Returned by {@link #failed} when the call was interrupted and should simply be made again. */
    public static final int RETRY = Integer.MIN_VALUE;

    /**
     * The shared answer to a failed call ({@code result < 0}) under the bindings' contract:
     * {@code EINTR} gives {@link #RETRY}, {@code EAGAIN} gives {@link Libc#WOULD_BLOCK}, anything
     * else throws an {@link ErrnoException} naming {@code call} and, when {@code fd >= 0}, the fd.
     * The message is built only on that error path.
     */
    public static int failed(MemorySegment state, String call, int fd) throws ErrnoException {
        int errno = errno(state);
        if (errno == Errno.EINTR) {
            return RETRY;
        }
        if (errno == Errno.EAGAIN) {
            return Libc.WOULD_BLOCK;
        }
        throw new ErrnoException(fd >= 0 ? call + "(fd " + fd + ")" : call, errno);
    }

    /**
     * Wraps a throwable escaping {@code invokeExact}. Downcalls throw only on a linkage bug (wrong
     * descriptor), never because the C function failed, so this is an error, not an I/O condition.
     */
    public static Error unexpected(Throwable t) {
        if (t instanceof Error e) {
            return e;
        }
        return new AssertionError("downcall failed unexpectedly", t);
    }

    private static MemorySegment find(String symbol) {
        return LIBC.find(symbol).orElseThrow(() -> new UnsatisfiedLinkError("libc has no symbol " + symbol));
    }
}
