package net.ipop.ffm.libc;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

/**
 * The libc calls the data plane needs, bound once, each returning its C result or throwing a typed
 * {@link ErrnoException}.
 *
 * <p>Contract shared by every method: {@code EINTR} is retried; {@code EAGAIN} is a normal result
 * and returns {@link #WOULD_BLOCK}; any other failure throws {@link ErrnoException} naming the call.
 * Memory arguments are borrowed for the duration of the call only. Nothing here allocates on the
 * success path.
 */
public final class Libc {
    /** Returned instead of a count when a non-blocking call would block ({@code EAGAIN}). */
    public static final int WOULD_BLOCK = -1;

    public static final int O_RDONLY = 0;
    public static final int O_WRONLY = 1;
    public static final int O_RDWR = 2;
    public static final int O_NONBLOCK = 0x800;
    public static final int O_CLOEXEC = 0x80000;

    public static final int F_GETFL = 3;
    public static final int F_SETFL = 4;

    public static final short POLLIN = 0x1;
    public static final short POLLOUT = 0x4;
    public static final short POLLERR = 0x8;

    public static final int PROT_READ = 0x1;
    public static final int PROT_WRITE = 0x2;
    public static final int MAP_SHARED = 0x1;
    public static final int MAP_POPULATE = 0x8000;

    private static final Linker.Option VARIADIC_AFTER_2 = Linker.Option.firstVariadicArg(2);

