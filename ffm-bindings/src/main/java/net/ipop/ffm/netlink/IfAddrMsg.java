package net.ipop.ffm.netlink;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED;

import java.lang.foreign.MemorySegment;

/**
 * Flyweight over {@code struct ifaddrmsg} and the address attributes of {@code <linux/if_addr.h>},
 * the fixed header of RTM_NEWADDR/RTM_DELADDR/RTM_GETADDR.
 */
final class IfAddrMsg {
    static final int FAMILY_OFFSET = 0;     // __u8 ifa_family
    static final int PREFIXLEN_OFFSET = 1;  // __u8 ifa_prefixlen
    static final int FLAGS_OFFSET = 2;      // __u8 ifa_flags (low 8 bits of IFA_F_*)
    static final int SCOPE_OFFSET = 3;      // __u8 ifa_scope (RT_SCOPE_*)
    static final int INDEX_OFFSET = 4;      // __u32 ifa_index
    static final int SIZE = 8;

    static final int RTM_NEWADDR = 20;
    static final int RTM_DELADDR = 21;
    static final int RTM_GETADDR = 22;

    // IFA_ADDRESS is the prefix (the peer on point-to-point links); IFA_LOCAL the local address (IPv4).
    static final int IFA_ADDRESS = 1;
    static final int IFA_LOCAL = 2;

    /** Skip duplicate address detection: the IPv6 address is usable at once instead of tentative. */
    static final int IFA_F_NODAD = 0x02;

    private MemorySegment segment;
    private long at;

    IfAddrMsg wrap(MemorySegment segment, long offset) {
        this.segment = segment;
        this.at = offset;
        return this;
    }

    int family() {
        return Byte.toUnsignedInt(segment.get(JAVA_BYTE, at + FAMILY_OFFSET));
    }

    IfAddrMsg family(int value) {
        segment.set(JAVA_BYTE, at + FAMILY_OFFSET, (byte) value);
        return this;
    }

    int prefixLength() {
        return Byte.toUnsignedInt(segment.get(JAVA_BYTE, at + PREFIXLEN_OFFSET));
    }

    IfAddrMsg prefixLength(int value) {
        segment.set(JAVA_BYTE, at + PREFIXLEN_OFFSET, (byte) value);
        return this;
    }

    IfAddrMsg flags(int value) {
        segment.set(JAVA_BYTE, at + FLAGS_OFFSET, (byte) value);
        return this;
    }

    IfAddrMsg scope(int value) {
        segment.set(JAVA_BYTE, at + SCOPE_OFFSET, (byte) value);
        return this;
    }

    int index() {
        return segment.get(JAVA_INT_UNALIGNED, at + INDEX_OFFSET);
    }

    IfAddrMsg index(int value) {
        segment.set(JAVA_INT_UNALIGNED, at + INDEX_OFFSET, value);
        return this;
    }
}
