package net.ipop.ffm.libc;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

/**
 * Socket calls of libc, under the same contract as {@link Libc}: EINTR retried, EAGAIN returned as
 * {@link Libc#WOULD_BLOCK}, anything else an {@link ErrnoException}. Address and message structs
 * are the caller's memory, borrowed for the call.
 */
public final class Sockets {
    public static final int AF_UNSPEC = 0;
    public static final int AF_INET = 2;
    public static final int AF_INET6 = 10;
    public static final int AF_NETLINK = 16;

    public static final int SOCK_DGRAM = 2;
    public static final int SOCK_RAW = 3;
    public static final int SOCK_NONBLOCK = 0x800;
    public static final int SOCK_CLOEXEC = 0x80000;

    public static final int SOL_SOCKET = 1;
    public static final int SO_REUSEADDR = 2;
    public static final int SO_SNDBUF = 7;
    public static final int SO_RCVBUF = 8;
    public static final int SO_REUSEPORT = 15;
    public static final int SO_RCVBUFFORCE = 33;
    public static final int SO_SNDBUFFORCE = 32;

    public static final int MSG_DONTWAIT = 0x40;
    public static final int MSG_WAITFORONE = 0x10000;

    private static final MethodHandle SOCKET = Native.errnoCall("socket",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT));
    private static final MethodHandle BIND = Native.errnoCall("bind",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT));
    private static final MethodHandle CONNECT = Native.errnoCall("connect",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT));
    private static final MethodHandle SETSOCKOPT = Native.errnoCall("setsockopt",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT));
    private static final MethodHandle GETSOCKOPT = Native.errnoCall("getsockopt",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS, ADDRESS));
    private static final MethodHandle GETSOCKNAME = Native.errnoCall("getsockname",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, ADDRESS));
    private static final MethodHandle SENDTO = Native.errnoCall("sendto",
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT, ADDRESS, JAVA_INT));
    private static final MethodHandle RECVFROM = Native.errnoCall("recvfrom",
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT, ADDRESS, ADDRESS));
    private static final MethodHandle SENDMSG = Native.errnoCall("sendmsg",
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_INT));
    private static final MethodHandle RECVMSG = Native.errnoCall("recvmsg",
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_INT));
    private static final MethodHandle SENDMMSG = Native.errnoCall("sendmmsg",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT));
    private static final MethodHandle RECVMMSG = Native.errnoCall("recvmmsg",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT, ADDRESS));

    private Sockets() {
    }

    /** {@code socket(2)}. Returns the fd. */
    public static int socket(int domain, int type, int protocol) throws ErrnoException {
        MemorySegment st = Native.callState();
        int r;
        try {
            r = (int) SOCKET.invokeExact(st, domain, type, protocol);
        } catch (Throwable t) {
            throw Native.unexpected(t);
        }
        if (r < 0) {
            throw new ErrnoException("socket(domain " + domain + ", type " + type + ")", Native.errno(st));
        }
        return r;
    }

    /** {@code bind(2)}; {@code what} names the address for error messages. */
    public static void bind(int fd, MemorySegment addr, int addrLen, String what) throws ErrnoException {
        MemorySegment st = Native.callState();
        int r;
        try {
            r = (int) BIND.invokeExact(st, fd, addr, addrLen);
        } catch (Throwable t) {
            throw Native.unexpected(t);
        }
        if (r < 0) {
            throw new ErrnoException("bind(" + what + ")", Native.errno(st));
        }
    }

    /** {@code connect(2)} (for datagram sockets: fixes the peer). */
    public static void connect(int fd, MemorySegment addr, int addrLen, String what) throws ErrnoException {
        MemorySegment st = Native.callState();
        int r;
        try {
            r = (int) CONNECT.invokeExact(st, fd, addr, addrLen);
        } catch (Throwable t) {
            throw Native.unexpected(t);
        }
        if (r < 0) {
            throw new ErrnoException("connect(" + what + ")", Native.errno(st));
        }
    }

    /** {@code setsockopt(2)} with the option value in {@code value[0, len)}. */
    public static void setsockopt(int fd, int level, int name, MemorySegment value, int len, String what)
            throws ErrnoException {
        MemorySegment st = Native.callState();
        int r;
        try {
            r = (int) SETSOCKOPT.invokeExact(st, fd, level, name, value, len);
        } catch (Throwable t) {
            throw Native.unexpected(t);
        }
        if (r < 0) {
            throw new ErrnoException("setsockopt(" + what + ")", Native.errno(st));
        }
    }

    /** {@code getsockopt(2)}; {@code lenInOut} holds the buffer size in and the value size out. */
    public static void getsockopt(int fd, int level, int name, MemorySegment value, MemorySegment lenInOut,
                                  String what) throws ErrnoException {
        MemorySegment st = Native.callState();
        int r;
        try {
            r = (int) GETSOCKOPT.invokeExact(st, fd, level, name, value, lenInOut);
        } catch (Throwable t) {
            throw Native.unexpected(t);
        }
        if (r < 0) {
            throw new ErrnoException("getsockopt(" + what + ")", Native.errno(st));
        }
    }

    /** {@code getsockname(2)}; {@code lenInOut} holds the buffer size in and the address size out. */
    public static void getsockname(int fd, MemorySegment addr, MemorySegment lenInOut) throws ErrnoException {
        MemorySegment st = Native.callState();
        int r;
        try {
            r = (int) GETSOCKNAME.invokeExact(st, fd, addr, lenInOut);
        } catch (Throwable t) {
            throw Native.unexpected(t);
        }
        if (r < 0) {
            throw new ErrnoException("getsockname(fd " + fd + ")", Native.errno(st));
        }
    }

    /** {@code sendto(2)}; pass {@code MemorySegment.NULL} and 0 for a connected socket. */
    public static int sendto(int fd, MemorySegment buf, long len, int flags, MemorySegment addr, int addrLen)
            throws ErrnoException {
        MemorySegment st = Native.callState();
        while (true) {
            long r;
            try {
                r = (long) SENDTO.invokeExact(st, fd, buf, len, flags, addr, addrLen);
            } catch (Throwable t) {
                throw Native.unexpected(t);
            }
            int f = r >= 0 ? (int) r : Native.failed(st, "sendto", fd);
            if (f != Native.RETRY) {
                return f;
            }
        }
    }

    /** {@code recvfrom(2)}; {@code addr}/{@code addrLenInOut} may be {@code MemorySegment.NULL}. */
    public static int recvfrom(int fd, MemorySegment buf, long len, int flags, MemorySegment addr,
                               MemorySegment addrLenInOut) throws ErrnoException {
        MemorySegment st = Native.callState();
        while (true) {
            long r;
            try {
                r = (long) RECVFROM.invokeExact(st, fd, buf, len, flags, addr, addrLenInOut);
            } catch (Throwable t) {
                throw Native.unexpected(t);
            }
            int f = r >= 0 ? (int) r : Native.failed(st, "recvfrom", fd);
            if (f != Native.RETRY) {
                return f;
            }
        }
    }

    /** {@code sendmsg(2)} of one {@code struct msghdr}. Returns bytes sent or {@link Libc#WOULD_BLOCK}. */
    public static int sendmsg(int fd, MemorySegment msghdr, int flags) throws ErrnoException {
        MemorySegment st = Native.callState();
        while (true) {
            long r;
            try {
                r = (long) SENDMSG.invokeExact(st, fd, msghdr, flags);
            } catch (Throwable t) {
                throw Native.unexpected(t);
            }
            int f = r >= 0 ? (int) r : Native.failed(st, "sendmsg", fd);
            if (f != Native.RETRY) {
                return f;
            }
        }
    }

    /** {@code recvmsg(2)} into one {@code struct msghdr}. Returns bytes or {@link Libc#WOULD_BLOCK}. */
    public static int recvmsg(int fd, MemorySegment msghdr, int flags) throws ErrnoException {
        MemorySegment st = Native.callState();
        while (true) {
            long r;
            try {
                r = (long) RECVMSG.invokeExact(st, fd, msghdr, flags);
            } catch (Throwable t) {
                throw Native.unexpected(t);
            }
            int f = r >= 0 ? (int) r : Native.failed(st, "recvmsg", fd);
            if (f != Native.RETRY) {
                return f;
            }
        }
    }

    /**
     * {@code sendmmsg(2)} of {@code vlen} {@code struct mmsghdr}s. Returns how many were sent (the
     * kernel stops at the first failing one and reports only its error if none was sent), or
     * {@link Libc#WOULD_BLOCK}.
     */
    public static int sendmmsg(int fd, MemorySegment msgvec, int vlen, int flags) throws ErrnoException {
        MemorySegment st = Native.callState();
        while (true) {
            int r;
            try {
                r = (int) SENDMMSG.invokeExact(st, fd, msgvec, vlen, flags);
            } catch (Throwable t) {
                throw Native.unexpected(t);
            }
            int f = r >= 0 ? r : Native.failed(st, "sendmmsg", fd);
            if (f != Native.RETRY) {
                return f;
            }
        }
    }

    /**
     * {@code recvmmsg(2)} into {@code vlen} {@code struct mmsghdr}s with no timeout. Returns how
     * many arrived, or {@link Libc#WOULD_BLOCK}.
     */
    public static int recvmmsg(int fd, MemorySegment msgvec, int vlen, int flags) throws ErrnoException {
        MemorySegment st = Native.callState();
        while (true) {
            int r;
            try {
                r = (int) RECVMMSG.invokeExact(st, fd, msgvec, vlen, flags, MemorySegment.NULL);
            } catch (Throwable t) {
                throw Native.unexpected(t);
            }
            int f = r >= 0 ? r : Native.failed(st, "recvmmsg", fd);
            if (f != Native.RETRY) {
                return f;
            }
        }
    }
}
