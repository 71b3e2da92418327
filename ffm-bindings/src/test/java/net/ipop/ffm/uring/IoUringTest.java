package net.ipop.ffm.uring;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.BitSet;
import java.util.concurrent.TimeUnit;

import net.ipop.ffm.libc.Errno;
import net.ipop.ffm.libc.ErrnoException;
import net.ipop.ffm.libc.Libc;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(value = 60, unit = TimeUnit.SECONDS)
class IoUringTest {
    private static final long SECOND = 1_000_000_000L;

    /** Drains until {@code want} completions arrived or 5 s passed; returns how many. */
    private static int await(IoUring ring, long[] ud, int[] res, int[] flags, int want) throws Exception {
        long deadline = System.nanoTime() + 5 * SECOND;
        int got = 0;
        while (got < want && System.nanoTime() < deadline) {
            ring.submitAndWait(1, SECOND);
            long[] u = new long[want];
            int[] r = new int[want];
            int[] f = new int[want];
            int n = ring.drain(u, r, f, want - got);
            System.arraycopy(u, 0, ud, got, n);
            System.arraycopy(r, 0, res, got, n);
            System.arraycopy(f, 0, flags, got, n);
            got += n;
        }
        return got;
    }

    @Test
    void sixtyFourNopsGoInOneEnterAndComeBackWithTheirUserData() throws Exception {
        try (IoUring ring = IoUring.open(64)) {
            assertEquals(64, ring.sqEntries());
            for (int i = 0; i < 64; i++) {
                assertTrue(ring.prepNop(1_000_000L + i * 7L));
            }
            assertEquals(0, ring.enterCalls());
            assertEquals(64, ring.submitAndWait(64));
            assertEquals(1, ring.enterCalls(), "one io_uring_enter for the whole batch");
            BitSet seen = new BitSet();
            int n = ring.drain((userData, res, flags) -> {
                assertEquals(0, res);
                long i = (userData - 1_000_000L) / 7;
                assertEquals(1_000_000L + i * 7L, userData);
                assertFalse(seen.get((int) i), "duplicate user_data " + userData);
                seen.set((int) i);
            }, 1000);
            assertEquals(64, n);
            assertEquals(64, seen.cardinality());
            assertEquals(0, ring.cqReady());
            assertEquals(0, ring.drain((u, r, f) -> { }, 10));
        }
    }

    @Test
    void readWaitsOnAnEmptyPipeAndCompletesWhenAWriteInTheSameBatchFillsIt() throws Exception {
        int[] pipe = TestIo.pipe();
        try (IoUring ring = IoUring.open(8); Arena arena = Arena.ofConfined()) {
            byte[] text = "hello through the ring".getBytes(StandardCharsets.US_ASCII);
            MemorySegment out = arena.allocate(text.length);
            out.copyFrom(MemorySegment.ofArray(text));
            MemorySegment in = arena.allocate(256);
            // The read goes first, finds the pipe empty and must wait for the write (stream fd: offset -1).
            assertTrue(ring.prepRead(pipe[0], in, 256, -1, 1));
            assertTrue(ring.prepWrite(pipe[1], out, text.length, -1, 2));
            assertEquals(2, ring.submit());
            long[] ud = new long[2];
            int[] res = new int[2];
            int[] flags = new int[2];
            assertEquals(2, await(ring, ud, res, flags, 2));
            for (int i = 0; i < 2; i++) {
                assertTrue(ud[i] == 1 || ud[i] == 2);
                assertEquals(text.length, res[i], "res of user_data " + ud[i]);
            }
            assertArrayEquals(text, in.asSlice(0, text.length).toArray(ValueLayout.JAVA_BYTE));
        } finally {
            Libc.close(pipe[0]);
            Libc.close(pipe[1]);
        }
    }

