package net.ipop.ffm.tun;

import net.ipop.ffm.libc.Errno;
import net.ipop.ffm.libc.ErrnoException;
import net.ipop.ffm.libc.Libc;

/**
 * Offload flags for {@code TUNSETOFFLOAD} ({@code TUN_F_*} in {@code <linux/if_tun.h>}) and the
 * negotiation that finds the richest set the running kernel accepts.
 *
 * <p>An offload tells the kernel that this reader understands packets described by the virtio-net
 * header: with {@link #CSUM} it may hand over packets whose checksum is still to be filled in, with
 * {@link #TSO4}/{@link #TSO6} TCP super-packets, with {@link #USO4}/{@link #USO6} UDP super-packets
 * ({@code UDP_SEGMENT}). Every segmentation offload needs {@link #CSUM}; the two USO flags only
 * work together. USO values are hard-coded because older userspace headers lack them.
 */
public final class TunOffload {
    public static final int CSUM = 0x01;
    public static final int TSO4 = 0x02;
    public static final int TSO6 = 0x04;
    public static final int TSO_ECN = 0x08;
    public static final int USO4 = 0x20;
    public static final int USO6 = 0x40;

    /** What the data plane wants: checksum, TCP and UDP segmentation for IPv4 and IPv6. */
    public static final int ALL = CSUM | TSO4 | TSO6 | USO4 | USO6;

    private static final int KNOWN = CSUM | TSO4 | TSO6 | TSO_ECN | USO4 | USO6;
    private static final int SEGMENTATION = TSO4 | TSO6 | TSO_ECN | USO4 | USO6;
    private static final int USO = USO4 | USO6;

    private TunOffload() {
    }

    /**
     * Checks that {@code flags} is a combination the kernel can accept at all.
     *
     * @throws IllegalArgumentException for unknown bits, segmentation without CSUM, or one USO flag alone
     */
    static void validate(int flags) {
        if ((flags & ~KNOWN) != 0) {
            throw new IllegalArgumentException("unknown TUN offload bits 0x" + Integer.toHexString(flags & ~KNOWN));
        }
        if ((flags & SEGMENTATION) != 0 && (flags & CSUM) == 0) {
            throw new IllegalArgumentException("TUN segmentation offloads " + describe(flags) + " need CSUM");
        }
        if ((flags & USO) != 0 && (flags & USO) != USO) {
            throw new IllegalArgumentException("USO4 and USO6 must be requested together, got " + describe(flags));
        }
    }

    /**
     * Sets the richest subset of {@code requested} the kernel accepts on the device behind {@code fd}:
     * {@code requested}, then without USO (kernels before 6.2), then checksum only, then nothing.
     * Only EINVAL (flags not understood) moves down the ladder; any other error is thrown.
     *
     * @return the flags now active, possibly 0
     */
    static int negotiate(int fd, int requested, String device) throws ErrnoException {
        int[] ladder = {requested, requested & ~USO, requested & CSUM, 0};
        int previous = -1;
        for (int flags : ladder) {
            if (flags == previous) {
                continue;
            }
            previous = flags;
            try {
                Libc.ioctl(fd, TunAbi.TUNSETOFFLOAD, flags, "TUNSETOFFLOAD " + describe(flags) + ", " + device);
                return flags;
            } catch (ErrnoException e) {
                if (!e.is(Errno.EINVAL) || flags == 0) {
                    throw e;
                }
            }
        }
        return 0;
    }

    /** "CSUM|TSO4|..." for messages and logs; "none" for 0. */
    public static String describe(int flags) {
        if (flags == 0) {
            return "none";
        }
        StringBuilder sb = new StringBuilder();
        append(sb, flags, CSUM, "CSUM");
        append(sb, flags, TSO4, "TSO4");
        append(sb, flags, TSO6, "TSO6");
        append(sb, flags, TSO_ECN, "TSO_ECN");
        append(sb, flags, USO4, "USO4");
        append(sb, flags, USO6, "USO6");
        int unknown = flags & ~KNOWN;
        if (unknown != 0) {
            sb.append(sb.isEmpty() ? "" : "|").append("0x").append(Integer.toHexString(unknown));
        }
        return sb.toString();
    }

    private static void append(StringBuilder sb, int flags, int bit, String name) {
        if ((flags & bit) != 0) {
            sb.append(sb.isEmpty() ? "" : "|").append(name);
        }
    }
}
