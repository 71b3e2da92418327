package net.ipop.ffm.uring;

/**
 * Whether io_uring works on this host, as found by {@link IoUring#probe()}.
 *
 * @param available whether a ring could be created
 * @param errno     the errno io_uring_setup failed with, 0 when available
 * @param reason    "available" plus the kernel features when it works, else why not and what to do
 */
public record UringAvailability(boolean available, int errno, String reason) {
}
