package net.ipop.ffm.uring;

/**
 * Receives completions from {@link IoUring#drain(CompletionHandler, int)}, one call per CQE, on the
 * thread that drains. Implement it once (a field of the agent, not a lambda per call) so draining
 * allocates nothing.
 */
@FunctionalInterface
public interface CompletionHandler {
    /**
     * One completed operation.
     *
     * @param userData the value given when the operation was prepared (routes the completion)
     * @param res      the operation's result: bytes transferred for read/write/recvmsg/sendmsg, 0 for
     *                 NOP, the ready mask for POLL_ADD; a negative value is {@code -errno} (e.g.
     *                 {@code -EBADF}, {@code -ECANCELED}, {@code -EINVAL} for an opcode the kernel does
     *                 not support, {@code -ETIME} for an expired TIMEOUT); see
     *                 {@link net.ipop.ffm.libc.Errno#name(int)} with {@code -res}
     * @param flags    {@code IORING_CQE_F_*} bits, see {@link Cqe}
     */
    void onComplete(long userData, int res, int flags);
}
