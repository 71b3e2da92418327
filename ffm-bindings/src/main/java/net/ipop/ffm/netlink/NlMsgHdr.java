package net.ipop.ffm.netlink;

import static java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_SHORT_UNALIGNED;

import java.lang.foreign.MemorySegment;

/**
 * Flyweight over {@code struct nlmsghdr} and the framing constants of {@code <linux/netlink.h>}.
 *
 * <p>Netlink fields are in host byte order. Every message and attribute starts on a 4-byte
 * boundary ({@code NLMSG_ALIGN}/{@code RTA_ALIGN}). Not thread-safe: one instance per owner,
 * re-pointed with {@link #wrap} for each message.
 */
final class NlMsgHdr {
    static final int LENGTH_OFFSET = 0;   // __u32 nlmsg_len: header + payload, unaligned
    static final int TYPE_OFFSET = 4;     // __u16 nlmsg_type
    static final int FLAGS_OFFSET = 6;    // __u16 nlmsg_flags
    static final int SEQ_OFFSET = 8;      // __u32 nlmsg_seq
    static final int PID_OFFSET = 12;     // __u32 nlmsg_pid: port id, 0 for the kernel
    static final int SIZE = 16;

    static final int NETLINK_ROUTE = 0;
    static final int SOL_NETLINK = 270;
    static final int NETLINK_CAP_ACK = 10;
    static final int NETLINK_EXT_ACK = 11;

    static final int NLMSG_NOOP = 1;
    static final int NLMSG_ERROR = 2;
    static final int NLMSG_DONE = 3;
    static final int NLMSG_OVERRUN = 4;

    static final int NLM_F_REQUEST = 0x01;
    static final int NLM_F_MULTI = 0x02;
    static final int NLM_F_ACK = 0x04;
    static final int NLM_F_DUMP_INTR = 0x10;
    // Modifiers for GET requests.
    static final int NLM_F_DUMP = 0x300;  // NLM_F_ROOT | NLM_F_MATCH
    // Modifiers for NEW requests.
    static final int NLM_F_REPLACE = 0x100;
    static final int NLM_F_EXCL = 0x200;
    static final int NLM_F_CREATE = 0x400;
    // Flags of an NLMSG_ERROR reply.
    static final int NLM_F_CAPPED = 0x100;
    static final int NLM_F_ACK_TLVS = 0x200;

    /** {@code struct nlmsgerr}: {@code int error} then the offending request's header. */
    static final int ERROR_CODE_OFFSET = SIZE;
    static final int ERROR_REQUEST_OFFSET = SIZE + 4;
    /** {@code enum nlmsgerr_attrs}: the extended-ack text. */
    static final int NLMSGERR_ATTR_MSG = 1;

    private MemorySegment segment;
    private long at;

    /** Points this flyweight at the header starting at {@code offset}; returns {@code this}. */
    NlMsgHdr wrap(MemorySegment segment, long offset) {
        this.segment = segment;
        this.at = offset;
        return this;
    }

    /** Rounds a length up to the 4-byte netlink alignment. */
    static int align(int length) {
        return (length + 3) & ~3;
    }

    int length() {
        return segment.get(JAVA_INT_UNALIGNED, at + LENGTH_OFFSET);
    }

    NlMsgHdr length(int value) {
        segment.set(JAVA_INT_UNALIGNED, at + LENGTH_OFFSET, value);
        return this;
    }

    int type() {
        return Short.toUnsignedInt(segment.get(JAVA_SHORT_UNALIGNED, at + TYPE_OFFSET));
    }

    NlMsgHdr type(int value) {
        segment.set(JAVA_SHORT_UNALIGNED, at + TYPE_OFFSET, (short) value);
        return this;
    }

    int flags() {
        return Short.toUnsignedInt(segment.get(JAVA_SHORT_UNALIGNED, at + FLAGS_OFFSET));
    }

    NlMsgHdr flags(int value) {
        segment.set(JAVA_SHORT_UNALIGNED, at + FLAGS_OFFSET, (short) value);
        return this;
    }

    int seq() {
        return segment.get(JAVA_INT_UNALIGNED, at + SEQ_OFFSET);
    }

    NlMsgHdr seq(int value) {
        segment.set(JAVA_INT_UNALIGNED, at + SEQ_OFFSET, value);
        return this;
    }

    NlMsgHdr pid(int value) {
        segment.set(JAVA_INT_UNALIGNED, at + PID_OFFSET, value);
        return this;
    }
}
