package net.ipop.ffm.netlink;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED;

import java.lang.foreign.MemorySegment;

/**
 * Flyweight over {@code struct ifinfomsg} ({@code <linux/rtnetlink.h>}), the fixed header of
 * RTM_NEWLINK/RTM_GETLINK, plus the link attribute numbers of {@code <linux/if_link.h>} and the
 * interface flags of {@code <linux/if.h>} this package uses.
 */
final class IfInfoMsg {
    static final int FAMILY_OFFSET = 0;   // unsigned char ifi_family, then one pad byte
    static final int TYPE_OFFSET = 2;     // unsigned short ifi_type (ARPHRD_*)
    static final int INDEX_OFFSET = 4;    // int ifi_index
    static final int FLAGS_OFFSET = 8;    // unsigned ifi_flags (IFF_*)
    static final int CHANGE_OFFSET = 12;  // unsigned ifi_change: which ifi_flags bits to apply
    static final int SIZE = 16;

    static final int RTM_NEWLINK = 16;
    static final int RTM_GETLINK = 18;

    static final int IFLA_IFNAME = 3;
    static final int IFLA_MTU = 4;
    static final int IFLA_OPERSTATE = 16;
    /** Nested per address family settings: one nested attribute per family, typed by its AF_* number. */
    static final int IFLA_AF_SPEC = 26;
    /** Inside {@code IFLA_AF_SPEC / AF_INET6}: u8 {@code enum in6_addr_gen_mode} ({@code <linux/if_link.h>}). */
    static final int IFLA_INET6_ADDR_GEN_MODE = 8;
    /** {@code IN6_ADDR_GEN_MODE_EUI64}: the kernel's default, a link-local address from the link address. */
    static final int IN6_ADDR_GEN_MODE_EUI64 = 0;
    /** {@code IN6_ADDR_GEN_MODE_NONE}: no link-local address, hence no DAD, MLD or router solicitations. */
    static final int IN6_ADDR_GEN_MODE_NONE = 1;

    static final int IFF_UP = 0x1;
    static final int IFF_RUNNING = 0x40;
    static final int IFF_LOWER_UP = 0x10000;

    /** IFNAMSIZ of {@code <linux/if.h>}, including the terminating NUL. */
    static final int IFNAMSIZ = 16;

    private MemorySegment segment;
    private long at;

    IfInfoMsg wrap(MemorySegment segment, long offset) {
        this.segment = segment;
        this.at = offset;
        return this;
    }

    IfInfoMsg family(int value) {
        segment.set(JAVA_BYTE, at + FAMILY_OFFSET, (byte) value);
        return this;
    }

    int index() {
        return segment.get(JAVA_INT_UNALIGNED, at + INDEX_OFFSET);
    }

    IfInfoMsg index(int value) {
        segment.set(JAVA_INT_UNALIGNED, at + INDEX_OFFSET, value);
        return this;
    }

    int flags() {
        return segment.get(JAVA_INT_UNALIGNED, at + FLAGS_OFFSET);
    }

    IfInfoMsg flags(int value) {
        segment.set(JAVA_INT_UNALIGNED, at + FLAGS_OFFSET, value);
        return this;
    }

    IfInfoMsg change(int value) {
        segment.set(JAVA_INT_UNALIGNED, at + CHANGE_OFFSET, value);
        return this;
    }
}