    @Test
    void readAtAFileOffsetAndReadOfDevZero(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("data");
        Files.writeString(file, "0123456789abcdef");
        try (IoUring ring = IoUring.open(4); Arena arena = Arena.ofConfined()) {
            int fd = Libc.open(arena.allocateFrom(file.toString()), Libc.O_RDONLY | Libc.O_CLOEXEC, 0, file.toString());
            int zero = Libc.open(arena.allocateFrom("/dev/zero"), Libc.O_RDONLY | Libc.O_CLOEXEC, 0, "/dev/zero");
            try {
                MemorySegment buf = arena.allocate(6);
                MemorySegment zeros = arena.allocate(4096);
                zeros.fill((byte) 0x5a);
                assertTrue(ring.prepRead(fd, buf, 6, 10, 10));
                assertTrue(ring.prepRead(zero, zeros, 4096, -1, 11));
                assertEquals(2, ring.submitAndWait(2));
                long[] ud = new long[2];
                int[] res = new int[2];
                int[] flags = new int[2];
                assertEquals(2, ring.drain(ud, res, flags, 2));
                for (int i = 0; i < 2; i++) {
                    assertEquals(ud[i] == 10 ? 6 : 4096, res[i]);
                }
                assertEquals("abcdef", new String(buf.toArray(ValueLayout.JAVA_BYTE), StandardCharsets.US_ASCII));
                for (long i = 0; i < 4096; i++) {
                    assertEquals(0, zeros.get(ValueLayout.JAVA_BYTE, i));
                }
            } finally {
                Libc.close(fd);
                Libc.close(zero);
            }
        }
    }

    @Test
    void writevGathersAndReadvScatters() throws Exception {
        int[] pipe = TestIo.pipe();
        try (IoUring ring = IoUring.open(4); Arena arena = Arena.ofConfined()) {
            String[] parts = {"head-", "middle-", "tail"};
            MemorySegment wiov = arena.allocate(3 * TestIo.IOVEC_SIZE, 8);
            for (int i = 0; i < 3; i++) {
                TestIo.iovec(wiov, i, arena.allocateFrom(parts[i]), parts[i].length());
            }
            assertTrue(ring.prepWritev(pipe[1], wiov, 3, -1, 20));
            assertEquals(1, ring.submitAndWait(1));
            long[] ud = new long[1];
            int[] res = new int[1];
            int[] flags = new int[1];
            assertEquals(1, ring.drain(ud, res, flags, 1));
            assertEquals(20, ud[0]);
            assertEquals(16, res[0]);

            MemorySegment a = arena.allocate(4);
            MemorySegment b = arena.allocate(64);
            MemorySegment riov = arena.allocate(2 * TestIo.IOVEC_SIZE, 8);
            TestIo.iovec(riov, 0, a, 4);
            TestIo.iovec(riov, 1, b, 64);
            assertTrue(ring.prepReadv(pipe[0], riov, 2, -1, 21));
            assertEquals(1, ring.submitAndWait(1));
            assertEquals(1, ring.drain(ud, res, flags, 1));
            assertEquals(21, ud[0]);
            assertEquals(16, res[0]);
            assertEquals("head", new String(a.toArray(ValueLayout.JAVA_BYTE), StandardCharsets.US_ASCII));
            assertEquals("-middle-tail", b.getString(0));
        } finally {
            Libc.close(pipe[0]);
            Libc.close(pipe[1]);
        }
    }

    @Test
    void errorsArriveAsNegativeErrnoInTheCompletion() throws Exception {
        try (IoUring ring = IoUring.open(2); Arena arena = Arena.ofConfined()) {
            MemorySegment buf = arena.allocate(16);
            assertTrue(ring.prepRead(987_654, buf, 16, -1, 5));
            assertEquals(1, ring.submitAndWait(1));
            int[] res = new int[1];
            assertEquals(1, ring.drain(new long[1], res, new int[1], 1));
            assertEquals(-Errno.EBADF, res[0]);
        }
    }

    @Test
    void fullSubmissionRingRefusesMoreAndKeepsUnconsumedEntries() throws Exception {
        try (IoUring ring = IoUring.open(8)) {
            assertEquals(8, ring.sqEntries());
            for (int i = 0; i < 8; i++) {
                assertTrue(ring.prepNop(i));
            }
            assertFalse(ring.prepNop(99), "ring full: the 9th prep must not overwrite slot 0");
            assertNull(ring.nextSqe());
            assertEquals(8, ring.sqPending());
            assertEquals(8, ring.submit());
            assertEquals(0, ring.sqPending());
            long[] ud = new long[16];
            int[] res = new int[16];
            int[] flags = new int[16];
            assertEquals(8, ring.drain(ud, res, flags, 16));
            for (int i = 0; i < 8; i++) {
                assertEquals(i, ud[i], "slot " + i + " kept its entry");
            }
            // Space is back once the kernel consumed the entries.
            assertNotNull(ring.nextSqe());
            assertEquals(1, ring.submit());
            assertEquals(1, ring.drain(ud, res, flags, 16));
            assertEquals(0, ud[0], "a claimed but unfilled SQE is a NOP with user data 0");
        }
    }

