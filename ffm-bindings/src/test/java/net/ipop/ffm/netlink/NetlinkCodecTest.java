package net.ipop.ffm.netlink;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

import org.junit.jupiter.api.Test;

import net.ipop.ffm.libc.Sockets;

/** Byte-exact checks of the request builder and the attribute walker against the uapi layouts. */
class NetlinkCodecTest {
    @Test
    void buildsAnRtmNewaddrByteForByte() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment segment = arena.allocate(256);
            segment.fill((byte) 0x5a);  // stale bytes must not leak into padding
            NetlinkRequest request = new NetlinkRequest(segment);
            request.begin(IfAddrMsg.RTM_NEWADDR,
                    NlMsgHdr.NLM_F_REQUEST | NlMsgHdr.NLM_F_ACK | NlMsgHdr.NLM_F_CREATE | NlMsgHdr.NLM_F_EXCL,
                    7, IfAddrMsg.SIZE);
            new IfAddrMsg().wrap(segment, NetlinkRequest.BODY_OFFSET)
                    .family(Sockets.AF_INET).prefixLength(24).flags(0).scope(0).index(5);
            request.putBytes(IfAddrMsg.IFA_LOCAL, new byte[] {(byte) 192, 0, 2, 1});
            request.putBytes(IfAddrMsg.IFA_ADDRESS, new byte[] {(byte) 192, 0, 2, 1});
            int length = request.finish();

            ByteBuffer want = ByteBuffer.allocate(40).order(ByteOrder.nativeOrder());
            want.putInt(40).putShort((short) 20).putShort((short) 0x605).putInt(7).putInt(0);  // nlmsghdr
            want.put((byte) 2).put((byte) 24).put((byte) 0).put((byte) 0).putInt(5);         // ifaddrmsg
            want.putShort((short) 8).putShort((short) 2).put(new byte[] {(byte) 192, 0, 2, 1}); // IFA_LOCAL
            want.putShort((short) 8).putShort((short) 1).put(new byte[] {(byte) 192, 0, 2, 1}); // IFA_ADDRESS
            assertEquals(40, length);
            assertArrayEquals(want.array(), segment.asSlice(0, length).toArray(ValueLayout.JAVA_BYTE));
        }
    }

    @Test
    void padsStringAndOddAttributesToFourBytes() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment segment = arena.allocate(256);
            segment.fill((byte) 0x5a);
            NetlinkRequest request = new NetlinkRequest(segment);
            request.begin(IfInfoMsg.RTM_GETLINK, NlMsgHdr.NLM_F_REQUEST, 1, IfInfoMsg.SIZE);
            request.putString(IfInfoMsg.IFLA_IFNAME, "ipop0");  // 5 chars + NUL = 6, padded to 8
            request.putU32(IfInfoMsg.IFLA_MTU, 1420);
            int length = request.finish();
            assertEquals(16 + 16 + 4 + 8 + 8, length);
            byte[] bytes = segment.asSlice(0, length).toArray(ValueLayout.JAVA_BYTE);
            for (int i = 16; i < 32; i++) {
                assertEquals(0, bytes[i], "ifinfomsg byte " + i + " must be zeroed");
            }
            assertEquals(10, segment.get(ValueLayout.JAVA_SHORT_UNALIGNED, 32));  // rta_len excludes padding
            assertEquals('0', bytes[40]);
            assertEquals(0, bytes[41]);
            assertEquals(0, bytes[42]);
            assertEquals(0, bytes[43]);

            RtAttr attr = new RtAttr().wrap(segment, 32, length);
            assertTrue(attr.next());
            assertEquals(IfInfoMsg.IFLA_IFNAME, attr.type());
            assertEquals("ipop0", attr.string());
            assertTrue(attr.next());
            assertEquals(IfInfoMsg.IFLA_MTU, attr.type());
            assertEquals(1420, attr.u32());
            assertFalse(attr.next());
        }
    }

    @Test
    void nestsTheIpv6AddrGenModeInsideAfSpecLikeIproute2() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment segment = arena.allocate(256);
            segment.fill((byte) 0x5a);
            NetlinkRequest request = new NetlinkRequest(segment);
            request.begin(IfInfoMsg.RTM_NEWLINK, NlMsgHdr.NLM_F_REQUEST | NlMsgHdr.NLM_F_ACK, 3, IfInfoMsg.SIZE);
            int afSpec = request.beginNested(IfInfoMsg.IFLA_AF_SPEC);
            int inet6 = request.beginNested(Sockets.AF_INET6);
            request.putU8(IfInfoMsg.IFLA_INET6_ADDR_GEN_MODE, IfInfoMsg.IN6_ADDR_GEN_MODE_NONE);
            request.endNested(inet6);
            request.endNested(afSpec);
            int length = request.finish();

            ByteBuffer want = ByteBuffer.allocate(48).order(ByteOrder.nativeOrder());
            want.putInt(48).putShort((short) 16).putShort((short) 5).putInt(3).putInt(0);  // nlmsghdr
            want.put(new byte[16]);                                                       // ifinfomsg
            want.putShort((short) 16).putShort((short) 26);                               // IFLA_AF_SPEC
            want.putShort((short) 12).putShort((short) 10);                               //   AF_INET6
            want.putShort((short) 5).putShort((short) 8).put((byte) 1).put(new byte[3]); //     ADDR_GEN_MODE none
            assertEquals(48, length);
            assertArrayEquals(want.array(), segment.asSlice(0, length).toArray(ValueLayout.JAVA_BYTE));
        }
    }

    @Test
    void attributeWalkStopsAtMalformedLengths() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment segment = arena.allocate(64);
            // One good u32 attribute, then one claiming 200 bytes in a 16-byte run.
            segment.set(ValueLayout.JAVA_SHORT_UNALIGNED, 0, (short) 8);
            segment.set(ValueLayout.JAVA_SHORT_UNALIGNED, 2, (short) (4 | 0x8000));  // NLA_F_NESTED masked off
            segment.set(ValueLayout.JAVA_INT_UNALIGNED, 4, 99);
            segment.set(ValueLayout.JAVA_SHORT_UNALIGNED, 8, (short) 200);
            segment.set(ValueLayout.JAVA_SHORT_UNALIGNED, 10, (short) 3);
            RtAttr attr = new RtAttr().wrap(segment, 0, 16);
            assertTrue(attr.next());
            assertEquals(4, attr.type());
            assertEquals(99, attr.u32());
            assertFalse(attr.next());

            // A length below the header size would loop forever if accepted.
            segment.set(ValueLayout.JAVA_SHORT_UNALIGNED, 0, (short) 2);
            assertFalse(new RtAttr().wrap(segment, 0, 16).next());
            // A header cut off by the end of the run.
            assertFalse(new RtAttr().wrap(segment, 0, 3).next());
        }
    }
}
