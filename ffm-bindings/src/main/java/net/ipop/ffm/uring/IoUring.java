package net.ipop.ffm.uring;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;

import net.ipop.ffm.libc.Errno;
import net.ipop.ffm.libc.ErrnoException;
import net.ipop.ffm.libc.Libc;

/**
 * One io_uring instance built from the raw system calls and the kernel's mmap'd rings (no liburing).
 *
 * <p>Use: {@code prep*} (or {@link #nextSqe()}) writes operations into the submission ring, one
 * {@link #submit()} or {@link #submitAndWait} publishes all of them with a single
 * {@code io_uring_enter}, and {@link #drain} hands completed ones to a {@link CompletionHandler}
 * (or caller arrays) by the caller's {@code userData}. Nothing on that cycle allocates.
 *
 * <p>Results: a CQE's {@code res} is the operation's return value; negative values are
 * {@code -errno} of that operation (see {@link CompletionHandler#onComplete}). They are never thrown:
 * only a failure of {@code io_uring_enter} itself (a broken ring) throws {@link ErrnoException}.
 *
 * <p>Buffer ownership: every memory argument of a {@code prep*} (buffers, iovec arrays, msghdrs
 * with their names and iovecs) is lent to the kernel from the prep until its CQE has been drained.
 * It must be native memory that stays alive and untouched for that long.
 *
 * <p>Threading: not thread-safe; one owner thread preps, submits and drains (single writer of the
 * SQ tail and CQ head). With {@link #SETUP_SINGLE_ISSUER} that must be the thread that opened the
 * ring (the kernel fails other threads' submissions with EEXIST). With {@link #SETUP_DEFER_TASKRUN}
 * completions are only posted inside {@link #submitAndWait}, so a bare {@link #drain} sees nothing new.
 *
 * <p>Lifetime: owns the ring fd, the three mappings and an {@link Arena} for its wait arguments;
 * {@link #close()} releases them all. The mappings belong to that arena, so touching the ring after
 * close throws {@link IllegalStateException} instead of faulting.
 */
public final class IoUring implements AutoCloseable {
    /** Largest submission ring the kernel accepts without {@code IORING_SETUP_CLAMP}. */
    public static final int MAX_ENTRIES = 32768;

    // io_uring_setup flags this class supports (include/uapi/linux/io_uring.h).
    public static final int SETUP_CLAMP = 1 << 4;
    public static final int SETUP_SUBMIT_ALL = 1 << 7;
    public static final int SETUP_COOP_TASKRUN = 1 << 8;
    public static final int SETUP_TASKRUN_FLAG = 1 << 9;
    public static final int SETUP_SINGLE_ISSUER = 1 << 12;
    public static final int SETUP_DEFER_TASKRUN = 1 << 13;
    /** Reported by {@link #setupFlags()} when a CQ size was given to {@link #open(int, int, int)}; not an input flag. */
    public static final int SETUP_CQSIZE = 1 << 3;
    private static final int ALLOWED_SETUP_FLAGS = SETUP_CLAMP | SETUP_SUBMIT_ALL | SETUP_COOP_TASKRUN
            | SETUP_TASKRUN_FLAG | SETUP_SINGLE_ISSUER | SETUP_DEFER_TASKRUN;

    // IORING_FEAT_* bits of io_uring_params.features.
    public static final int FEAT_SINGLE_MMAP = 1;
    public static final int FEAT_NODROP = 1 << 1;
    public static final int FEAT_SUBMIT_STABLE = 1 << 2;
    public static final int FEAT_FAST_POLL = 1 << 5;
    public static final int FEAT_EXT_ARG = 1 << 8;

    static final int ENTER_GETEVENTS = 1;
    static final int ENTER_EXT_ARG = 1 << 3;
    /** IORING_SQ_CQ_OVERFLOW in the SQ ring flags: completions wait in the kernel's overflow list. */
    static final int SQ_CQ_OVERFLOW = 1 << 1;

    static final long OFF_SQ_RING = 0L;
    static final long OFF_CQ_RING = 0x8000000L;
    static final long OFF_SQES = 0x10000000L;

