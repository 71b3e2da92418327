package net.ipop.crypto.aead;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import net.ipop.crypto.Suite;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Every {@link PacketCipherTest} on the OpenSSL implementation, which this machine must offer. */
class OpenSslPacketCipherTest extends PacketCipherTest {
    @Override
    boolean useOpenSsl() {
        return true;
    }

    @ParameterizedTest
    @EnumSource(Suite.class)
    void eachImplementationOpensTheOther(Suite suite) {
        byte[] k = new byte[32];
        k[31] = 9;
        byte[] p = new byte[1000];
        new java.util.Random(4).nextBytes(p);
        AeadScratch scratch = new AeadScratch();
        try (Arena arena = Arena.ofConfined();
             PacketSealer jdkSealer = new PacketSealer(suite, k, 3, scratch, false);
             PacketSealer sslSealer = new PacketSealer(suite, k, 3, scratch, true);
             PacketOpener jdkOpener = new PacketOpener(suite, k, 3, scratch, false);
             PacketOpener sslOpener = new PacketOpener(suite, k, 3, scratch, true)) {
            MemorySegment a = arena.allocate(p.length + TransportHeader.OVERHEAD);
            MemorySegment b = arena.allocate(p.length + TransportHeader.OVERHEAD);
            MemorySegment.copy(p, 0, a, ValueLayout.JAVA_BYTE, TransportHeader.LENGTH, p.length);
            MemorySegment.copy(p, 0, b, ValueLayout.JAVA_BYTE, TransportHeader.LENGTH, p.length);
            int len = jdkSealer.seal(a, 0, p.length);
            assertEquals(len, sslSealer.seal(b, 0, p.length));
            assertEquals(-1L, a.mismatch(b), "same key and counter give the same message");
            assertEquals(p.length, sslOpener.open(a, 0, len));
            assertEquals(p.length, jdkOpener.open(b, 0, len));
            assertArrayEquals(p, a.asSlice(TransportHeader.LENGTH, p.length).toArray(ValueLayout.JAVA_BYTE));
            assertArrayEquals(p, b.asSlice(TransportHeader.LENGTH, p.length).toArray(ValueLayout.JAVA_BYTE));
        }
    }

    @Test
    void openSslIsTheDefaultHere() {
        assertTrue(AeadImplementation.openSsl(), AeadImplementation.describe());
        assertTrue(AeadImplementation.describe().startsWith("OpenSSL"), AeadImplementation.describe());
    }
}
