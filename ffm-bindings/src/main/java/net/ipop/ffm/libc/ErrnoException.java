package net.ipop.ffm.libc;

import java.io.IOException;

/**
 * A failed system call, turned into a typed exception at the edge of the bindings.
 *
 * <p>Carries the errno value, the call that failed (with enough context to act on, e.g. the
 * interface name) and the C library's {@code strerror} text. Would-block results ({@code EAGAIN})
 * are never thrown: the bindings return them as ordinary results.
 */
public final class ErrnoException extends IOException {
    private static final long serialVersionUID = 1L;

    private final int errno;
    private final String call;

    public ErrnoException(String call, int errno) {
        super(call + ": " + Errno.describe(errno) + " (errno " + errno + ", " + Errno.name(errno) + ")");
        this.errno = errno;
        this.call = call;
    }

    /** The raw errno value, e.g. {@link Errno#EBADF}. */
    public int errno() {
        return errno;
    }

    /** The call that failed, with its context, e.g. {@code ioctl(TUNSETIFF, "tun0")}. */
    public String call() {
        return call;
    }

    /** Whether this is the given errno. */
    public boolean is(int value) {
        return errno == value;
    }
}