    // struct io_uring_getevents_arg (24 B: u64 sigmask, u32 sigmask_sz, u32 min_wait_usec, u64 ts)
    // and struct __kernel_timespec (16 B: s64 tv_sec, s64 tv_nsec), include/uapi/linux/io_uring.h / time_types.h.
    private static final long GETEVENTS_ARG_SIZE = 24;
    private static final long GETEVENTS_TS_OFFSET = 16;
    private static final long TS_SEC_OFFSET = 0;
    private static final long TS_NSEC_OFFSET = 8;
    private static final long NANOS_PER_SECOND = 1_000_000_000L;

    /** {@code struct iovec} and {@code struct msghdr} sizes on LP64 (bits/uio.h, bits/socket.h). */
    private static final int IOVEC_SIZE = 16;
    private static final int MSGHDR_SIZE = 56;

    /** Ring indices are u32 in shared memory; all access goes through this handle with an explicit order. */
    private static final VarHandle U32 = ValueLayout.JAVA_INT.varHandle();

    private final Arena arena;
    private final int ringFd;
    private final int setupFlags;
    private final int features;
    private final int sqEntries;
    private final int cqEntries;
    private final MemorySegment sqRing;
    private final MemorySegment cqRing;
    private final MemorySegment sqes;
    private final long sqHeadOffset;
    private final long sqTailOffset;
    private final long sqFlagsOffset;
    private final int sqMask;
    private final long cqHeadOffset;
    private final long cqTailOffset;
    private final long cqOverflowOffset;
    private final long cqesOffset;
    private final int cqMask;
    private final MemorySegment waitArg;
    private final MemorySegment waitTimespec;
    private final long[] supportedOps;
    private final Sqe sqe = new Sqe();

    /** Next SQ slot to fill; published to the kernel (SQ tail) by the next enter. Only this thread writes it. */
    private int sqeTail;
    /** Last SQ head seen from the kernel; slots before it are free again. */
    private int sqHeadSeen;
    /** Our CQ head; the kernel only reads it. */
    private int cqHead;
    /** io_uring_enter calls made, for tests and counters. */
    private long enterCalls;
    private boolean closed;

    private IoUring(Arena arena, int ringFd, int setupFlags, MemorySegment params, MemorySegment sqRing,
                    MemorySegment cqRing, MemorySegment sqes, long[] supportedOps) {
        this.arena = arena;
        this.ringFd = ringFd;
        this.setupFlags = setupFlags;
        this.features = UringParams.u32(params, UringParams.FEATURES_OFFSET);
        this.sqRing = sqRing;
        this.cqRing = cqRing;
        this.sqes = sqes;
        this.supportedOps = supportedOps;
        this.sqHeadOffset = UringParams.sqOff(params, UringParams.SQ_HEAD);
        this.sqTailOffset = UringParams.sqOff(params, UringParams.SQ_TAIL);
        this.sqFlagsOffset = UringParams.sqOff(params, UringParams.SQ_FLAGS);
        this.cqHeadOffset = UringParams.cqOff(params, UringParams.CQ_HEAD);
        this.cqTailOffset = UringParams.cqOff(params, UringParams.CQ_TAIL);
        this.cqOverflowOffset = UringParams.cqOff(params, UringParams.CQ_OVERFLOW);
        this.cqesOffset = UringParams.cqOff(params, UringParams.CQ_CQES);
        // Mask and entry counts were written by the kernel before io_uring_setup returned and never
        // change, so plain reads suffice (the syscall return orders them for us).
        this.sqMask = sqRing.get(ValueLayout.JAVA_INT, UringParams.sqOff(params, UringParams.SQ_RING_MASK));
        this.sqEntries = sqRing.get(ValueLayout.JAVA_INT, UringParams.sqOff(params, UringParams.SQ_RING_ENTRIES));
        this.cqMask = cqRing.get(ValueLayout.JAVA_INT, UringParams.cqOff(params, UringParams.CQ_RING_MASK));
        this.cqEntries = cqRing.get(ValueLayout.JAVA_INT, UringParams.cqOff(params, UringParams.CQ_RING_ENTRIES));
        // Only this thread and the kernel touch the indices, and the kernel starts them at 0, but
        // read them anyway so the Java view starts from the kernel's truth. Acquire/plain do not
        // matter here: nothing has been submitted yet.
        this.sqeTail = (int) U32.getAcquire(sqRing, sqTailOffset);
        this.sqHeadSeen = (int) U32.getAcquire(sqRing, sqHeadOffset);
        this.cqHead = (int) U32.getAcquire(cqRing, cqHeadOffset);
        // The SQ index array maps ring positions to SQE slots; we always use slot = position & mask,
        // so fill it once with the identity. Plain stores: the first SQ tail release publishes them.
        long array = UringParams.sqOff(params, UringParams.SQ_ARRAY);
        for (int i = 0; i < sqEntries; i++) {
            sqRing.set(ValueLayout.JAVA_INT, array + (long) i * Integer.BYTES, i);
        }
        this.waitArg = arena.allocate(GETEVENTS_ARG_SIZE, Long.BYTES);
        this.waitTimespec = arena.allocate(16, Long.BYTES);
        waitArg.set(ValueLayout.JAVA_LONG, GETEVENTS_TS_OFFSET, waitTimespec.address());
    }

