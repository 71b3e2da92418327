package net.ipop.ffm.udp;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * {@code struct cmsghdr} ({@code <linux/socket.h>}) and the ancillary messages the UDP layer reads
 * and writes: {@code UDP_SEGMENT}/{@code UDP_GRO} ({@code <linux/udp.h>}), {@code struct in_pktinfo}
 * ({@code <linux/in.h>}) and {@code struct in6_pktinfo} ({@code <linux/ipv6.h>}).
 *
 * <p>On LP64 a header is {@code size_t cmsg_len; int cmsg_level; int cmsg_type;} (16 bytes) and
 * every message is padded to 8 bytes ({@code CMSG_ALIGN}). All methods are allocation-free.
 */
final class Cmsg {
    static final int HEADER_SIZE = 16;
    /** {@code size_t cmsg_len}: header plus data, without trailing padding ({@code CMSG_LEN}). */
    static final long LEN_OFFSET = 0;
    static final long LEVEL_OFFSET = 8;
    static final long TYPE_OFFSET = 12;
    static final long DATA_OFFSET = 16;

    static final int SOL_IP = 0;
    static final int SOL_IPV6 = 41;
    static final int SOL_UDP = 17;
    /** Send: {@code u16} segment size. */
    static final int UDP_SEGMENT = 103;
    /** Receive: {@code int} segment size of a coalesced datagram. Also the setsockopt enabling GRO. */
    static final int UDP_GRO = 104;
    /** {@code struct in_pktinfo}: ipi_ifindex int @0, ipi_spec_dst @4, ipi_addr (header destination) @8. */
    static final int IP_PKTINFO = 8;
    static final int IN_PKTINFO_SIZE = 12;
    static final long IN_PKTINFO_IFINDEX_OFFSET = 0;
    static final long IN_PKTINFO_SPEC_DST_OFFSET = 4;
    static final long IN_PKTINFO_ADDR_OFFSET = 8;
    /** Receive-side enable option for {@link #IPV6_PKTINFO} (setsockopt only). */
    static final int IPV6_RECVPKTINFO = 49;
    /** {@code struct in6_pktinfo}: ipi6_addr[16] @0, ipi6_ifindex int @16. */
    static final int IPV6_PKTINFO = 50;
    static final int IN6_PKTINFO_SIZE = 20;
    static final long IN6_PKTINFO_ADDR_OFFSET = 0;
    static final long IN6_PKTINFO_IFINDEX_OFFSET = 16;

    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED;
    private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED;

    private Cmsg() {
    }

    /** {@code CMSG_SPACE(dataLength)}: bytes a message takes in the buffer, padding included. */
    static int space(int dataLength) {
        return HEADER_SIZE + align(dataLength);
    }

    /** {@code CMSG_ALIGN}. */
    static int align(int length) {
        return (length + 7) & ~7;
    }

    /** Writes a header for {@code dataLength} bytes at {@code at}; returns where the data goes. */
    static long writeHeader(MemorySegment control, long at, int level, int type, int dataLength) {
        control.set(LONG, at + LEN_OFFSET, HEADER_SIZE + dataLength);
        control.set(INT, at + LEVEL_OFFSET, level);
        control.set(INT, at + TYPE_OFFSET, type);
        return at + DATA_OFFSET;
    }

    /** Writes a {@code UDP_SEGMENT} message; returns the bytes used. */
    static int writeUdpSegment(MemorySegment control, long at, int segmentSize) {
        long data = writeHeader(control, at, SOL_UDP, UDP_SEGMENT, 2);
        control.set(ValueLayout.JAVA_SHORT_UNALIGNED, data, (short) segmentSize);
        // Zero the padding so the kernel never sees stale bytes from an earlier, different message.
        control.set(ValueLayout.JAVA_SHORT_UNALIGNED, data + 2, (short) 0);
        control.set(INT, data + 4, 0);
        return space(2);
    }

    /**
     * Writes an {@code IP_PKTINFO} choosing the source address: {@code ipi_spec_dst} is the source,
     * {@code ipi_ifindex} 0 lets routing pick the device. Returns the bytes used.
     */
    static int writeIpv4PacketInfo(MemorySegment control, long at, SockAddr source) {
        long data = writeHeader(control, at, SOL_IP, IP_PKTINFO, IN_PKTINFO_SIZE);
        control.set(INT, data + IN_PKTINFO_IFINDEX_OFFSET, 0);
        MemorySegment.copy(source.segment(), source.offset() + SockAddr.IN_ADDR_OFFSET,
                control, data + IN_PKTINFO_SPEC_DST_OFFSET, 4);
        control.set(INT, data + IN_PKTINFO_ADDR_OFFSET, 0);
        control.set(INT, data + IN_PKTINFO_SIZE, 0); // padding
        return space(IN_PKTINFO_SIZE);
    }

    /** Writes an {@code IPV6_PKTINFO} with the source address and its scope id as interface. */
    static int writeIpv6PacketInfo(MemorySegment control, long at, SockAddr source) {
        long data = writeHeader(control, at, SOL_IPV6, IPV6_PKTINFO, IN6_PKTINFO_SIZE);
        MemorySegment.copy(source.segment(), source.offset() + SockAddr.IN6_ADDR_OFFSET,
                control, data + IN6_PKTINFO_ADDR_OFFSET, 16);
        control.set(INT, data + IN6_PKTINFO_IFINDEX_OFFSET, source.scopeId());
        control.set(INT, data + IN6_PKTINFO_SIZE, 0); // padding
        return space(IN6_PKTINFO_SIZE);
    }

    static long length(MemorySegment control, long at) {
        return control.get(LONG, at + LEN_OFFSET);
    }

    static int level(MemorySegment control, long at) {
        return control.get(INT, at + LEVEL_OFFSET);
    }

    static int type(MemorySegment control, long at) {
        return control.get(INT, at + TYPE_OFFSET);
    }
}
