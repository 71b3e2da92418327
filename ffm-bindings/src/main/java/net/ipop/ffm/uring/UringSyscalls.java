package net.ipop.ffm.uring;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

import net.ipop.ffm.libc.Errno;
import net.ipop.ffm.libc.ErrnoException;
import net.ipop.ffm.libc.Native;

/**
 * The three io_uring system calls, reached through libc's {@code syscall(long number, ...)}
 * because glibc has no wrappers for them.
 *
 * <p>{@code syscall} is variadic after the number, so every argument after it is passed as a full
 * 64-bit value ({@code JAVA_LONG} or an address): glibc moves the registers straight into the
 * kernel's, and a 32-bit {@code int} there would leave the upper half undefined. There is one
 * handle per system call (each has its own argument shape), all on the one libc symbol.
 *
 * <p>Numbers 425-427 are the same on every architecture Linux supports since 5.1 (the io_uring
 * calls were added after the syscall tables were unified).
 */
final class UringSyscalls {
    static final long SYS_IO_URING_SETUP = 425;
    static final long SYS_IO_URING_ENTER = 426;
    static final long SYS_IO_URING_REGISTER = 427;

    /** {@code IORING_REGISTER_PROBE}: fills a {@code struct io_uring_probe} with supported opcodes. */
    static final long REGISTER_PROBE = 8;

    private static final Linker.Option VARIADIC_AFTER_1 = Linker.Option.firstVariadicArg(1);

    /** {@code io_uring_setup(u32 entries, struct io_uring_params *p)}. */
    private static final MethodHandle SETUP = Native.errnoCall("syscall",
            FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, JAVA_LONG, ADDRESS), VARIADIC_AFTER_1);
    /** {@code io_uring_enter(fd, to_submit, min_complete, flags, const void *argp, size_t argsz)}. */
    private static final MethodHandle ENTER = Native.errnoCall("syscall",
            FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, ADDRESS,
                    JAVA_LONG), VARIADIC_AFTER_1);
    /** {@code io_uring_register(fd, opcode, void *arg, unsigned nr_args)}. */
    private static final MethodHandle REGISTER = Native.errnoCall("syscall",
            FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, ADDRESS, JAVA_LONG),
            VARIADIC_AFTER_1);

    private UringSyscalls() {
    }

    /**
     * {@code io_uring_setup(2)}: returns the ring fd; the kernel fills {@code params} (sizes, features,
     * ring offsets). EINTR is retried; any failure throws, naming the flags asked for.
     */
    static int setup(int entries, MemorySegment params, int flags) throws ErrnoException {
        MemorySegment st = Native.callState();
        while (true) {
            long r;
            try {
                r = (long) SETUP.invokeExact(st, SYS_IO_URING_SETUP, (long) entries, params);
            } catch (Throwable t) {
                throw Native.unexpected(t);
            }
            if (r >= 0) {
                return (int) r;
            }
            int errno = Native.errno(st);
            if (errno != Errno.EINTR) {
                throw new ErrnoException("io_uring_setup(entries " + entries + ", flags 0x"
                        + Integer.toHexString(flags) + ")", errno);
            }
        }
    }

    /**
     * {@code io_uring_enter(2)}. Returns the kernel's result (SQEs consumed) when non-negative, else
     * {@code -errno}: the caller decides which errnos are ordinary (EINTR, ETIME, EAGAIN, EBUSY) so
     * that nothing on the packet path allocates an exception for them.
     */
    static long enter(int fd, int toSubmit, int minComplete, int flags, MemorySegment arg, long argSize) {
        MemorySegment st = Native.callState();
        long r;
        try {
            r = (long) ENTER.invokeExact(st, SYS_IO_URING_ENTER, (long) fd, (long) toSubmit, (long) minComplete,
                    (long) flags, arg, argSize);
        } catch (Throwable t) {
            throw Native.unexpected(t);
        }
        return r >= 0 ? r : -Native.errno(st);
    }

    /** {@code io_uring_register(2)}; EINTR is retried, other failures throw. */
    static long register(int fd, long opcode, MemorySegment arg, int nrArgs, String what) throws ErrnoException {
        MemorySegment st = Native.callState();
        while (true) {
            long r;
            try {
                r = (long) REGISTER.invokeExact(st, SYS_IO_URING_REGISTER, (long) fd, opcode, arg, (long) nrArgs);
            } catch (Throwable t) {
                throw Native.unexpected(t);
            }
            if (r >= 0) {
                return r;
            }
            int errno = Native.errno(st);
            if (errno != Errno.EINTR) {
                throw new ErrnoException("io_uring_register(" + what + ", ring fd " + fd + ")", errno);
            }
        }
    }
}
