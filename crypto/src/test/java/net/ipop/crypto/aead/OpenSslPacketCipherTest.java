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

    @ParameterizedTest
    @EnumSource(Suite.class)
    void anInPlaceOpenerDecryptsWhereTheMessageLiesAndStillRefusesForgeriesAndReplays(Suite suite) {
        byte[] k = new byte[32];
        k[0] = 5;
        byte[] p = new byte[1400];
        new java.util.Random(8).nextBytes(p);
        AeadScratch scratch = new AeadScratch();
        try (Arena arena = Arena.ofConfined();
             PacketSealer sealer = new PacketSealer(suite, k, 3, scratch, true);
             PacketOpener opener = PacketOpener.decryptingInPlace(suite, k, 3, scratch, true)) {
            MemorySegment m = arena.allocate(p.length + TransportHeader.OVERHEAD);
            MemorySegment.copy(p, 0, m, ValueLayout.JAVA_BYTE, TransportHeader.LENGTH, p.length);
            int len = sealer.seal(m, 0, p.length);
            byte[] sealed = m.toArray(ValueLayout.JAVA_BYTE);
            // The scratch is cleared first: a plaintext showing up in the packet did not come through it.
            scratch.nativeBuffer().fill((byte) 0);
            assertEquals(p.length, opener.open(m, 0, len));
            assertArrayEquals(p, m.asSlice(TransportHeader.LENGTH, p.length).toArray(ValueLayout.JAVA_BYTE));
            assertEquals(-1L, scratch.nativeBuffer().asSlice(0, p.length).mismatch(arena.allocate(p.length)),
                    "the plaintext went through the scratch");
            MemorySegment.copy(sealed, 0, m, ValueLayout.JAVA_BYTE, 0, sealed.length);
            assertEquals(PacketResult.REPLAYED, opener.open(m, 0, len));
            int second = sealer.seal(m, 0, p.length);
            m.set(ValueLayout.JAVA_BYTE, TransportHeader.LENGTH + 7,
                    (byte) (m.get(ValueLayout.JAVA_BYTE, TransportHeader.LENGTH + 7) ^ 1));
            assertEquals(PacketResult.AUTH_FAILED, opener.open(m, 0, second));
            assertEquals(0, opener.highestCounter(), "a forgery does not move the window");
        }
    }

    @Test
    void openSslIsTheDefaultHere() {
        assertTrue(AeadImplementation.openSsl(), AeadImplementation.describe());
        assertTrue(AeadImplementation.describe().startsWith("OpenSSL"), AeadImplementation.describe());
    }
}
