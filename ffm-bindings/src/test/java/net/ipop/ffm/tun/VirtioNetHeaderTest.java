package net.ipop.ffm.tun;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

import org.junit.jupiter.api.Test;

class VirtioNetHeaderTest {
    @Test
    void fieldsSitAtTheKernelOffsetsInNativeOrder() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment seg = arena.allocate(3 + VirtioNetHeader.SIZE);
            seg.fill((byte) 0x55);
            VirtioNetHeader h = new VirtioNetHeader().wrap(seg, 3);
            h.flags(VirtioNetHeader.F_NEEDS_CSUM).gsoType(VirtioNetHeader.GSO_TCPV4 | VirtioNetHeader.GSO_ECN)
                    .hdrLen(54).gsoSize(1448).csumStart(34).csumOffset(16);
            assertEquals(1, seg.get(ValueLayout.JAVA_BYTE, 3));
            assertEquals((byte) 0x81, seg.get(ValueLayout.JAVA_BYTE, 4));
            ValueLayout.OfShort nat = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.nativeOrder());
            assertEquals(54, seg.get(nat, 3 + 2));
            assertEquals(1448, seg.get(nat, 3 + 4));
            assertEquals(34, seg.get(nat, 3 + 6));
            assertEquals(16, seg.get(nat, 3 + 8));
            assertEquals(0x55, seg.get(ValueLayout.JAVA_BYTE, 2), "nothing written before the header");

            assertEquals(VirtioNetHeader.F_NEEDS_CSUM, h.flags());
            assertEquals(0x81, h.gsoType());
            assertEquals(1448, h.gsoSize());
            h.gsoSize(65000);
            assertEquals(65000, h.gsoSize(), "u16 fields read back unsigned");

            h.clear();
            assertEquals(0, h.flags());
            assertEquals(VirtioNetHeader.GSO_NONE, h.gsoType());
            assertEquals(0, h.hdrLen() | h.gsoSize() | h.csumStart() | h.csumOffset());
        }
    }

    @Test
    void offloadCombinationsAreCheckedAndDescribed() {
        TunOffload.validate(TunOffload.ALL);
        TunOffload.validate(TunOffload.CSUM);
        TunOffload.validate(0);
        assertThrows(IllegalArgumentException.class, () -> TunOffload.validate(TunOffload.TSO4));
        assertThrows(IllegalArgumentException.class, () -> TunOffload.validate(TunOffload.CSUM | TunOffload.USO6));
        assertThrows(IllegalArgumentException.class, () -> TunOffload.validate(0x100));
        assertEquals("CSUM|TSO4|TSO6|USO4|USO6", TunOffload.describe(TunOffload.ALL));
        assertEquals("none", TunOffload.describe(0));
    }
}
