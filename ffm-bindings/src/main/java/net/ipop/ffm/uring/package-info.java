/**
 * io_uring from the raw system calls, without liburing.
 *
 * <p>How a cycle flows: {@link net.ipop.ffm.uring.IoUring#open} calls {@code io_uring_setup}
 * ({@code UringSyscalls}, params laid out by {@code UringParams}) and maps the SQ ring, CQ ring and
 * SQE array. The owner thread then writes operations into SQE slots ({@link net.ipop.ffm.uring.Sqe}
 * flyweight, via the {@code prep*} methods), publishes them all with one store-release of the SQ
 * tail and one {@code io_uring_enter}, optionally waiting for completions with a timeout, and reads
 * completions ({@link net.ipop.ffm.uring.Cqe} layout) after a load-acquire of the CQ tail, handing
 * each to a {@link net.ipop.ffm.uring.CompletionHandler} by its user data before releasing the CQ head.
 *
 * <p>When io_uring cannot be used on the host at all, {@code open} throws
 * {@link net.ipop.ffm.uring.IoUringUnavailableException} explaining why and what to change, and
 * {@link net.ipop.ffm.uring.IoUring#probe()} reports the same without throwing.
 */
package net.ipop.ffm.uring;