    @Test
    void completionsBeyondTheCqRingOverflowAndAreStillAllDelivered() throws Exception {
        try (IoUring ring = IoUring.open(8)) {
            assertTrue((ring.features() & IoUring.FEAT_NODROP) != 0, "kernel keeps overflowed CQEs");
            int cq = ring.cqEntries();
            int total = cq + 3 * 8;
            int next = 0;
            while (next < total) {
                int batch = 0;
                while (batch < 8 && next < total && ring.prepNop(5000 + next)) {
                    next++;
                    batch++;
                }
                assertEquals(batch, ring.submit());
            }
            assertEquals(cq, ring.cqReady(), "the CQ ring is full, the rest wait in the overflow list");
            BitSet seen = new BitSet();
            int n = ring.drain((userData, res, flags) -> seen.set((int) (userData - 5000)), 10 * total);
            assertEquals(total, n);
            assertEquals(total, seen.cardinality());
            assertEquals(0, ring.cqDropped());
        }
    }

    @Test
    void waitWithTimeoutReturnsEmptyAfterAboutTheTimeoutThenCompletesWhenDataArrives() throws Exception {
        int[] pipe = TestIo.pipe();
        try (IoUring ring = IoUring.open(4); Arena arena = Arena.ofConfined()) {
            MemorySegment in = arena.allocate(64);
            assertTrue(ring.prepRead(pipe[0], in, 64, -1, 77));
            long t0 = System.nanoTime();
            assertEquals(1, ring.submitAndWait(1, 200_000_000L));
            // The read was submitted; nothing can complete, so the wait must end by the timeout.
            int again = ring.submitAndWait(1, 200_000_000L);
            long waitedMs = (System.nanoTime() - t0) / 1_000_000;
            assertEquals(0, again);
            assertEquals(0, ring.cqReady());
            assertTrue(waitedMs >= 300 && waitedMs < 5000, "two 200 ms waits took " + waitedMs + " ms");

            MemorySegment out = arena.allocateFrom("ping");
            assertEquals(4, Libc.write(pipe[1], out, 4));
            long t1 = System.nanoTime();
            ring.submitAndWait(1, 5 * SECOND);
            assertTrue(System.nanoTime() - t1 < 4 * SECOND, "data should end the wait early");
            long[] ud = new long[1];
            int[] res = new int[1];
            assertEquals(1, ring.drain(ud, res, new int[1], 1));
            assertEquals(77, ud[0]);
            assertEquals(4, res[0]);
        } finally {
            Libc.close(pipe[0]);
            Libc.close(pipe[1]);
        }
    }

    @Test
    void setupFlagsAreGrantedOrFallBackToPlainSetup() throws Exception {
        int wanted = IoUring.SETUP_SINGLE_ISSUER | IoUring.SETUP_DEFER_TASKRUN;
        try (IoUring ring = IoUring.open(8, 0, wanted)) {
            assertEquals(wanted, ring.setupFlags());
            assertTrue(ring.prepNop(1));
            assertEquals(1, ring.submitAndWait(1));
            assertEquals(1, ring.drain((u, r, f) -> assertEquals(1, u), 4));
        }
        // DEFER_TASKRUN without SINGLE_ISSUER is refused by the kernel (EINVAL): plain setup instead.
        try (IoUring ring = IoUring.open(8, 0, IoUring.SETUP_DEFER_TASKRUN)) {
            assertEquals(0, ring.setupFlags());
            assertTrue(ring.prepNop(2));
            assertEquals(1, ring.submitAndWait(1));
            assertEquals(1, ring.drain((u, r, f) -> assertEquals(2, u), 4));
        }
        try (IoUring ring = IoUring.open(8, 64, IoUring.SETUP_COOP_TASKRUN)) {
            assertEquals(64, ring.cqEntries());
            assertEquals(IoUring.SETUP_COOP_TASKRUN | IoUring.SETUP_CQSIZE, ring.setupFlags());
        }
        assertThrows(IllegalArgumentException.class, () -> IoUring.open(8, 0, 1 << 1), "SQPOLL is not offered");
        assertThrows(IllegalArgumentException.class, () -> IoUring.open(0));
        assertThrows(IllegalArgumentException.class, () -> IoUring.open(IoUring.MAX_ENTRIES + 1));
    }

