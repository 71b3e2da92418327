package net.ipop.crypto.aead;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import net.ipop.crypto.Suite;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Each native AES-256-GCM implementation against the JDK's, whichever the host would pick: every length the
 * vector code has its own path for (each tail of 0-15 bytes after each count of blocks up to several 512-bit
 * rounds, up to 64 KiB), with and without associated data, a flipped bit refused; and transport packets sealed
 * and opened in place on off-heap memory, as the pipelines do, and a wiped key holding nothing and refusing work.
 */
class NativeAeadTest {
    /** The native AES-256-GCM implementations; each test runs on every one this host can run. */
    enum Library {
        IPSEC_MB, GCRYPT, OPENSSL;

        NativeAead create(byte[] key, boolean encrypt) {
            return switch (this) {
                case IPSEC_MB -> {
                    Assumptions.assumeTrue(IpsecMbAeadTest.cpuQualifies(), "needs AVX-512, VAES and VPCLMULQDQ");
                    yield new IpsecMbAead(key, encrypt);
                }
                case GCRYPT -> new GcryptAead(key, encrypt);
                case OPENSSL -> new OpenSslAead(Suite.AES256GCM, key, encrypt);
            };
        }
    }

    @ParameterizedTest
    @EnumSource(Library.class)
    void everyLengthSealsAsTheJdkDoesAndOpens(Library library) {
        byte[] key = new byte[JceAead.KEY_LENGTH];
        Random random = new Random(12);
        random.nextBytes(key);
        NativeAead sealer = library.create(key, true);
        NativeAead opener = library.create(key, false);
        JceAead jdk = new JceAead(Suite.AES256GCM, key);
        List<Integer> lengths = Stream.concat(Stream.iterate(0, n -> n <= 1100, n -> n + 1),
                Stream.of(1419, 1420, 1421, 4095, 4096, 8191, 9000, 16384, 65535)).toList();
        try {
            for (int len : lengths) {
                for (byte[] aad : new byte[][] {null, new byte[] {1, 2, 3}, new byte[33]}) {
                    byte[] nonce = new byte[JceAead.NONCE_LENGTH];
                    random.nextBytes(nonce);
                    byte[] plain = new byte[len];
                    random.nextBytes(plain);
                    byte[] expected = new byte[len + 16];
                    byte[] sealed = new byte[len + 16];
                    jdk.seal(nonce, aad, plain, 0, len, expected, 0);
                    sealer.seal(nonce, aad, plain, 0, len, sealed, 0);
                    assertArrayEquals(expected, sealed, "length " + len);
                    byte[] back = new byte[len];
                    assertTrue(opener.open(nonce, aad, sealed, 0, sealed.length, back, 0), "length " + len);
                    assertArrayEquals(plain, back, "length " + len);
                    sealed[random.nextInt(sealed.length)] ^= (byte) (1 << random.nextInt(8));
                    assertFalse(opener.open(nonce, aad, sealed, 0, sealed.length, back, 0),
                            "a flipped bit at length " + len);
                }
            }
        } finally {
            jdk.wipe();
            sealer.wipe();
            opener.wipe();
        }
    }

    @ParameterizedTest
    @EnumSource(Library.class)
    void sealsAndOpensTransportPacketsInPlaceAndAWipedKeyIsZeroAndRefusesWork(Library library) {
        byte[] key = new byte[JceAead.KEY_LENGTH];
        key[3] = 7;
        NativeAead sealer = library.create(key, true);
        NativeAead opener = library.create(key, false);
        JceAead jdk = new JceAead(Suite.AES256GCM, key);
        byte[] plain = new byte[1420];
        new Random(3).nextBytes(plain);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment packet = arena.allocate(16 + plain.length + 16);
            MemorySegment.copy(plain, 0, packet, ValueLayout.JAVA_BYTE, 16, plain.length);
            sealer.seal(77L, packet, 16, plain.length);
            byte[] expected = new byte[plain.length + 16];
            jdk.seal(77L, plain, 0, plain.length, expected, 0);
            assertArrayEquals(expected, packet.asSlice(16, expected.length).toArray(ValueLayout.JAVA_BYTE),
                    "the transport nonce (counter 77) as the JDK builds it");
            MemorySegment elsewhere = arena.allocate(plain.length);
            assertTrue(opener.open(77L, packet, 16, plain.length, elsewhere));
            assertArrayEquals(plain, elsewhere.toArray(ValueLayout.JAVA_BYTE), "opened into another buffer");
            assertTrue(opener.openInPlace(77L, packet, 16, plain.length));
            assertArrayEquals(plain, packet.asSlice(16, plain.length).toArray(ValueLayout.JAVA_BYTE));
            assertFalse(opener.openInPlace(78L, packet, 16, plain.length), "another counter fails the tag");
        } finally {
            jdk.wipe();
        }
        sealer.wipe();
        opener.wipe();
        assertTrue(sealer.keyZeroed() && opener.keyZeroed());
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment packet = arena.allocate(64);
            assertThrows(IllegalStateException.class, () -> sealer.seal(1L, packet, 0, 16));
        }
    }
}
