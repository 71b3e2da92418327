package net.ipop.ffm.tun;

/**
 * Request numbers and interface flags of the TUN/TAP character device, mirroring
 * {@code <linux/if_tun.h>} and {@code <linux/if.h>} (values measured on the target kernel, see
 * docs/facts.md).
 */
final class TunAbi {
    /** {@code _IOW('T', 202, int)}: attach this fd to a device (creating it if needed). */
    static final long TUNSETIFF = 0x400454caL;
    /** {@code _IOR('T', 207, unsigned int)}: the IFF_* flags this kernel's driver supports. */
    static final long TUNGETFEATURES = 0x800454cfL;
    /** {@code _IOW('T', 208, unsigned int)}: offload flags; the argument is the value, not a pointer. */
    static final long TUNSETOFFLOAD = 0x400454d0L;
    /** {@code _IOW('T', 216, int)}: size of the virtio-net header prepended to every packet. */
    static final long TUNSETVNETHDRSZ = 0x400454d8L;

    static final int IFF_TUN = 0x0001;
    static final int IFF_TAP = 0x0002;
    static final int IFF_MULTI_QUEUE = 0x0100;
    static final int IFF_NO_PI = 0x1000;
    static final int IFF_VNET_HDR = 0x4000;

    /** Upper bound the driver puts on queues per device ({@code MAX_TAP_QUEUES}). */
    static final int MAX_QUEUES = 256;

    private TunAbi() {
    }
}
