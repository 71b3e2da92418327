package net.ipop.ffm.tun;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;

import net.ipop.ffm.libc.Errno;
import net.ipop.ffm.libc.ErrnoException;
import net.ipop.ffm.libc.Libc;

/**
 * A TUN (IP packets) or TAP (Ethernet frames) interface owned by this process, with one
 * {@link TunQueue} per descriptor attached to it.
 *
 * <p>The interface lives in the network namespace of the thread that calls {@link Builder#open()}
 * and disappears when the device is closed (it is not made persistent). Packets carry no
 * {@code struct tun_pi} prefix ({@code IFF_NO_PI}); with {@link Builder#vnetHeader} every packet
 * starts with a {@link VirtioNetHeader} of {@link #vnetHeaderSize()} bytes, and the offloads in
 * {@link #offloads()} say which super-packets and partial checksums the kernel may hand over.
 *
 * <p>Memory: one shared {@link Arena} per device holds the queues' long-lived native memory; it is
 * closed with the device. Setup calls use a confined arena of their own.
 *
 * <p>Threading: opening and closing are not thread-safe; close only after the threads doing I/O on
 * the queues have stopped.
 */
public final class TunDevice implements AutoCloseable {
    /** Lets the kernel pick the first free name: ipop0, ipop1, ... */
    public static final String DEFAULT_NAME = "ipop%d";
    public static final String DEFAULT_DEVICE_PATH = "/dev/net/tun";

    /** Layer of the interface. */
    public enum Mode {
        /** Layer 3: reads and writes IP packets. */
        TUN(TunAbi.IFF_TUN),
        /** Layer 2: reads and writes Ethernet frames. */
        TAP(TunAbi.IFF_TAP);

        final int iffFlag;

        Mode(int iffFlag) {
            this.iffFlag = iffFlag;
        }
    }

    private final String name;
    private final Mode mode;
    private final int kernelFeatures;
    private final boolean vnetHeader;
    private final int offloads;
    private final TunQueue[] queues;
    private final Arena arena;
    private boolean closed;

    private TunDevice(String name, Mode mode, int kernelFeatures, boolean vnetHeader, int offloads,
                      TunQueue[] queues, Arena arena) {
        this.name = name;
        this.mode = mode;
        this.kernelFeatures = kernelFeatures;
        this.vnetHeader = vnetHeader;
        this.offloads = offloads;
        this.queues = queues;
        this.arena = arena;
    }

    /** Starts describing a layer-3 device. */
    public static Builder tun() {
        return new Builder(Mode.TUN);
    }

    /** Starts describing a layer-2 device. */
    public static Builder tap() {
        return new Builder(Mode.TAP);
    }

    /** The interface name the kernel gave the device (a "%d" pattern expanded). */
    public String name() {
        return name;
    }

    public Mode mode() {
        return mode;
    }

    public int queueCount() {
        return queues.length;
    }

    /** Queue {@code i}, 0-based. The device owns it. */
    public TunQueue queue(int i) {
        return queues[i];
    }

    /** Whether every packet carries a virtio-net header. */
    public boolean vnetHeader() {
        return vnetHeader;
    }

    /** Bytes of virtio-net header in front of each packet: {@link VirtioNetHeader#SIZE} or 0. */
    public int vnetHeaderSize() {
        return vnetHeader ? VirtioNetHeader.SIZE : 0;
    }

    /** The {@link TunOffload} flags the kernel accepted; 0 without a virtio-net header. */
    public int offloads() {
        return offloads;
    }

    /** Whether all of the {@link TunOffload} {@code flags} are active. */
    public boolean hasOffloads(int flags) {
        return (offloads & flags) == flags;
    }

    /** The IFF_* flags the driver reported through TUNGETFEATURES. */
    public int kernelFeatures() {
        return kernelFeatures;
    }

    /**
     * Closes every queue (which removes the interface) and the device's arena. Idempotent. All
     * descriptors are closed even if one close fails; the first failure is then thrown.
     */
    @Override
    public void close() throws ErrnoException {
        if (closed) {
            return;
        }
        closed = true;
        ErrnoException first = null;
        for (TunQueue q : queues) {
            try {
                q.close();
            } catch (ErrnoException e) {
                if (first == null) {
                    first = e;
                }
            }
        }
        arena.close();
        if (first != null) {
            throw first;
        }
    }

    @Override
    public String toString() {
        return mode + " " + name + " (" + queues.length + " queue" + (queues.length == 1 ? "" : "s")
                + (vnetHeader ? ", vnet header, offloads " + TunOffload.describe(offloads) : "") + ")";
    }

    /**
     * What to open. Defaults: name {@value #DEFAULT_NAME}, one queue, no virtio-net header,
     * non-blocking descriptors, device path {@value #DEFAULT_DEVICE_PATH}.
     */
    public static final class Builder {
        private final Mode mode;
        private String name = DEFAULT_NAME;
        private int queues = 1;
        private boolean multiQueue;
        private boolean vnetHeader;
        private int offloads;
        private boolean blocking;
        private String devicePath = DEFAULT_DEVICE_PATH;

        private Builder(Mode mode) {
            this.mode = mode;
        }

        /** Interface name, or a pattern with one "%d" for the kernel to fill in; at most 15 bytes. */
        public Builder name(String value) {
            this.name = value;
            return this;
        }