    private static final MethodHandle OPEN = Native.errnoCall("open",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT), VARIADIC_AFTER_2);
    private static final MethodHandle CLOSE = Native.errnoCall("close",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT));
    private static final MethodHandle READ = Native.errnoCall("read",
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG));
    private static final MethodHandle WRITE = Native.errnoCall("write",
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG));
    private static final MethodHandle READV = Native.errnoCall("readv",
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_INT));
    private static final MethodHandle WRITEV = Native.errnoCall("writev",
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_INT));
    private static final MethodHandle IOCTL_PTR = Native.errnoCall("ioctl",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, ADDRESS), VARIADIC_AFTER_2);
    private static final MethodHandle IOCTL_LONG = Native.errnoCall("ioctl",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_LONG), VARIADIC_AFTER_2);
    private static final MethodHandle FCNTL = Native.errnoCall("fcntl",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT), VARIADIC_AFTER_2);
    private static final MethodHandle POLL = Native.errnoCall("poll",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT));
    private static final MethodHandle MMAP = Native.errnoCall("mmap",
            FunctionDescriptor.of(ADDRESS, ADDRESS, JAVA_LONG, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_LONG));
    private static final MethodHandle MUNMAP = Native.errnoCall("munmap",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG));

    private Libc() {
    }

    /** {@code open(2)}; {@code path} is a NUL-terminated C string. Returns the fd. */
    public static int open(MemorySegment path, int flags, int mode, String what) throws ErrnoException {
        MemorySegment st = Native.callState();
        while (true) {
            int r;
            try {
                r = (int) OPEN.invokeExact(st, path, flags, mode);
            } catch (Throwable t) {
                throw Native.unexpected(t);
            }
            if (r >= 0) {
                return r;
            }
            int errno = Native.errno(st);
            if (errno != Errno.EINTR) {
                throw new ErrnoException("open(" + what + ")", errno);
            }
        }
    }

    /** {@code close(2)}. Not retried on EINTR: on Linux the fd is released either way. */
    public static void close(int fd) throws ErrnoException {
        MemorySegment st = Native.callState();
        int r;
        try {
            r = (int) CLOSE.invokeExact(st, fd);
        } catch (Throwable t) {
            throw Native.unexpected(t);
        }
        if (r < 0 && Native.errno(st) != Errno.EINTR) {
            throw new ErrnoException("close(fd " + fd + ")", Native.errno(st));
        }
    }

    /** {@code read(2)} into {@code buf[0, len)}. Returns bytes read, or {@link #WOULD_BLOCK}. */
    public static int read(int fd, MemorySegment buf, long len) throws ErrnoException {
        MemorySegment st = Native.callState();
        while (true) {
            long r;
            try {
                r = (long) READ.invokeExact(st, fd, buf, len);
            } catch (Throwable t) {
                throw Native.unexpected(t);
            }
            int f = r >= 0 ? (int) r : Native.failed(st, "read", fd);
            if (f != Native.RETRY) {
                return f;
            }
        }
    }

    /** {@code write(2)} of {@code buf[0, len)}. Returns bytes written, or {@link #WOULD_BLOCK}. */
    public static int write(int fd, MemorySegment buf, long len) throws ErrnoException {
        MemorySegment st = Native.callState();
        while (true) {
            long r;
            try {
                r = (long) WRITE.invokeExact(st, fd, buf, len);
            } catch (Throwable t) {
                throw Native.unexpected(t);
            }
            int f = r >= 0 ? (int) r : Native.failed(st, "write", fd);
            if (f != Native.RETRY) {
                return f;
            }
        }
    }

    /** {@code readv(2)} with {@code iovcnt} {@code struct iovec}s at {@code iov}. */
    public static int readv(int fd, MemorySegment iov, int iovcnt) throws ErrnoException {
        MemorySegment st = Native.callState();
        while (true) {
            long r;
            try {
                r = (long) READV.invokeExact(st, fd, iov, iovcnt);
            } catch (Throwable t) {
                throw Native.unexpected(t);
            }
            int f = r >= 0 ? (int) r : Native.failed(st, "readv", fd);
            if (f != Native.RETRY) {
                return f;
            }
        }
    }

    /** {@code writev(2)} with {@code iovcnt} {@code struct iovec}s at {@code iov}. */
    public static int writev(int fd, MemorySegment iov, int iovcnt) throws ErrnoException {
        MemorySegment st = Native.callState();
        while (true) {
            long r;
            try {
                r = (long) WRITEV.invokeExact(st, fd, iov, iovcnt);
            } catch (Throwable t) {
                throw Native.unexpected(t);
            }
            int f = r >= 0 ? (int) r : Native.failed(st, "writev", fd);
            if (f != Native.RETRY) {
                return f;
            }
        }
    }

    /** {@code ioctl(2)} whose argument is a pointer. {@code what} names the request for errors. */
    public static int ioctl(int fd, long request, MemorySegment arg, String what) throws ErrnoException {
        MemorySegment st = Native.callState();
        int r;
        try {
            r = (int) IOCTL_PTR.invokeExact(st, fd, request, arg);
        } catch (Throwable t) {
            throw Native.unexpected(t);
        }
        if (r < 0) {
            throw new ErrnoException("ioctl(" + what + ")", Native.errno(st));
        }
        return r;
    }

    /** {@code ioctl(2)} whose argument is a plain integer (e.g. TUNSETOFFLOAD's flag value). */
    public static int ioctl(int fd, long request, long arg, String what) throws ErrnoException {
        MemorySegment st = Native.callState();
        int r;
        try {
            r = (int) IOCTL_LONG.invokeExact(st, fd, request, arg);
        } catch (Throwable t) {
            throw Native.unexpected(t);
        }
        if (r < 0) {
            throw new ErrnoException("ioctl(" + what + ")", Native.errno(st));
        }
        return r;
    }

    /** {@code fcntl(2)} with an int argument. */
    public static int fcntl(int fd, int cmd, int arg) throws ErrnoException {
        MemorySegment st = Native.callState();
        int r;
        try {
            r = (int) FCNTL.invokeExact(st, fd, cmd, arg);
        } catch (Throwable t) {
            throw Native.unexpected(t);
        }
        if (r < 0) {
            throw new ErrnoException("fcntl(fd " + fd + ", cmd " + cmd + ")", Native.errno(st));
        }
        return r;
    }

    /** Sets or clears {@code O_NONBLOCK} on {@code fd}. */
    public static void setNonBlocking(int fd, boolean nonBlocking) throws ErrnoException {
        int flags = fcntl(fd, F_GETFL, 0);
        int wanted = nonBlocking ? flags | O_NONBLOCK : flags & ~O_NONBLOCK;
        if (wanted != flags) {
            fcntl(fd, F_SETFL, wanted);
        }
    }

    /**
     * {@code poll(2)} over {@code nfds} {@code struct pollfd}s (8 bytes each: fd, events, revents).
     * Returns the number of ready fds, 0 on timeout; an EINTR counts as a timeout so callers re-check.
     */
    public static int poll(MemorySegment fds, int nfds, int timeoutMs) throws ErrnoException {
        MemorySegment st = Native.callState();
        int r;
        try {
            r = (int) POLL.invokeExact(st, fds, (long) nfds, timeoutMs);
        } catch (Throwable t) {
            throw Native.unexpected(t);
        }
        if (r < 0) {
            int errno = Native.errno(st);
            if (errno == Errno.EINTR) {
                return 0;
            }
            throw new ErrnoException("poll", errno);
        }
        return r;
    }

    /**
     * {@code mmap(2)} of a shared mapping of {@code fd} at {@code offset}. Returns a segment of
     * {@code length} bytes; the caller owns it and must {@link #munmap} it (an Arena cannot).
     */
    @SuppressWarnings("restricted")
    public static MemorySegment mmap(long length, int prot, int flags, int fd, long offset, String what)
            throws ErrnoException {
        MemorySegment st = Native.callState();
        MemorySegment r;
        try {
            r = (MemorySegment) MMAP.invokeExact(st, MemorySegment.NULL, length, prot, flags, fd, offset);
        } catch (Throwable t) {
            throw Native.unexpected(t);
        }
        if (r.address() == -1L) {
            throw new ErrnoException("mmap(" + what + ")", Native.errno(st));
        }
        return r.reinterpret(length);
    }

    /** {@code munmap(2)} of a segment returned by {@link #mmap}. */
    public static void munmap(MemorySegment mapping) throws ErrnoException {
        MemorySegment st = Native.callState();
        int r;
        try {
            r = (int) MUNMAP.invokeExact(st, mapping, mapping.byteSize());
        } catch (Throwable t) {
            throw Native.unexpected(t);
        }
        if (r < 0) {
            throw new ErrnoException("munmap", Native.errno(st));
        }
    }
}