    /** A ring with {@code entries} SQEs (rounded up to a power of two by the kernel) and default flags. */
    public static IoUring open(int entries) throws IoUringUnavailableException, ErrnoException {
        return open(entries, 0, 0);
    }

    /**
     * A ring with {@code entries} SQEs and a CQ of {@code cqEntries} (0: the kernel's default, twice
     * the SQ), set up with {@code setupFlags} ({@code SETUP_*} of this class).
     *
     * <p>If the kernel rejects the flags with EINVAL (too old for one of them, or a combination it
     * refuses), the ring is set up again without them; {@link #setupFlags()} tells what was granted.
     * SQPOLL and IOPOLL are not offered: on the project's 2-core hosts nothing may busy-poll a core.
     *
     * @throws IoUringUnavailableException when io_uring is unavailable on this host (EPERM, ENOSYS,
     *                                     EACCES), with a message saying why and what to change
     * @throws ErrnoException              on any other failure (e.g. ENOMEM, EMFILE)
     * @throws IllegalArgumentException    for sizes out of range or unsupported flags
     */
    public static IoUring open(int entries, int cqEntries, int setupFlags)
            throws IoUringUnavailableException, ErrnoException {
        if (entries < 1 || entries > MAX_ENTRIES) {
            throw new IllegalArgumentException("entries must be 1.." + MAX_ENTRIES + ": " + entries);
        }
        if (cqEntries != 0 && cqEntries < entries) {
            throw new IllegalArgumentException("cqEntries must be 0 or >= entries: " + cqEntries);
        }
        if ((setupFlags & ~ALLOWED_SETUP_FLAGS) != 0) {
            throw new IllegalArgumentException("unsupported io_uring setup flags 0x"
                    + Integer.toHexString(setupFlags & ~ALLOWED_SETUP_FLAGS));
        }
        int cqFlag = cqEntries != 0 ? SETUP_CQSIZE : 0;
        Arena arena = Arena.ofShared();
        int fd = -1;
        boolean opened = false;
        try {
            MemorySegment params = arena.allocate(UringParams.SIZE, Long.BYTES);
            int granted = setupFlags;
            try {
                fd = setup(entries, cqEntries, setupFlags | cqFlag, params);
            } catch (ErrnoException e) {
                if (!e.is(Errno.EINVAL) || setupFlags == 0) {
                    throw e;
                }
                granted = 0;
                fd = setup(entries, cqEntries, cqFlag, params);
            }
            int sqCount = UringParams.u32(params, UringParams.SQ_ENTRIES_OFFSET);
            int cqCount = UringParams.u32(params, UringParams.CQ_ENTRIES_OFFSET);
            int feat = UringParams.u32(params, UringParams.FEATURES_OFFSET);
            long sqRingSize = UringParams.sqOff(params, UringParams.SQ_ARRAY) + (long) sqCount * Integer.BYTES;
            long cqRingSize = UringParams.cqOff(params, UringParams.CQ_CQES) + (long) cqCount * Cqe.SIZE;
            int prot = Libc.PROT_READ | Libc.PROT_WRITE;
            int flags = Libc.MAP_SHARED | Libc.MAP_POPULATE;
            MemorySegment sqRing;
            MemorySegment cqRing;
            if ((feat & FEAT_SINGLE_MMAP) != 0) {
                // One mapping holds both rings (5.4+): map the larger size once.
                sqRing = owned(Libc.mmap(Math.max(sqRingSize, cqRingSize), prot, flags, fd, OFF_SQ_RING,
                        "io_uring rings"), arena);
                cqRing = sqRing;
            } else {
                sqRing = owned(Libc.mmap(sqRingSize, prot, flags, fd, OFF_SQ_RING, "io_uring SQ ring"), arena);
                cqRing = owned(Libc.mmap(cqRingSize, prot, flags, fd, OFF_CQ_RING, "io_uring CQ ring"), arena);
            }
            MemorySegment sqes = owned(Libc.mmap((long) sqCount * Sqe.SIZE, prot, flags, fd, OFF_SQES,
                    "io_uring SQEs"), arena);
            IoUring ring = new IoUring(arena, fd, granted | cqFlag, params, sqRing, cqRing, sqes,
                    OpcodeProbe.supported(fd));
            opened = true;
            return ring;
        } finally {
            if (!opened) {
                // Unmaps whatever was mapped (the arena owns the mappings) and frees the params.
                arena.close();
                if (fd >= 0) {
                    closeQuietly(fd);
                }
            }
        }
    }

