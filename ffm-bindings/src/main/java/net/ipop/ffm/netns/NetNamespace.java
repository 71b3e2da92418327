package net.ipop.ffm.netns;

import static java.lang.foreign.ValueLayout.JAVA_INT;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

import net.ipop.ffm.libc.ErrnoException;
import net.ipop.ffm.libc.Libc;
import net.ipop.ffm.libc.Native;

/**
 * Moves the calling thread into a network namespace with {@code setns(2)}.
 *
 * <p>Threading: a network namespace belongs to a thread, not to the process. Only the calling
 * (platform) thread moves; sockets, TUN devices and netlink sockets it opens afterwards live in the
 * new namespace. Never call this from a virtual thread or a pooled thread that others reuse.
 */
public final class NetNamespace {
    /** {@code CLONE_NEWNET} from {@code <linux/sched.h>}. */
    public static final int CLONE_NEWNET = 0x40000000;

    private static final MethodHandle SETNS = Native.errnoCall("setns",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT));

    private static final MethodHandle UNSHARE = Native.errnoCall("unshare",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT));

    private NetNamespace() {
    }

    /**
     * Moves the calling thread into a new, anonymous network namespace ({@code unshare(2)}). It
     * holds only a down loopback. The kernel destroys it, with every device in it, once the thread
     * has ended and no fd refers to it: nothing is left behind even if the process is killed.
     */
    public static void enterNew() throws ErrnoException {
        MemorySegment st = Native.callState();
        int r;
        try {
            r = (int) UNSHARE.invokeExact(st, CLONE_NEWNET);
        } catch (Throwable t) {
            throw Native.unexpected(t);
        }
        if (r < 0) {
            throw new ErrnoException("unshare(CLONE_NEWNET)", Native.errno(st));
        }
    }

    /** Enters the namespace named as by {@code ip netns add NAME} (bound under /run/netns). */
    public static void enterNamed(String name) throws ErrnoException {
        enterPath("/run/netns/" + name);
    }

    /** Enters the namespace whose handle is the file at {@code path} (e.g. /proc/PID/ns/net). */
    public static void enterPath(String path) throws ErrnoException {
        int fd;
        try (Arena arena = Arena.ofConfined()) {
            fd = Libc.open(arena.allocateFrom(path), Libc.O_RDONLY | Libc.O_CLOEXEC, 0, path);
        }
        try {
            MemorySegment st = Native.callState();
            int r;
            try {
                r = (int) SETNS.invokeExact(st, fd, CLONE_NEWNET);
            } catch (Throwable t) {
                throw Native.unexpected(t);
            }
            if (r < 0) {
                throw new ErrnoException("setns(" + path + ")", Native.errno(st));
            }
        } finally {
            Libc.close(fd);
        }
    }
}