        /**
         * Number of queues (descriptors). More than one implies {@code IFF_MULTI_QUEUE}; the kernel
         * spreads flows across queues by hash and allows at most 256.
         */
        public Builder queues(int value) {
            this.queues = value;
            return this;
        }

        /** Forces {@code IFF_MULTI_QUEUE} even for one queue, so more can be attached later by name. */
        public Builder multiQueue(boolean value) {
            this.multiQueue = value;
            return this;
        }

        /** Prefix every packet with a virtio-net header ({@code IFF_VNET_HDR}, 10 bytes). */
        public Builder vnetHeader(boolean value) {
            this.vnetHeader = value;
            return this;
        }

        /**
         * {@link TunOffload} flags to ask for (needs {@link #vnetHeader}); the device gets the richest
         * subset the kernel accepts, see {@link TunDevice#offloads()}.
         */
        public Builder offloads(int flags) {
            this.offloads = flags;
            return this;
        }

        /** Blocking descriptors instead of the default non-blocking ones. */
        public Builder blocking(boolean value) {
            this.blocking = value;
            return this;
        }

        /** The clone device to open; only tests change it. */
        public Builder devicePath(String value) {
            this.devicePath = value;
            return this;
        }

        /**
         * Creates (or attaches to) the interface in the calling thread's network namespace and opens
         * its queues. On failure every descriptor opened so far is closed and nothing is left behind.
         *
         * @throws IllegalArgumentException for a bad name, queue count or offload combination
         * @throws ErrnoException naming the device path or interface when the kernel refuses
         */
        public TunDevice open() throws ErrnoException {
            validate();
            int iffFlags = mode.iffFlag | TunAbi.IFF_NO_PI
                    | (multiQueue || queues > 1 ? TunAbi.IFF_MULTI_QUEUE : 0)
                    | (vnetHeader ? TunAbi.IFF_VNET_HDR : 0);
            int[] fds = new int[queues];
            Arrays.fill(fds, -1);
            Arena arena = Arena.ofShared();
            try (Arena setup = Arena.ofConfined()) {
                MemorySegment path = setup.allocateFrom(devicePath);
                MemorySegment ifr = setup.allocate(IfReq.SIZE);
                MemorySegment intArg = setup.allocate(ValueLayout.JAVA_INT);
                int openFlags = Libc.O_RDWR | Libc.O_CLOEXEC | (blocking ? 0 : Libc.O_NONBLOCK);
                String actual = name;
                int features = 0;
                for (int i = 0; i < queues; i++) {
                    String what = queues > 1 ? actual + " queue " + i : actual;
                    fds[i] = Libc.open(path, openFlags, 0, devicePath + " for " + mode + " " + what);
                    if (i == 0) {
                        Libc.ioctl(fds[0], TunAbi.TUNGETFEATURES, intArg, "TUNGETFEATURES, " + what);
                        features = intArg.get(ValueLayout.JAVA_INT, 0);
                        requireFeatures(features, iffFlags, what);
                    }
                    IfReq.set(ifr, actual, iffFlags);
                    Libc.ioctl(fds[i], TunAbi.TUNSETIFF, ifr, "TUNSETIFF, " + mode + " " + what);
                    if (i == 0) {
                        actual = IfReq.name(ifr);
                    }
                }
                int active = 0;
                if (vnetHeader) {
                    // The size and offloads belong to the device, so setting them through queue 0 covers all.
                    intArg.set(ValueLayout.JAVA_INT, 0, VirtioNetHeader.SIZE);
                    Libc.ioctl(fds[0], TunAbi.TUNSETVNETHDRSZ, intArg, "TUNSETVNETHDRSZ 10, " + actual);
                    active = TunOffload.negotiate(fds[0], offloads, actual);
                }
                TunQueue[] qs = new TunQueue[queues];
                for (int i = 0; i < queues; i++) {
                    qs[i] = new TunQueue(actual, i, fds[i], blocking, arena.allocate(TunQueue.pollFdSize(), 8));
                }
                return new TunDevice(actual, mode, features, vnetHeader, active, qs, arena);
            } catch (ErrnoException | RuntimeException | Error e) {
                closeQuietly(fds, e);
                arena.close();
                throw e;
            }
        }

        private void validate() {
            IfReq.validateName(name);
            if (queues < 1 || queues > TunAbi.MAX_QUEUES) {
                throw new IllegalArgumentException("queues for " + name + " must be 1.." + TunAbi.MAX_QUEUES
                        + ", got " + queues);
            }
            TunOffload.validate(offloads);
            if (offloads != 0 && !vnetHeader) {
                throw new IllegalArgumentException("offloads " + TunOffload.describe(offloads) + " for " + name
                        + " need vnetHeader(true): super-packets are described by the virtio-net header");
            }
        }

        private static void requireFeatures(int features, int wanted, String what) throws ErrnoException {
            int missing = wanted & ~features;
            if (missing != 0) {
                throw new ErrnoException("TUNSETIFF, " + what + ": the kernel's tun driver lacks IFF flags 0x"
                        + Integer.toHexString(missing), Errno.EOPNOTSUPP);
            }
        }

        private static void closeQuietly(int[] fds, Throwable cause) {
            for (int fd : fds) {
                if (fd >= 0) {
                    try {
                        Libc.close(fd);
                    } catch (ErrnoException e) {
                        cause.addSuppressed(e);
                    }
                }
            }
        }
    }
}