    @Test
    void singleIssuerRingRefusesSubmissionsFromAnotherThread() throws Exception {
        try (IoUring ring = IoUring.open(4, 0, IoUring.SETUP_SINGLE_ISSUER)) {
            assertEquals(IoUring.SETUP_SINGLE_ISSUER, ring.setupFlags());
            assertTrue(ring.prepNop(3));
            ErrnoException[] failure = new ErrnoException[1];
            Thread other = Thread.ofPlatform().start(() -> {
                try {
                    ring.submit();
                } catch (ErrnoException e) {
                    failure[0] = e;
                }
            });
            other.join();
            assertNotNull(failure[0], "the kernel must refuse a second issuer");
            assertEquals(Errno.EEXIST, failure[0].errno());
            assertTrue(failure[0].getMessage().startsWith("io_uring_enter(ring fd " + ring.fd()), failure[0].getMessage());
            // The owner thread still submits the same, still-queued entry.
            assertEquals(1, ring.submitAndWait(1));
            assertEquals(1, ring.drain((u, r, f) -> assertEquals(3, u), 4));
        }
    }

    @Test
    void probeReportsTheOpcodesThisClassIssues() throws Exception {
        try (IoUring ring = IoUring.open(2)) {
            for (int op : new int[] {Sqe.OP_NOP, Sqe.OP_READ, Sqe.OP_WRITE, Sqe.OP_READV, Sqe.OP_WRITEV,
                    Sqe.OP_RECVMSG, Sqe.OP_SENDMSG, Sqe.OP_POLL_ADD}) {
                assertTrue(ring.supports(op), "opcode " + op);
            }
            assertFalse(ring.supports(255));
            assertFalse(ring.supports(-1));
        }
    }

    @Test
    void heapMemoryAndTooShortSegmentsAreRefused() throws Exception {
        try (IoUring ring = IoUring.open(2); Arena arena = Arena.ofConfined()) {
            assertThrows(IllegalArgumentException.class,
                    () -> ring.prepRead(0, MemorySegment.ofArray(new byte[8]), 8, -1, 0));
            MemorySegment small = arena.allocate(8);
            assertThrows(IllegalArgumentException.class, () -> ring.prepRead(0, small, 9, -1, 0));
            assertThrows(IllegalArgumentException.class, () -> ring.prepWrite(0, small, -1, -1, 0));
            MemorySegment oneIovec = arena.allocate(TestIo.IOVEC_SIZE, 8);
            assertThrows(IllegalArgumentException.class, () -> ring.prepReadv(0, oneIovec, 2, -1, 0));
            assertThrows(IllegalArgumentException.class, () -> ring.prepRecvmsg(0, small, 0, 0));
            assertEquals(0, ring.sqPending(), "a refused prep claims no slot");
        }
    }

    @Test
    void closeReleasesFdAndMappingsAndFencesLaterUse() throws Exception {
        // Warm up once so lazily opened JDK/JUnit fds do not count against the ring.
        IoUring.open(4).close();
        long fdsBefore = TestIo.openFds();
        long mapsBefore = TestIo.uringMappings();
        IoUring[] rings = new IoUring[5];
        for (int i = 0; i < rings.length; i++) {
            rings[i] = IoUring.open(256);
        }
        assertEquals(fdsBefore + 5, TestIo.openFds());
        assertTrue(TestIo.uringMappings() >= mapsBefore + 5, "each ring maps its rings and SQEs");
        for (IoUring r : rings) {
            r.close();
        }
        assertEquals(fdsBefore, TestIo.openFds(), "no fd leak");
        assertEquals(mapsBefore, TestIo.uringMappings(), "no mapping left behind");
        rings[0].close();
        assertThrows(IllegalStateException.class, () -> rings[0].prepNop(1));
        assertThrows(IllegalStateException.class, () -> rings[0].submit());
    }
}
