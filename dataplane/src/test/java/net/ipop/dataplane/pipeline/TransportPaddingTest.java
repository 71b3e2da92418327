package net.ipop.dataplane.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class TransportPaddingTest {
    @Test
    void roundsUpToSixteenButNeverBeyondTheMtu() {
        assertEquals(0, TransportPadding.paddedLength(0, 1420), "a keepalive stays empty");
        assertEquals(16, TransportPadding.paddedLength(1, 1420));
        assertEquals(16, TransportPadding.paddedLength(16, 1420));
        assertEquals(96, TransportPadding.paddedLength(84, 1420), "an 84-byte ping");
        assertEquals(1408, TransportPadding.paddedLength(1401, 1420));
        assertEquals(1420, TransportPadding.paddedLength(1409, 1420), "capped at the MTU, which is no multiple of 16");
        assertEquals(1420, TransportPadding.paddedLength(1420, 1420));
        assertEquals(1500, TransportPadding.paddedLength(1500, 1500));
    }
}
