package net.ipop.ffm.netlink;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_SHORT_UNALIGNED;

import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;

/**
 * Builds one netlink request in place in a preallocated segment: the {@code nlmsghdr}, a fixed
 * family header the caller fills through its flyweight, then {@code rtattr}s, each padded to 4.
 *
 * <p>Use: {@link #begin}, fill the family header at {@link #BODY_OFFSET}, {@code put*} attributes,
 * {@link #finish} (writes {@code nlmsg_len}, returns the length to send). Not thread-safe; the
 * segment is owned by the caller and reused for every request.
 */
final class NetlinkRequest {
    /** Where the family header (ifinfomsg, ifaddrmsg, rtmsg) starts. */
    static final int BODY_OFFSET = NlMsgHdr.SIZE;
    /** Every request asks for an ack, so success is confirmed and not just assumed. */
    static final int REQUEST_ACK = NlMsgHdr.NLM_F_REQUEST | NlMsgHdr.NLM_F_ACK;

    private final MemorySegment segment;
    private final NlMsgHdr header = new NlMsgHdr();
    private int position;

    NetlinkRequest(MemorySegment segment) {
        this.segment = segment;
    }

    MemorySegment segment() {
        return segment;
    }

    /** Starts a message with a zeroed family header of {@code bodySize} bytes. */
    void begin(int type, int flags, int seq, int bodySize) {
        int bodyEnd = BODY_OFFSET + NlMsgHdr.align(bodySize);
        zero(0, bodyEnd);
        header.wrap(segment, 0).type(type).flags(flags).seq(seq).pid(0);
        position = bodyEnd;
    }

    void putU32(int type, int value) {
        long payload = putHeader(type, 4);
        segment.set(JAVA_INT_UNALIGNED, payload, value);
    }

    void putU8(int type, int value) {
        long payload = putHeader(type, 1);
        segment.set(JAVA_BYTE, payload, (byte) value);
    }

    /**
     * Opens a nested attribute ({@code NLA_NESTED}): the attributes put until {@link #endNested} are its
     * payload. Returns its start, to pass to {@link #endNested}.
     */
    int beginNested(int type) {
        int start = position;
        putHeader(type, 0);
        return start;
    }

    /** Closes the nested attribute opened at {@code start}: its length now covers everything put since. */
    void endNested(int start) {
        segment.set(JAVA_SHORT_UNALIGNED, start + RtAttr.LENGTH_OFFSET, (short) (position - start));
    }

    void putBytes(int type, byte[] value) {
        long payload = putHeader(type, value.length);
        MemorySegment.copy(value, 0, segment, JAVA_BYTE, payload, value.length);
    }

    /** A NUL-terminated string attribute, as the kernel expects for names (NLA_NUL_STRING). */
    void putString(int type, String value) {
        byte[] text = value.getBytes(StandardCharsets.UTF_8);
        long payload = putHeader(type, text.length + 1);
        MemorySegment.copy(text, 0, segment, JAVA_BYTE, payload, text.length);
        segment.set(JAVA_BYTE, payload + text.length, (byte) 0);
    }

    /** Writes {@code nlmsg_len} and returns the number of bytes to send. */
    int finish() {
        header.wrap(segment, 0).length(position);
        return position;
    }

    private long putHeader(int type, int payloadLength) {
        int length = RtAttr.HEADER_SIZE + payloadLength;
        int aligned = NlMsgHdr.align(length);
        if (position + aligned > segment.byteSize()) {
            throw new IllegalStateException("netlink request exceeds " + segment.byteSize() + " bytes");
        }
        long at = position;
        // Zero the padding so no stale bytes of an earlier request go to the kernel.
        zero(at, at + aligned);
        segment.set(JAVA_SHORT_UNALIGNED, at + RtAttr.LENGTH_OFFSET, (short) length);
        segment.set(JAVA_SHORT_UNALIGNED, at + RtAttr.TYPE_OFFSET, (short) type);
        position += aligned;
        return at + RtAttr.HEADER_SIZE;
    }

    /** Zeroes {@code [from, to)}; both are 4-aligned, so whole ints cover it without allocating. */
    private void zero(long from, long to) {
        for (long i = from; i < to; i += 4) {
            segment.set(JAVA_INT_UNALIGNED, i, 0);
        }
    }
}
