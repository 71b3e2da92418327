package net.ipop.dataplane.packet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Random;

import org.junit.jupiter.api.Test;

/** TTL / hop limit decrement: the incremental IPv4 checksum equals a full recomputation, and 0 or 1 refuse. */
class HopLimitTest {
    @Test
    void incrementalIpv4ChecksumMatchesAFullRecomputation() {
        Random random = new Random(7);
        MemorySegment header = MemorySegment.ofArray(new byte[20]);
        MemorySegment copy = MemorySegment.ofArray(new byte[20]);
        for (int i = 0; i < 100_000; i++) {
            for (int b = 0; b < 20; b++) {
                header.set(ValueLayout.JAVA_BYTE, b, (byte) random.nextInt());
            }
            header.set(ValueLayout.JAVA_BYTE, 0, (byte) 0x45);
            int ttl = 2 + random.nextInt(254);
            header.set(ValueLayout.JAVA_BYTE, Ipv4.TTL_OFFSET, (byte) ttl);
            Ipv4.fixHeaderChecksum(header, 0);
            MemorySegment.copy(header, 0, copy, 0, 20);

            assertTrue(HopLimit.decrement(header, 0, 4));
            assertEquals(ttl - 1, header.get(ValueLayout.JAVA_BYTE, Ipv4.TTL_OFFSET) & 0xFF);
            assertEquals(0, InternetChecksum.of(header, 0, 20), "header " + i + " no longer verifies");
            copy.set(ValueLayout.JAVA_BYTE, Ipv4.TTL_OFFSET, (byte) (ttl - 1));
            Ipv4.fixHeaderChecksum(copy, 0);
            assertEquals(InternetChecksum.of(copy, 0, 20), InternetChecksum.of(header, 0, 20));
        }
    }

    @Test
    void aHopCountOfOneOrZeroIsRefusedAndLeftAlone() {
        MemorySegment v4 = MemorySegment.ofArray(new byte[20]);
        v4.set(ValueLayout.JAVA_BYTE, 0, (byte) 0x45);
        MemorySegment v6 = MemorySegment.ofArray(new byte[40]);
        v6.set(ValueLayout.JAVA_BYTE, 0, (byte) 0x60);
        for (int hops = 0; hops <= 1; hops++) {
            v4.set(ValueLayout.JAVA_BYTE, Ipv4.TTL_OFFSET, (byte) hops);
            Ipv4.fixHeaderChecksum(v4, 0);
            int sum = Net.u16(v4, Ipv4.CHECKSUM_OFFSET);
            assertFalse(HopLimit.decrement(v4, 0, 4));
            assertEquals(hops, v4.get(ValueLayout.JAVA_BYTE, Ipv4.TTL_OFFSET));
            assertEquals(sum, Net.u16(v4, Ipv4.CHECKSUM_OFFSET));
            v6.set(ValueLayout.JAVA_BYTE, Ipv6.HOP_LIMIT_OFFSET, (byte) hops);
            assertFalse(HopLimit.decrement(v6, 0, 6));
            assertEquals(hops, v6.get(ValueLayout.JAVA_BYTE, Ipv6.HOP_LIMIT_OFFSET));
        }
        v6.set(ValueLayout.JAVA_BYTE, Ipv6.HOP_LIMIT_OFFSET, (byte) 255);
        assertTrue(HopLimit.decrement(v6, 0, 6));
        assertEquals(254, v6.get(ValueLayout.JAVA_BYTE, Ipv6.HOP_LIMIT_OFFSET) & 0xFF);
    }
}
