package net.ipop.ffm.uring;

/**
 * Layout of one completion queue entry, mirroring {@code struct io_uring_cqe} of
 * include/uapi/linux/io_uring.h (16 bytes: {@code __u64 user_data; __s32 res; __u32 flags;}).
 *
 * <p>Entries are read by {@link IoUring#drain}, which hands the three fields to a
 * {@link CompletionHandler} or copies them into caller arrays, so no CQE object ever escapes.
 */
public final class Cqe {
    public static final int SIZE = 16;

    public static final long USER_DATA_OFFSET = 0;
    /** {@code res}: the operation's result; negative values are {@code -errno}. */
    public static final long RES_OFFSET = 8;
    public static final long FLAGS_OFFSET = 12;

    /** {@code IORING_CQE_F_BUFFER}: the upper 16 bits of flags carry a selected buffer id. */
    public static final int F_BUFFER = 1;
    /** {@code IORING_CQE_F_MORE}: a multishot request will post more CQEs. */
    public static final int F_MORE = 1 << 1;
    /** {@code IORING_CQE_F_SOCK_NONEMPTY}: the socket had more data queued after this receive. */
    public static final int F_SOCK_NONEMPTY = 1 << 2;

    private Cqe() {
    }
}