    private static void closeQuietly(int fd) {
        try {
            Libc.close(fd);
        } catch (ErrnoException e) {
            // Only EBADF is possible, and only on a bug; the setup failure is what the caller needs to see.
        }
    }

    /**
     * Reports without throwing whether io_uring works here: sets up (and closes) a one-entry ring.
     * The reason names the kernel features when available, else why not and what to do.
     */
    public static UringAvailability probe() {
        try (IoUring ring = open(1)) {
            return new UringAvailability(true, 0, "available (features 0x" + Integer.toHexString(ring.features())
                    + ")");
        } catch (IoUringUnavailableException e) {
            return new UringAvailability(false, e.errno(), e.getMessage());
        } catch (ErrnoException e) {
            // e.g. ENOMEM from RLIMIT_MEMLOCK on kernels before 5.12: a ring cannot be had either.
            return new UringAvailability(false, e.errno(), "io_uring unavailable: " + e.getMessage());
        }
    }

    /** Shorthand for {@code probe().available()}. */
    public static boolean isAvailable() {
        return probe().available();
    }

    /** One io_uring_setup attempt; host-level refusals become {@link IoUringUnavailableException}. */
    private static int setup(int entries, int cqEntries, int flags, MemorySegment params)
            throws IoUringUnavailableException, ErrnoException {
        params.fill((byte) 0);
        params.set(ValueLayout.JAVA_INT, UringParams.FLAGS_OFFSET, flags);
        params.set(ValueLayout.JAVA_INT, UringParams.CQ_ENTRIES_OFFSET, cqEntries);
        try {
            return UringSyscalls.setup(entries, params, flags);
        } catch (ErrnoException e) {
            if (IoUringUnavailableException.meansUnavailable(e.errno())) {
                throw IoUringUnavailableException.of(e);
            }
            throw e;
        }
    }

    /** Binds a fresh mapping to the ring's arena so closing the arena unmaps it and fences further use. */
    @SuppressWarnings("restricted")
    private static MemorySegment owned(MemorySegment mapping, Arena arena) {
        return mapping.reinterpret(arena, IoUring::unmap);
    }

