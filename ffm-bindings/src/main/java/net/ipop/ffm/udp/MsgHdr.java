package net.ipop.ffm.udp;

/**
 * Offsets of {@code struct mmsghdr}, {@code struct msghdr} ({@code <linux/socket.h>}, as glibc lays
 * them out in {@code <bits/socket.h>}) and {@code struct iovec} ({@code <linux/uio.h>}) on LP64
 * Linux (x86_64, aarch64): pointers and {@code size_t} are 8 bytes, 8-aligned.
 */
final class MsgHdr {
    /** {@code sizeof(struct msghdr)}. */
    static final int MSGHDR_SIZE = 56;
    /** {@code sizeof(struct mmsghdr)}: a msghdr, {@code unsigned int msg_len}, 4 bytes of padding. */
    static final int MMSGHDR_SIZE = 64;
    /** {@code sizeof(struct iovec)}. */
    static final int IOVEC_SIZE = 16;

    /** {@code void *msg_name}. */
    static final long NAME_OFFSET = 0;
    /** {@code socklen_t msg_namelen} (4 bytes, then 4 bytes of padding). */
    static final long NAMELEN_OFFSET = 8;
    /** {@code struct iovec *msg_iov}. */
    static final long IOV_OFFSET = 16;
    /** {@code size_t msg_iovlen}. */
    static final long IOVLEN_OFFSET = 24;
    /** {@code void *msg_control}. */
    static final long CONTROL_OFFSET = 32;
    /** {@code size_t msg_controllen}: buffer size in, bytes used out. */
    static final long CONTROLLEN_OFFSET = 40;
    /** {@code int msg_flags}: output of recvmsg (MSG_TRUNC, MSG_CTRUNC). */
    static final long FLAGS_OFFSET = 48;
    /** {@code unsigned int msg_len} of {@code struct mmsghdr}: bytes sent or received for this message. */
    static final long MSG_LEN_OFFSET = 56;

    /** {@code void *iov_base}. */
    static final long IOV_BASE_OFFSET = 0;
    /** {@code size_t iov_len}. */
    static final long IOV_LEN_OFFSET = 8;

    /** {@code MSG_TRUNC}: the datagram was longer than the buffer. */
    static final int MSG_TRUNC = 0x20;
    /** {@code MSG_CTRUNC}: control messages did not fit. */
    static final int MSG_CTRUNC = 0x8;

    private MsgHdr() {
    }
}
