package net.ipop.ffm.netlink;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_SHORT_UNALIGNED;

import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;

/**
 * A cursor over a run of {@code struct rtattr} ({@code <linux/rtnetlink.h>}; the same layout as
 * {@code struct nlattr} of {@code <linux/netlink.h>}): a 4-byte header, the payload, padding to 4.
 *
 * <p>Use: {@code wrap(segment, start, end)}, then {@code while (next()) switch (type()) ...}.
 * A truncated or overlong attribute ends the walk instead of reading past {@code end}, so a
 * malformed reply cannot make the parser read foreign memory. Not thread-safe.
 */
final class RtAttr {
    static final int LENGTH_OFFSET = 0;  // unsigned short rta_len: header + payload, unaligned
    static final int TYPE_OFFSET = 2;    // unsigned short rta_type
    static final int HEADER_SIZE = 4;
    /** NLA_F_NESTED and NLA_F_NET_BYTEORDER share the type field; mask them off. */
    static final int TYPE_MASK = 0x3fff;

    private MemorySegment segment;
    private long next;
    private long end;
    private long at;
    private int length;

    /** Positions the cursor before the first attribute in {@code [start, end)}. */
    RtAttr wrap(MemorySegment segment, long start, long end) {
        this.segment = segment;
        this.next = start;
        this.end = end;
        this.at = -1;
        this.length = 0;
        return this;
    }

    /** Advances to the next attribute; false when there is none (or the rest is malformed). */
    boolean next() {
        if (next + HEADER_SIZE > end) {
            return false;
        }
        int len = Short.toUnsignedInt(segment.get(JAVA_SHORT_UNALIGNED, next + LENGTH_OFFSET));
        if (len < HEADER_SIZE || next + len > end) {
            return false;
        }
        at = next;
        length = len;
        next += NlMsgHdr.align(len);
        return true;
    }

    int type() {
        return Short.toUnsignedInt(segment.get(JAVA_SHORT_UNALIGNED, at + TYPE_OFFSET)) & TYPE_MASK;
    }

    int payloadLength() {
        return length - HEADER_SIZE;
    }

    long payloadOffset() {
        return at + HEADER_SIZE;
    }

    /** The payload as a u32 (host order); 0 if it is shorter than 4 bytes. */
    int u32() {
        return payloadLength() >= 4 ? segment.get(JAVA_INT_UNALIGNED, payloadOffset()) : 0;
    }

    /** The payload as a u8; 0 if empty. */
    int u8() {
        return payloadLength() >= 1 ? Byte.toUnsignedInt(segment.get(JAVA_BYTE, payloadOffset())) : 0;
    }

    /** A copy of the payload (allocates: for addresses on the control path). */
    byte[] bytes() {
        byte[] copy = new byte[payloadLength()];
        MemorySegment.copy(segment, JAVA_BYTE, payloadOffset(), copy, 0, copy.length);
        return copy;
    }

    /** The payload as a NUL-terminated string, bounded by the attribute (allocates). */
    String string() {
        int n = 0;
        int max = payloadLength();
        while (n < max && segment.get(JAVA_BYTE, payloadOffset() + n) != 0) {
            n++;
        }
        byte[] text = new byte[n];
        MemorySegment.copy(segment, JAVA_BYTE, payloadOffset(), text, 0, n);
        return new String(text, StandardCharsets.UTF_8);
    }
}
