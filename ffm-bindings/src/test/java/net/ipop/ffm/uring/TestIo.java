package net.ipop.ffm.uring;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

import net.ipop.ffm.libc.ErrnoException;
import net.ipop.ffm.libc.Libc;
import net.ipop.ffm.libc.Native;
import net.ipop.ffm.libc.Sockets;

/** Kernel objects and C structs the io_uring tests feed the ring with. */
final class TestIo {
    // struct sockaddr_in (16 B): u16 family (host order), be16 port, be32 addr, 8 B zero. <netinet/in.h>
    static final int SOCKADDR_IN_SIZE = 16;
    // struct msghdr (56 B on LP64): name@0, namelen@8, iov@16, iovlen@24, control@32, controllen@40, flags@48.
    static final int MSGHDR_SIZE = 56;
    static final long MSG_NAMELEN_OFFSET = 8;
    static final long MSG_IOV_OFFSET = 16;
    static final long MSG_IOVLEN_OFFSET = 24;
    // struct iovec (16 B): base@0, len@8.
    static final int IOVEC_SIZE = 16;

    private static final ValueLayout.OfShort BE16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    private static final MethodHandle PIPE2 = Native.errnoCall("pipe2",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT));

    private TestIo() {
    }

    /** {@code pipe2(O_CLOEXEC)}: {read fd, write fd}. */
    static int[] pipe() throws ErrnoException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment fds = arena.allocate(8, 4);
            MemorySegment st = Native.callState();
            int r;
            try {
                r = (int) PIPE2.invokeExact(st, fds, Libc.O_CLOEXEC);
            } catch (Throwable t) {
                throw Native.unexpected(t);
            }
            if (r < 0) {
                throw new ErrnoException("pipe2", Native.errno(st));
            }
            return new int[] {fds.get(JAVA_INT, 0), fds.get(JAVA_INT, 4)};
        }
    }

    /** A UDP socket bound to 127.0.0.1 on a kernel-chosen port; returns {fd, port}. Call inside the namespace. */
    static int[] udpOnLoopback() throws ErrnoException {
        int fd = Sockets.socket(Sockets.AF_INET, Sockets.SOCK_DGRAM | Sockets.SOCK_CLOEXEC, 0);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment addr = arena.allocate(SOCKADDR_IN_SIZE, 4);
            loopback(addr, 0);
            Sockets.bind(fd, addr, SOCKADDR_IN_SIZE, "127.0.0.1:0");
            MemorySegment len = arena.allocate(JAVA_INT);
            len.set(JAVA_INT, 0, SOCKADDR_IN_SIZE);
            Sockets.getsockname(fd, addr, len);
            return new int[] {fd, port(addr)};
        } catch (ErrnoException | RuntimeException e) {
            Libc.close(fd);
            throw e;
        }
    }

    /** Writes sockaddr_in 127.0.0.1:{@code port} into {@code addr}. */
    static void loopback(MemorySegment addr, int port) {
        addr.fill((byte) 0);
        addr.set(ValueLayout.JAVA_SHORT, 0, (short) Sockets.AF_INET);
        addr.set(BE16, 2, (short) port);
        addr.set(ValueLayout.JAVA_BYTE, 4, (byte) 127);
        addr.set(ValueLayout.JAVA_BYTE, 7, (byte) 1);
    }

    static int port(MemorySegment sockaddrIn) {
        return Short.toUnsignedInt(sockaddrIn.get(BE16, 2));
    }

    /** Writes one iovec at index {@code i} of {@code iov}. */
    static void iovec(MemorySegment iov, int i, MemorySegment buf, long len) {
        iov.set(ValueLayout.JAVA_LONG, (long) i * IOVEC_SIZE, buf.address());
        iov.set(ValueLayout.JAVA_LONG, (long) i * IOVEC_SIZE + 8, len);
    }

    /** A msghdr with one iovec over {@code buf} and {@code name} as address (may be NULL). */
    static MemorySegment msghdr(Arena arena, MemorySegment name, MemorySegment buf, long len) {
        MemorySegment iov = arena.allocate(IOVEC_SIZE, 8);
        iovec(iov, 0, buf, len);
        MemorySegment msg = arena.allocate(MSGHDR_SIZE, 8);
        msg.set(ValueLayout.JAVA_LONG, 0, name.address());
        msg.set(ValueLayout.JAVA_INT, MSG_NAMELEN_OFFSET, name.equals(MemorySegment.NULL) ? 0 : (int) name.byteSize());
        msg.set(ValueLayout.JAVA_LONG, MSG_IOV_OFFSET, iov.address());
        msg.set(ValueLayout.JAVA_LONG, MSG_IOVLEN_OFFSET, 1L);
        return msg;
    }

    /** Open fds of this process, from /proc/self/fd. */
    static long openFds() throws IOException {
        try (Stream<Path> s = Files.list(Path.of("/proc/self/fd"))) {
            return s.count();
        }
    }

    /** Mappings of io_uring rings in this process, from /proc/self/maps. */
    static long uringMappings() throws IOException {
        try (Stream<String> lines = Files.lines(Path.of("/proc/self/maps"))) {
            return lines.filter(l -> l.contains("io_uring")).count();
        }
    }
}
