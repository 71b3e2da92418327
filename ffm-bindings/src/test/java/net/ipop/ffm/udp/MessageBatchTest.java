package net.ipop.ffm.udp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import org.junit.jupiter.api.Test;

/** The mmsghdr and cmsg bytes a batch hands to the kernel, checked without a kernel. */
@SuppressWarnings("restricted") // follows the pointers the batch wrote, as the kernel will
class MessageBatchTest {
    private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED;
    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED;

    @Test
    void sendHeaderCarriesDestinationIovecAndPacketInfoThenSegmentMessage() {
        try (MessageBatch b = new MessageBatch(4, 2048)) {
            b.remote(2).setIpv6(0x20010db800000000L, 2, 4500, 0);
            b.local(2).setIpv4(0xC0000202, 0);
            b.setLength(2, 2000);
            b.setSegmentSize(2, 1000);
            b.prepareSend(2, 1);

            MemorySegment h = b.headers(2);
            assertEquals(b.remoteAddress(2), h.get(LONG, MsgHdr.NAME_OFFSET));
            assertEquals(28, h.get(INT, MsgHdr.NAMELEN_OFFSET));
            assertEquals(1L, h.get(LONG, MsgHdr.IOVLEN_OFFSET));
            MemorySegment iov = MemorySegment.ofAddress(h.get(LONG, MsgHdr.IOV_OFFSET)).reinterpret(16);
            assertEquals(b.bufferAddress(2), iov.get(LONG, MsgHdr.IOV_BASE_OFFSET));
            assertEquals(2000L, iov.get(LONG, MsgHdr.IOV_LEN_OFFSET));

            assertEquals(b.controlAddress(2), h.get(LONG, MsgHdr.CONTROL_OFFSET));
            assertEquals(32 + 24, h.get(LONG, MsgHdr.CONTROLLEN_OFFSET), "CMSG_SPACE(12) + CMSG_SPACE(2)");
            assertEquals(32, b.packetInfoLength(2));
            MemorySegment c = MemorySegment.ofAddress(b.controlAddress(2)).reinterpret(MessageBatch.CONTROL_SIZE);
            assertEquals(28L, c.get(LONG, 0), "CMSG_LEN(sizeof(struct in_pktinfo))");
            assertEquals(0, c.get(INT, 8), "SOL_IP");
            assertEquals(8, c.get(INT, 12), "IP_PKTINFO");
            assertEquals(0, c.get(INT, 16), "ipi_ifindex");
            assertEquals(0xC0000202, Integer.reverseBytes(c.get(INT, 20)), "ipi_spec_dst, network order");
            assertEquals(18L, c.get(LONG, 32), "CMSG_LEN(sizeof(u16))");
            assertEquals(17, c.get(INT, 40), "SOL_UDP");
            assertEquals(103, c.get(INT, 44), "UDP_SEGMENT");
            assertEquals(1000, c.get(ValueLayout.JAVA_SHORT_UNALIGNED, 48));
        }
    }

    @Test
    void noGsoMessageWhenTheSlotFitsOneSegmentAndNoPktinfoWhenLocalIsEmpty() {
        try (MessageBatch b = new MessageBatch(1, 1500)) {
            b.remote(0).setIpv4(0x7f000001, 9);
            b.setLength(0, 1200);
            b.setSegmentSize(0, 1200);
            b.prepareSend(0, 1);
            MemorySegment h = b.headers(0);
            assertEquals(16, h.get(INT, MsgHdr.NAMELEN_OFFSET));
            assertEquals(0L, h.get(LONG, MsgHdr.CONTROLLEN_OFFSET));
        }
    }

    @Test
    void rejectsBadSizesAndSlotsWithoutDestination() {
        assertThrows(IllegalArgumentException.class, () -> new MessageBatch(0, 100));
        assertThrows(IllegalArgumentException.class, () -> new MessageBatch(MessageBatch.MAX_CAPACITY + 1, 100));
        assertThrows(IllegalArgumentException.class, () -> new MessageBatch(1, MessageBatch.MAX_BUFFER_SIZE + 1));
        try (MessageBatch b = new MessageBatch(2, 100)) {
            assertThrows(IllegalArgumentException.class, () -> b.setLength(0, 101));
            assertThrows(IllegalArgumentException.class, () -> b.setSegmentSize(0, 65536));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> b.prepareSend(1, 1));
            assertEquals("send slot 1 has no destination address", e.getMessage());
        }
    }
}