    private static void unmap(MemorySegment mapping) {
        try {
            Libc.munmap(mapping);
        } catch (ErrnoException e) {
            // munmap of a mapping we made can only fail on a bug (EINVAL); nothing to recover at close.
            throw new IllegalStateException("munmap of io_uring mapping failed", e);
        }
    }

    /**
     * Claims the next free SQE, zeroed, or returns {@code null} when the submission ring is full
     * (every slot prepared but not yet consumed by the kernel: submit first). A claimed SQE is sent
     * by the next submit whether or not it was filled in (zeroed, it is a NOP with user data 0).
     * The returned flyweight is reused by the next call.
     */
    public Sqe nextSqe() {
        if (sqeTail - sqHeadSeen >= sqEntries) {
            // Acquire: pairs with the kernel's store-release of the SQ head after it has copied the
            // SQEs out, so slots behind the new head may be overwritten only after this read.
            sqHeadSeen = (int) U32.getAcquire(sqRing, sqHeadOffset);
            if (sqeTail - sqHeadSeen >= sqEntries) {
                return null;
            }
        }
        long offset = (long) (sqeTail & sqMask) * Sqe.SIZE;
        sqeTail++;
        return sqe.wrapCleared(sqes, offset);
    }

    /** Prepares a NOP (completes with res 0). Returns false, writing nothing, if the SQ ring is full. */
    public boolean prepNop(long userData) {
        Sqe s = nextSqe();
        if (s == null) {
            return false;
        }
        s.opcode(Sqe.OP_NOP).userData(userData);
        return true;
    }

    /**
     * Prepares {@code read(fd, buf, len)} at file {@code offset}; pass -1 for the current position,
     * the only meaningful value for streams (pipes, sockets, TUN). Completes with the byte count.
     * Returns false, writing nothing, if the SQ ring is full. {@code buf[0, len)} is lent to the kernel.
     */
    public boolean prepRead(int fd, MemorySegment buf, int len, long offset, long userData) {
        return prepRw(Sqe.OP_READ, fd, buf, len, offset, userData);
    }

    /** Prepares {@code write(fd, buf, len)} at {@code offset} (-1: current position); as {@link #prepRead}. */
    public boolean prepWrite(int fd, MemorySegment buf, int len, long offset, long userData) {
        return prepRw(Sqe.OP_WRITE, fd, buf, len, offset, userData);
    }

    /**
     * Prepares {@code readv(fd, iov, iovcnt)} at {@code offset} (-1: current position). {@code iov}
     * holds {@code iovcnt} {@code struct iovec}s (16 B each); it and the buffers are lent to the kernel.
     */
    public boolean prepReadv(int fd, MemorySegment iov, int iovcnt, long offset, long userData) {
        return prepRw(Sqe.OP_READV, fd, iov, iovcnt, offset, userData);
    }

    /** Prepares {@code writev(fd, iov, iovcnt)} at {@code offset} (-1: current position); as {@link #prepReadv}. */
    public boolean prepWritev(int fd, MemorySegment iov, int iovcnt, long offset, long userData) {
        return prepRw(Sqe.OP_WRITEV, fd, iov, iovcnt, offset, userData);
    }

    /**
     * Prepares {@code recvmsg(fd, msghdr, msgFlags)}. The kernel fills the msghdr's name, name length,
     * iovec buffers, control and flags; all of it is lent to the kernel. Completes with the datagram length.
     */
    public boolean prepRecvmsg(int fd, MemorySegment msghdr, int msgFlags, long userData) {
        return prepMsg(Sqe.OP_RECVMSG, fd, msghdr, msgFlags, userData);
    }

    /** Prepares {@code sendmsg(fd, msghdr, msgFlags)}; as {@link #prepRecvmsg}. Completes with bytes sent. */
    public boolean prepSendmsg(int fd, MemorySegment msghdr, int msgFlags, long userData) {
        return prepMsg(Sqe.OP_SENDMSG, fd, msghdr, msgFlags, userData);
    }

