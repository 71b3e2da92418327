package net.ipop.ffm.uring;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import net.ipop.ffm.libc.Errno;
import net.ipop.ffm.libc.ErrnoException;

/**
 * io_uring cannot be used on this host at all (as opposed to one ring failing): the kernel lacks
 * it, a sysctl disables it, or a seccomp/LSM policy denies it. The message says which, and what to
 * do about it; the underlying {@link ErrnoException} is the cause.
 *
 * <p>Not a subclass of {@code ErrnoException} (that class is final) but carries the same errno.
 */
public final class IoUringUnavailableException extends IOException {
    private static final long serialVersionUID = 1L;

    static final Path DISABLED_SYSCTL = Path.of("/proc/sys/kernel/io_uring_disabled");
    static final Path GROUP_SYSCTL = Path.of("/proc/sys/kernel/io_uring_group");

    /** Hint shared by every message: the way out that needs no host change. */
    static final String CONFIG_HINT = "or disable io_uring in the IPOP configuration";

    private final int errno;

    IoUringUnavailableException(String message, ErrnoException cause) {
        super(message, cause);
        this.errno = cause.errno();
    }

    /** The errno io_uring_setup failed with: {@link Errno#EPERM}, {@link Errno#ENOSYS} or {@link Errno#EACCES}. */
    public int errno() {
        return errno;
    }

    /** Whether a setup failure with this errno means "io_uring is unavailable here" rather than a bad request. */
    static boolean meansUnavailable(int errno) {
        return errno == Errno.EPERM || errno == Errno.ENOSYS || errno == Errno.EACCES;
    }

    /** Builds the exception for a setup failure, reading the host's io_uring sysctls to explain it. */
    static IoUringUnavailableException of(ErrnoException cause) {
        return new IoUringUnavailableException(
                explain(cause.errno(), readSysctl(DISABLED_SYSCTL), readSysctl(GROUP_SYSCTL)), cause);
    }

    /**
     * The message for a setup failure. Pure so it can be tested with any input.
     *
     * @param errno    what io_uring_setup failed with
     * @param disabled contents of {@code kernel.io_uring_disabled}, or -1 if unreadable (kernels before 6.6)
     * @param group    contents of {@code kernel.io_uring_group}, or -1 if unreadable
     */
    static String explain(int errno, int disabled, int group) {
        String prefix = "io_uring unavailable: io_uring_setup failed with " + Errno.name(errno) + "; ";
        if (errno == Errno.ENOSYS) {
            return prefix + "the kernel was built without CONFIG_IO_URING, or a seccomp filter (e.g. a container"
                    + " runtime's default profile) blocks the io_uring system calls. Allow io_uring_setup,"
                    + " io_uring_enter and io_uring_register, " + CONFIG_HINT + ".";
        }
        if (errno == Errno.EACCES) {
            return prefix + "a security module (SELinux/AppArmor io_uring policy) denies it. Allow io_uring for"
                    + " this process, " + CONFIG_HINT + ".";
        }
        if (disabled == 2) {
            return prefix + "kernel.io_uring_disabled=2 disables io_uring for every process. Set it to 0"
                    + " (sysctl -w kernel.io_uring_disabled=0), " + CONFIG_HINT + ".";
        }
        if (disabled == 1) {
            String who = group >= 0 ? "group " + group + " (kernel.io_uring_group)" : "the group in kernel.io_uring_group";
            return prefix + "kernel.io_uring_disabled=1 allows io_uring only to processes with CAP_SYS_ADMIN or"
                    + " in " + who + ". Set kernel.io_uring_disabled to 0, run as a member of that group, "
                    + CONFIG_HINT + ".";
        }
        String sysctl = disabled == 0 ? "kernel.io_uring_disabled=0" : "kernel.io_uring_disabled is not readable";
        return prefix + sysctl + ", so most likely a seccomp filter (e.g. a container runtime's default profile)"
                + " denies the io_uring system calls. Allow io_uring_setup, io_uring_enter and io_uring_register"
                + " in that profile, " + CONFIG_HINT + ".";
    }

    /** An integer sysctl, or -1 when absent or unreadable (this is the error path: allocation is fine). */
    static int readSysctl(Path path) {
        try {
            return Integer.parseInt(Files.readString(path).trim());
        } catch (IOException | NumberFormatException | SecurityException e) {
            return -1;
        }
    }
}
