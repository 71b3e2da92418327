package net.ipop.crypto.primitives;

import java.util.HexFormat;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class Tai64nTest {
    private static final HexFormat HEX = HexFormat.of();

    @Test
    void encodesLabelSecondsAndWhitenedNanos() {
        byte[] out = new byte[12];
        Tai64n.encode(0, out, 0);
        assertArrayEquals(HEX.parseHex("400000000000000a00000000"), out);
        // 2^32 s + 0x12345678 ns: nanos lose their low 24 bits.
        Tai64n.encode((1L << 32) * 1_000_000_000L + 0x12345678L, out, 0);
        assertArrayEquals(HEX.parseHex("400000010000000a12000000"), out);
    }

    @Test
    void comparesAsUnsignedTime() {
        byte[] a = new byte[12];
        byte[] b = new byte[12];
        Tai64n.encode(1_700_000_000L * 1_000_000_000L, a, 0);
        Tai64n.encode(1_700_000_000L * 1_000_000_000L + 20_000_000L, b, 0);
        assertTrue(Tai64n.compare(a, 0, b, 0) < 0);
        assertTrue(Tai64n.compare(b, 0, a, 0) > 0);
        // Within one whitening interval two readings encode the same: a replay to the responder.
        Tai64n.encode(1_700_000_000L * 1_000_000_000L + 1_000_000L, b, 0);
        assertEquals(0, Tai64n.compare(a, 0, b, 0));
    }
}