    /**
     * Prepares a one-shot poll for {@code pollMask} ({@code POLLIN}...) on {@code fd}; completes with
     * the ready mask.
     */
    public boolean prepPollAdd(int fd, int pollMask, long userData) {
        Sqe s = nextSqe();
        if (s == null) {
            return false;
        }
        s.opcode(Sqe.OP_POLL_ADD).fd(fd).opFlags(pollMask).userData(userData);
        return true;
    }

    private boolean prepRw(int opcode, int fd, MemorySegment addr, int len, long offset, long userData) {
        boolean vectored = opcode == Sqe.OP_READV || opcode == Sqe.OP_WRITEV;
        requireNative(addr, vectored ? (long) len * IOVEC_SIZE : len);
        Sqe s = nextSqe();
        if (s == null) {
            return false;
        }
        s.opcode(opcode).fd(fd).off(offset).addr(addr.address()).len(len).userData(userData);
        return true;
    }

    private boolean prepMsg(int opcode, int fd, MemorySegment msghdr, int msgFlags, long userData) {
        requireNative(msghdr, MSGHDR_SIZE);
        Sqe s = nextSqe();
        if (s == null) {
            return false;
        }
        s.opcode(opcode).fd(fd).addr(msghdr.address()).len(1).opFlags(msgFlags).userData(userData);
        return true;
    }

    /**
     * Checks memory lent to the kernel: native (a heap segment has no stable address the kernel could
     * use later) and at least {@code bytes} long (the kernel would otherwise write past it).
     */
    private static void requireNative(MemorySegment segment, long bytes) {
        if (!segment.isNative()) {
            throw new IllegalArgumentException("io_uring needs native memory, got a heap segment");
        }
        if (bytes < 0 || bytes > segment.byteSize()) {
            throw new IllegalArgumentException("operation covers " + bytes + " bytes of a " + segment.byteSize()
                    + "-byte segment");
        }
    }

    /**
     * Publishes every prepared SQE and submits them with one {@code io_uring_enter}, without waiting.
     * Returns how many the kernel consumed; the rest (only if the kernel stopped early, e.g. EAGAIN
     * or EBUSY under memory or CQ pressure) stay queued and go with the next submit.
     */
    public int submit() throws ErrnoException {
        return enter(0, 0, MemorySegment.NULL, 0);
    }

    /**
     * Submits like {@link #submit()}, then blocks until at least {@code minComplete} completions are
     * ready (0: just run pending completion work). Returns the number of SQEs consumed. An interrupt
     * by a signal returns early; callers re-check with {@link #drain}.
     */
    public int submitAndWait(int minComplete) throws ErrnoException {
        return enter(minComplete, ENTER_GETEVENTS, MemorySegment.NULL, 0);
    }

    /**
     * Submits, then blocks until {@code minComplete} completions are ready or {@code timeoutNanos}
     * have passed, whichever is first (IORING_ENTER_EXT_ARG with a relative timespec). A timeout is
     * a normal return, not an error: drain to see what (if anything) completed. A timeout of zero or
     * less only collects what is ready. Returns the number of SQEs consumed.
     *
     * @throws UnsupportedOperationException when the kernel lacks IORING_FEAT_EXT_ARG (before 5.11)
     */
    public int submitAndWait(int minComplete, long timeoutNanos) throws ErrnoException {
        if ((features & FEAT_EXT_ARG) == 0) {
            throw new UnsupportedOperationException("kernel lacks IORING_FEAT_EXT_ARG (Linux < 5.11): no wait timeout");
        }
        long t = Math.max(0, timeoutNanos);
        waitTimespec.set(ValueLayout.JAVA_LONG, TS_SEC_OFFSET, t / NANOS_PER_SECOND);
        waitTimespec.set(ValueLayout.JAVA_LONG, TS_NSEC_OFFSET, t % NANOS_PER_SECOND);
        return enter(minComplete, ENTER_GETEVENTS | ENTER_EXT_ARG, waitArg, GETEVENTS_ARG_SIZE);
    }

