package net.ipop.ffm.tun;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Flyweight over the 10-byte {@code struct virtio_net_hdr} of {@code <linux/virtio_net.h>} that a
 * TUN/TAP device opened with {@code IFF_VNET_HDR} puts in front of every packet it reads and expects
 * in front of every packet written to it.
 *
 * <p>Byte order: the 16-bit fields are in the host's native order. The device is opened without
 * {@code TUNSETVNETLE}/{@code TUNSETVNETBE}, so the driver uses the legacy virtio rule, which is
 * native endianness (little-endian on x86-64 and aarch64); this class therefore reads and writes
 * with {@link java.nio.ByteOrder#nativeOrder()}.
 *
 * <p>Threading and ownership: not thread-safe; one instance per thread, re-pointed at each packet
 * with {@link #wrap}. It borrows the segment until the next {@code wrap}; it never allocates.
 */
public final class VirtioNetHeader {
    public static final int SIZE = 10;

    public static final int FLAGS_OFFSET = 0;
    public static final int GSO_TYPE_OFFSET = 1;
    public static final int HDR_LEN_OFFSET = 2;
    public static final int GSO_SIZE_OFFSET = 4;
    public static final int CSUM_START_OFFSET = 6;
    public static final int CSUM_OFFSET_OFFSET = 8;

    /** The checksum at {@code csum_start + csum_offset} is still to be computed (partial checksum). */
    public static final int F_NEEDS_CSUM = 1;
    /** The checksum has been verified; the receiver need not check it. */
    public static final int F_DATA_VALID = 2;

    public static final int GSO_NONE = 0;
    public static final int GSO_TCPV4 = 1;
    public static final int GSO_UDP = 3;
    public static final int GSO_TCPV6 = 4;
    public static final int GSO_UDP_L4 = 5;
    /** Or-ed into the gso type: the TCP super-packet carries the ECN CWR flag. */
    public static final int GSO_ECN = 0x80;

    // JAVA_SHORT_UNALIGNED is in native order, which is the order the driver uses here (see above).
    private static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED;

    private MemorySegment segment = MemorySegment.NULL;
    private long offset;

    /** Points this flyweight at the header starting at {@code offset} in {@code segment}. */
    public VirtioNetHeader wrap(MemorySegment segment, long offset) {
        this.segment = segment;
        this.offset = offset;
        return this;
    }

    public int flags() {
        return Byte.toUnsignedInt(segment.get(ValueLayout.JAVA_BYTE, offset + FLAGS_OFFSET));
    }

    public VirtioNetHeader flags(int value) {
        segment.set(ValueLayout.JAVA_BYTE, offset + FLAGS_OFFSET, (byte) value);
        return this;
    }

    /** One of the {@code GSO_*} values, possibly with {@link #GSO_ECN} or-ed in. */
    public int gsoType() {
        return Byte.toUnsignedInt(segment.get(ValueLayout.JAVA_BYTE, offset + GSO_TYPE_OFFSET));
    }

    public VirtioNetHeader gsoType(int value) {
        segment.set(ValueLayout.JAVA_BYTE, offset + GSO_TYPE_OFFSET, (byte) value);
        return this;
    }

    /** Bytes of headers (L2/L3/L4) in front of the payload, as a hint for linear copying. */
    public int hdrLen() {
        return Short.toUnsignedInt(segment.get(U16, offset + HDR_LEN_OFFSET));
    }

    public VirtioNetHeader hdrLen(int value) {
        segment.set(U16, offset + HDR_LEN_OFFSET, (short) value);
        return this;
    }

    /** Payload bytes per segment of a super-packet (the MSS for TCP); 0 when not GSO. */
    public int gsoSize() {
        return Short.toUnsignedInt(segment.get(U16, offset + GSO_SIZE_OFFSET));
    }

    public VirtioNetHeader gsoSize(int value) {
        segment.set(U16, offset + GSO_SIZE_OFFSET, (short) value);
        return this;
    }

    /** Offset from the start of the packet (after this header) where checksumming starts. */
    public int csumStart() {
        return Short.toUnsignedInt(segment.get(U16, offset + CSUM_START_OFFSET));
    }

    public VirtioNetHeader csumStart(int value) {
        segment.set(U16, offset + CSUM_START_OFFSET, (short) value);
        return this;
    }

    /** Offset from {@link #csumStart()} where the 16-bit checksum is stored. */
    public int csumOffset() {
        return Short.toUnsignedInt(segment.get(U16, offset + CSUM_OFFSET_OFFSET));
    }

    public VirtioNetHeader csumOffset(int value) {
        segment.set(U16, offset + CSUM_OFFSET_OFFSET, (short) value);
        return this;
    }

    /** Zeroes the header: no flags, {@link #GSO_NONE}, a plain packet with a complete checksum. */
    public VirtioNetHeader clear() {
        // Two stores instead of a slice + fill: no allocation on the packet path.
        segment.set(ValueLayout.JAVA_LONG_UNALIGNED, offset, 0L);
        segment.set(U16, offset + CSUM_OFFSET_OFFSET, (short) 0);
        return this;
    }
}
