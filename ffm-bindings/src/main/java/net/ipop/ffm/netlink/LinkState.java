package net.ipop.ffm.netlink;

/**
 * A snapshot of one link as RTM_GETLINK reports it.
 *
 * @param ifindex   the kernel's interface index
 * @param name      the interface name
 * @param flags     the {@code IFF_*} flags of {@code <linux/if.h>} ({@code ifi_flags})
 * @param mtu       MTU in bytes
 * @param operState the operational state (carrier and protocol state, not just the admin flag)
 */
public record LinkState(int ifindex, String name, int flags, int mtu, OperState operState) {
    /** Administratively up ({@code IFF_UP}). */
    public boolean isUp() {
        return (flags & IfInfoMsg.IFF_UP) != 0;
    }

    /** Up and with carrier as the kernel sees it ({@code IFF_RUNNING}). */
    public boolean isRunning() {
        return (flags & IfInfoMsg.IFF_RUNNING) != 0;
    }

    /** The driver signals carrier ({@code IFF_LOWER_UP}). */
    public boolean isLowerUp() {
        return (flags & IfInfoMsg.IFF_LOWER_UP) != 0;
    }
}