    private int enter(int minComplete, int flags, MemorySegment arg, long argSize) throws ErrnoException {
        // Release: orders every plain store into the SQEs (and the SQ array) before the tail, so
        // the kernel, which reads the tail with acquire semantics, sees complete entries.
        U32.setRelease(sqRing, sqTailOffset, sqeTail);
        // Acquire: the head tells which slots the kernel has finished copying; pairs with its release.
        sqHeadSeen = (int) U32.getAcquire(sqRing, sqHeadOffset);
        int toSubmit = sqeTail - sqHeadSeen;
        if (toSubmit == 0 && flags == 0) {
            return 0;
        }
        enterCalls++;
        long r = UringSyscalls.enter(ringFd, toSubmit, minComplete, flags, arg, argSize);
        if (r >= 0) {
            return (int) r;
        }
        int errno = (int) -r;
        if (errno == Errno.EINTR || errno == Errno.ETIME || errno == Errno.EAGAIN || errno == Errno.EBUSY) {
            // Nothing consumed (else the kernel returns the count): a signal, an expired wait, or
            // transient memory/CQ pressure. The SQEs stay queued; draining CQEs relieves EBUSY.
            return 0;
        }
        throw new ErrnoException("io_uring_enter(ring fd " + ringFd + ", to_submit " + toSubmit + ", min_complete "
                + minComplete + ")", errno);
    }

    /**
     * Hands up to {@code max} ready completions to {@code handler}, oldest first, and returns how
     * many. Never blocks; if the kernel holds overflowed completions (more finished than the CQ
     * ring holds) it flushes them into the ring with a non-waiting {@code io_uring_enter} and goes on.
     * If the handler throws, the completions already handed over (including that one) are consumed.
     */
    public int drain(CompletionHandler handler, int max) throws ErrnoException {
        int done = 0;
        while (done < max) {
            int head = cqHead;
            // Acquire: pairs with the kernel's store-release of the CQ tail, making the CQE contents it
            // wrote before advancing the tail visible to the plain loads below.
            int tail = (int) U32.getAcquire(cqRing, cqTailOffset);
            int n = Math.min(tail - head, max - done);
            int taken = 0;
            try {
                while (taken < n) {
                    long at = cqesOffset + (long) ((head + taken) & cqMask) * Cqe.SIZE;
                    long userData = cqRing.get(ValueLayout.JAVA_LONG, at + Cqe.USER_DATA_OFFSET);
                    int res = cqRing.get(ValueLayout.JAVA_INT, at + Cqe.RES_OFFSET);
                    int flags = cqRing.get(ValueLayout.JAVA_INT, at + Cqe.FLAGS_OFFSET);
                    taken++;
                    handler.onComplete(userData, res, flags);
                }
            } finally {
                consume(head, taken);
            }
            done += taken;
            if (done < max && !flushOverflow()) {
                break;
            }
        }
        return done;
    }

    /**
     * Copies up to {@code max} ready completions into the arrays from index 0 and returns how many;
     * otherwise as {@link #drain(CompletionHandler, int)}. {@code max} must not exceed any array's length.
     */
    public int drain(long[] userData, int[] res, int[] flags, int max) throws ErrnoException {
        if (max > userData.length || max > res.length || max > flags.length) {
            throw new IllegalArgumentException("max " + max + " exceeds an array length");
        }
        int done = 0;
        while (done < max) {
            int head = cqHead;
            // Acquire: pairs with the kernel's release of the CQ tail (see the handler variant).
            int tail = (int) U32.getAcquire(cqRing, cqTailOffset);
            int n = Math.min(tail - head, max - done);
            for (int i = 0; i < n; i++) {
                long at = cqesOffset + (long) ((head + i) & cqMask) * Cqe.SIZE;
                userData[done + i] = cqRing.get(ValueLayout.JAVA_LONG, at + Cqe.USER_DATA_OFFSET);
                res[done + i] = cqRing.get(ValueLayout.JAVA_INT, at + Cqe.RES_OFFSET);
                flags[done + i] = cqRing.get(ValueLayout.JAVA_INT, at + Cqe.FLAGS_OFFSET);
            }
            consume(head, n);
            done += n;
            if (done < max && !flushOverflow()) {
                break;
            }
        }
        return done;
    }

