package net.ipop.ffm.libc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import org.junit.jupiter.api.Test;

class LibcTest {
    @Test
    void closedFdGivesTypedErrnoWithCallAndText() {
        ErrnoException e = assertThrows(ErrnoException.class, () -> Libc.close(987_654));
        assertEquals(Errno.EBADF, e.errno());
        assertTrue(e.getMessage().contains("close(fd 987654)"), e.getMessage());
        assertTrue(e.getMessage().contains("Bad file descriptor"), e.getMessage());
        assertTrue(e.getMessage().contains("EBADF"), e.getMessage());
    }

    @Test
    void missingPathNamesThePath() {
        try (Arena arena = Arena.ofConfined()) {
            ErrnoException e = assertThrows(ErrnoException.class,
                    () -> Libc.open(arena.allocateFrom("/nonexistent/ipop"), Libc.O_RDONLY, 0, "/nonexistent/ipop"));
            assertEquals(Errno.ENOENT, e.errno());
            assertTrue(e.getMessage().startsWith("open(/nonexistent/ipop)"), e.getMessage());
        }
    }

    @Test
    void emptyNonBlockingReadIsWouldBlockNotException() throws Exception {
        // A UDP socket with nothing queued: read returns EAGAIN, which must come back as a value.
        int fd = Sockets.socket(Sockets.AF_INET, Sockets.SOCK_DGRAM | Sockets.SOCK_NONBLOCK, 0);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buf = arena.allocate(64);
            assertEquals(Libc.WOULD_BLOCK, Libc.read(fd, buf, buf.byteSize()));
        } finally {
            Libc.close(fd);
        }
    }

    @Test
    void pipeRoundTripThroughReadAndWrite() throws Exception {
        try (Arena arena = Arena.ofConfined()) {
            // /dev/zero reads as zeros and /dev/null swallows writes: exercises read/write with real fds.
            int zero = Libc.open(arena.allocateFrom("/dev/zero"), Libc.O_RDONLY | Libc.O_CLOEXEC, 0, "/dev/zero");
            int sink = Libc.open(arena.allocateFrom("/dev/null"), Libc.O_WRONLY | Libc.O_CLOEXEC, 0, "/dev/null");
            try {
                MemorySegment buf = arena.allocate(4096);
                buf.fill((byte) 7);
                assertEquals(4096, Libc.read(zero, buf, 4096));
                assertEquals(0, buf.get(java.lang.foreign.ValueLayout.JAVA_BYTE, 100));
                assertEquals(4096, Libc.write(sink, buf, 4096));
                Libc.setNonBlocking(zero, true);
                assertTrue((Libc.fcntl(zero, Libc.F_GETFL, 0) & Libc.O_NONBLOCK) != 0);
            } finally {
                Libc.close(zero);
                Libc.close(sink);
            }
        }
    }
}
