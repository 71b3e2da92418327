package net.ipop.ffm.netlink;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED;

import java.lang.foreign.MemorySegment;

/**
 * Flyweight over {@code struct rtmsg} and the route attributes of {@code <linux/rtnetlink.h>}, the
 * fixed header of RTM_NEWROUTE/RTM_DELROUTE/RTM_GETROUTE.
 */
final class RtMsg {
    static final int FAMILY_OFFSET = 0;    // unsigned char rtm_family
    static final int DST_LEN_OFFSET = 1;   // unsigned char rtm_dst_len: destination prefix length
    static final int SRC_LEN_OFFSET = 2;   // unsigned char rtm_src_len
    static final int TOS_OFFSET = 3;       // unsigned char rtm_tos
    static final int TABLE_OFFSET = 4;     // unsigned char rtm_table (RTA_TABLE for ids > 255)
    static final int PROTOCOL_OFFSET = 5;  // unsigned char rtm_protocol (RTPROT_*)
    static final int SCOPE_OFFSET = 6;     // unsigned char rtm_scope (RT_SCOPE_*)
    static final int TYPE_OFFSET = 7;      // unsigned char rtm_type (RTN_*)
    static final int FLAGS_OFFSET = 8;     // unsigned rtm_flags (RTM_F_*)
    static final int SIZE = 12;

    static final int RTM_NEWROUTE = 24;
    static final int RTM_DELROUTE = 25;
    static final int RTM_GETROUTE = 26;

    static final int RTA_DST = 1;
    static final int RTA_OIF = 4;
    static final int RTA_GATEWAY = 5;
    static final int RTA_TABLE = 15;

    static final int RT_TABLE_MAIN = 254;
    static final int RT_SCOPE_UNIVERSE = 0;
    static final int RT_SCOPE_LINK = 253;
    /** In a delete request: match a route of any scope. */
    static final int RT_SCOPE_NOWHERE = 255;
    static final int RTN_UNICAST = 1;
    /** A cached clone (IPv6 exceptions, PMTU entries), not a configured route. */
    static final int RTM_F_CLONED = 0x200;

    private MemorySegment segment;
    private long at;

    RtMsg wrap(MemorySegment segment, long offset) {
        this.segment = segment;
        this.at = offset;
        return this;
    }

    int family() {
        return u8(FAMILY_OFFSET);
    }

    RtMsg family(int value) {
        return u8(FAMILY_OFFSET, value);
    }

    int dstLength() {
        return u8(DST_LEN_OFFSET);
    }

    RtMsg dstLength(int value) {
        return u8(DST_LEN_OFFSET, value);
    }

    int table() {
        return u8(TABLE_OFFSET);
    }

    RtMsg table(int value) {
        return u8(TABLE_OFFSET, value);
    }

    int protocol() {
        return u8(PROTOCOL_OFFSET);
    }

    RtMsg protocol(int value) {
        return u8(PROTOCOL_OFFSET, value);
    }

    RtMsg scope(int value) {
        return u8(SCOPE_OFFSET, value);
    }

    int type() {
        return u8(TYPE_OFFSET);
    }

    RtMsg type(int value) {
        return u8(TYPE_OFFSET, value);
    }

    int flags() {
        return segment.get(JAVA_INT_UNALIGNED, at + FLAGS_OFFSET);
    }

    private int u8(int offset) {
        return Byte.toUnsignedInt(segment.get(JAVA_BYTE, at + offset));
    }

    private RtMsg u8(int offset, int value) {
        segment.set(JAVA_BYTE, at + offset, (byte) value);
        return this;
    }
}
