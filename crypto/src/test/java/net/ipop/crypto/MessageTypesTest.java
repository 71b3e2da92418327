package net.ipop.crypto;

import java.util.HashSet;
import java.util.Set;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MessageTypesTest {
    @Test
    void wireGuardSuiteUsesWireGuardNumbers() {
        assertEquals(1, MessageTypes.initiation(Suite.CHACHA20POLY1305));
        assertEquals(2, MessageTypes.response(Suite.CHACHA20POLY1305));
        assertEquals(3, MessageTypes.cookieReply(Suite.CHACHA20POLY1305));
        assertEquals(4, MessageTypes.data(Suite.CHACHA20POLY1305));
    }

    @Test
    void everyTypeIsDistinctAndMapsBackToItsSuite() {
        Set<Byte> seen = new HashSet<>();
        for (Suite s : Suite.values()) {
            for (byte t : new byte[] {MessageTypes.initiation(s), MessageTypes.response(s),
                    MessageTypes.cookieReply(s), MessageTypes.data(s)}) {
                assertTrue(seen.add(t), "type " + t + " used twice");
                assertEquals(s, MessageTypes.suiteOf(t));
            }
        }
        assertNull(MessageTypes.suiteOf((byte) 0));
        assertNull(MessageTypes.suiteOf((byte) 5));
    }
}