    private void consume(int head, int taken) {
        if (taken > 0) {
            cqHead = head + taken;
            // Release: orders our loads of the consumed CQEs before the head store, so the kernel
            // (which reads the head before reusing a slot) cannot overwrite an entry we are reading.
            U32.setRelease(cqRing, cqHeadOffset, cqHead);
        }
    }

    /** If completions overflowed into the kernel's list, moves them into the CQ ring; true if it did. */
    private boolean flushOverflow() throws ErrnoException {
        // Acquire: the kernel sets the flag after queueing to its overflow list; seeing it, the
        // enter below will find them. A stale clear flag only delays them to the next drain.
        int sqFlags = (int) U32.getAcquire(sqRing, sqFlagsOffset);
        if ((sqFlags & SQ_CQ_OVERFLOW) == 0) {
            return false;
        }
        enterCalls++;
        long r = UringSyscalls.enter(ringFd, 0, 0, ENTER_GETEVENTS, MemorySegment.NULL, 0);
        if (r < 0 && r != -Errno.EINTR && r != -Errno.EBUSY && r != -Errno.EAGAIN) {
            throw new ErrnoException("io_uring_enter(ring fd " + ringFd + ", flush CQ overflow)", (int) -r);
        }
        return true;
    }

    /** Completions ready in the CQ ring now (not counting any in the kernel's overflow list). */
    public int cqReady() {
        // Acquire: same pairing as drain; a count is only useful if the entries it counts are visible.
        return (int) U32.getAcquire(cqRing, cqTailOffset) - cqHead;
    }

    /** SQEs prepared but not yet consumed by the kernel (including ones not yet submitted). */
    public int sqPending() {
        // Acquire: pairs with the kernel's release of the SQ head (see nextSqe).
        sqHeadSeen = (int) U32.getAcquire(sqRing, sqHeadOffset);
        return sqeTail - sqHeadSeen;
    }

    /**
     * Completions the kernel had to drop because the CQ ring was full and it could not keep them
     * (never, normally, with {@link #FEAT_NODROP}); a counter to export, not to act on.
     */
    public int cqDropped() {
        // Acquire: a monotonic counter the kernel updates; acquire keeps reads of it ordered.
        return (int) U32.getAcquire(cqRing, cqOverflowOffset);
    }

    /** Whether the kernel supports {@code opcode} ({@code Sqe.OP_*}), per IORING_REGISTER_PROBE. */
    public boolean supports(int opcode) {
        return OpcodeProbe.contains(supportedOps, opcode);
    }

    /** The ring fd (e.g. for an eventfd or to hand to a poller); owned by this object. */
    public int fd() {
        return ringFd;
    }

    /** Submission ring size (a power of two, at least what was asked). */
    public int sqEntries() {
        return sqEntries;
    }

    /** Completion ring size. */
    public int cqEntries() {
        return cqEntries;
    }

    /** The setup flags the kernel granted (0 if it refused the requested ones and fell back). */
    public int setupFlags() {
        return setupFlags;
    }

    /** {@code IORING_FEAT_*} bits the kernel reported. */
    public int features() {
        return features;
    }

    /** Number of {@code io_uring_enter} calls made so far. */
    public long enterCalls() {
        return enterCalls;
    }

    /**
     * Unmaps the rings and closes the ring fd; idempotent. The kernel then cancels operations still in
     * flight: those waiting for readiness (sockets, pipes, TUN) are cancelled during close, but one
     * already running in an io-wq worker (e.g. a regular file read) may finish shortly after. So drain
     * in-flight operations, or close the fds they target, before freeing the memory lent to them.
     */
    @Override
    public void close() throws ErrnoException {
        if (closed) {
            return;
        }
        closed = true;
        // Closing the arena runs the munmap cleanups and makes any later ring access throw.
        arena.close();
        Libc.close(ringFd);
    }
}
