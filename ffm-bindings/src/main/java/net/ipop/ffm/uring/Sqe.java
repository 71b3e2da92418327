package net.ipop.ffm.uring;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Flyweight over one submission queue entry, mirroring {@code struct io_uring_sqe} of
 * include/uapi/linux/io_uring.h (64 bytes). Obtained from {@link IoUring#nextSqe()}, which has
 * already zeroed the slot, so only the fields an operation uses need setting.
 *
 * <p>The flyweight is positioned on a slot of the ring's mapping and is valid until the next
 * {@code nextSqe}/{@code prep*} call on the same ring; it must not be kept. Setters return
 * {@code this} so a prep reads as one statement. Not thread-safe (owned by the ring's thread).
 */
public final class Sqe {
    public static final int SIZE = 64;

    public static final long OPCODE_OFFSET = 0;
    public static final long FLAGS_OFFSET = 1;
    public static final long IOPRIO_OFFSET = 2;
    public static final long FD_OFFSET = 4;
    /** {@code off}: file offset; {@code addr2} for some opcodes. */
    public static final long OFF_OFFSET = 8;
    /** {@code addr}: buffer, iovec array, msghdr or timespec pointer. */
    public static final long ADDR_OFFSET = 16;
    /** {@code len}: buffer length, iovec count, or the opcode's count. */
    public static final long LEN_OFFSET = 24;
    /** The per-opcode flags union: {@code rw_flags}, {@code msg_flags}, {@code poll32_events}, {@code timeout_flags}. */
    public static final long OP_FLAGS_OFFSET = 28;
    public static final long USER_DATA_OFFSET = 32;
    public static final long BUF_INDEX_OFFSET = 40;
    public static final long PERSONALITY_OFFSET = 42;
    public static final long FILE_INDEX_OFFSET = 44;
    public static final long ADDR3_OFFSET = 48;

    // enum io_uring_op: only those this project issues (values are positions in the kernel enum).
    public static final int OP_NOP = 0;
    public static final int OP_READV = 1;
    public static final int OP_WRITEV = 2;
    public static final int OP_POLL_ADD = 6;
    public static final int OP_SENDMSG = 9;
    public static final int OP_RECVMSG = 10;
    public static final int OP_TIMEOUT = 11;
    public static final int OP_READ = 22;
    public static final int OP_WRITE = 23;

    // IOSQE_* flags (sqe->flags).
    public static final int IOSQE_FIXED_FILE = 1;
    public static final int IOSQE_IO_DRAIN = 1 << 1;
    public static final int IOSQE_IO_LINK = 1 << 2;
    public static final int IOSQE_IO_HARDLINK = 1 << 3;
    public static final int IOSQE_ASYNC = 1 << 4;
    public static final int IOSQE_BUFFER_SELECT = 1 << 5;
    public static final int IOSQE_CQE_SKIP_SUCCESS = 1 << 6;

    private MemorySegment sqes;
    private long base;

    Sqe() {
    }

    /** Positions the flyweight on the slot at byte {@code offset} of the SQE array and zeroes it. */
    Sqe wrapCleared(MemorySegment sqeArray, long offset) {
        this.sqes = sqeArray;
        this.base = offset;
        // Eight long stores: cheaper than slicing a segment to fill() it, and allocation-free.
        for (long i = 0; i < SIZE; i += Long.BYTES) {
            sqeArray.set(ValueLayout.JAVA_LONG, offset + i, 0L);
        }
        return this;
    }

    public Sqe opcode(int opcode) {
        sqes.set(ValueLayout.JAVA_BYTE, base + OPCODE_OFFSET, (byte) opcode);
        return this;
    }

    /** {@code IOSQE_*} flags, e.g. {@link #IOSQE_IO_LINK}. */
    public Sqe flags(int flags) {
        sqes.set(ValueLayout.JAVA_BYTE, base + FLAGS_OFFSET, (byte) flags);
        return this;
    }

    public Sqe ioprio(int ioprio) {
        sqes.set(ValueLayout.JAVA_SHORT, base + IOPRIO_OFFSET, (short) ioprio);
        return this;
    }

    public Sqe fd(int fd) {
        sqes.set(ValueLayout.JAVA_INT, base + FD_OFFSET, fd);
        return this;
    }

    /** File offset in bytes; -1 means "the file's current position" (the only sane value for streams). */
    public Sqe off(long off) {
        sqes.set(ValueLayout.JAVA_LONG, base + OFF_OFFSET, off);
        return this;
    }

    /** A user-space address (native memory the kernel reads or writes). */
    public Sqe addr(long addr) {
        sqes.set(ValueLayout.JAVA_LONG, base + ADDR_OFFSET, addr);
        return this;
    }

    public Sqe len(int len) {
        sqes.set(ValueLayout.JAVA_INT, base + LEN_OFFSET, len);
        return this;
    }

    /** The opcode's flags word (rw_flags, msg_flags, poll32_events, timeout_flags...). */
    public Sqe opFlags(int flags) {
        sqes.set(ValueLayout.JAVA_INT, base + OP_FLAGS_OFFSET, flags);
        return this;
    }

    /** Opaque value returned unchanged in this operation's CQE: how completions are routed. */
    public Sqe userData(long userData) {
        sqes.set(ValueLayout.JAVA_LONG, base + USER_DATA_OFFSET, userData);
        return this;
    }

    public Sqe bufIndex(int index) {
        sqes.set(ValueLayout.JAVA_SHORT, base + BUF_INDEX_OFFSET, (short) index);
        return this;
    }
}
