package net.ipop.crypto.aead;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import net.ipop.crypto.Suite;
import org.junit.jupiter.api.Test;

/**
 * {@link IpsecMbAead} against the JDK's AES-256-GCM on every length the vector code has its own path for (each
 * tail of 0-15 bytes after each count of blocks up to several 512-bit rounds, up to 64 KiB), with and without
 * associated data; and which implementation this host picks. The library is installed by {@code
 * ci/install-deps.sh}; whether it may run depends on the CPU, which {@link #cpuQualifies()} reads from {@code
 * /proc/cpuinfo} independently of the library's own check.
 */
class IpsecMbAeadTest {
    private static final List<String> REQUIRED_FLAGS =
            List.of("avx512f", "avx512dq", "avx512cd", "avx512bw", "avx512vl", "vaes", "vpclmulqdq");

    /** Whether this CPU has the instructions the library's VAES/AVX-512 GCM code uses. */
    static boolean cpuQualifies() {
        try (Stream<String> lines = Files.lines(Path.of("/proc/cpuinfo"))) {
            Set<String> flags = lines.filter(l -> l.startsWith("flags")).findFirst()
                    .map(l -> Set.of(l.substring(l.indexOf(':') + 1).trim().split("\\s+")))
                    .orElse(Set.of());
            return flags.containsAll(REQUIRED_FLAGS);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Test
    void availableExactlyWhereTheCpuHasTheInstructions() {
        if (cpuQualifies()) {
            assertTrue(IpsecMbAead.available(), IpsecMbAead.status());
            assertTrue(AeadImplementation.describe().contains("libIPSec_MB.so.1 (VAES/AVX-512) for aes256gcm"),
                    AeadImplementation.describe());
        } else {
            assertFalse(IpsecMbAead.available(), IpsecMbAead.status());
            assertTrue(IpsecMbAead.status().startsWith("off ("), IpsecMbAead.status());
        }
    }

    @Test
    void everyLengthSealsAsTheJdkDoesAndOpens() {
        org.junit.jupiter.api.Assumptions.assumeTrue(cpuQualifies(), "needs VAES and AVX-512");
        byte[] key = new byte[JceAead.KEY_LENGTH];
        Random random = new Random(12);
        random.nextBytes(key);
        JceAead jdk = new JceAead(Suite.AES256GCM, key);
        IpsecMbAead sealer = new IpsecMbAead(key, true);
        IpsecMbAead opener = new IpsecMbAead(key, false);
        List<Integer> lengths = Stream.concat(Stream.iterate(0, n -> n <= 1100, n -> n + 1),
                Stream.of(1419, 1420, 1421, 4095, 4096, 8191, 9000, 16384, 65535)).collect(Collectors.toList());
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

    @Test
    void sealsAndOpensTransportPacketsInPlaceAndAWipedKeyIsZeroAndRefusesWork() {
        org.junit.jupiter.api.Assumptions.assumeTrue(cpuQualifies(), "needs VAES and AVX-512");
        byte[] key = new byte[JceAead.KEY_LENGTH];
        key[3] = 7;
        IpsecMbAead sealer = new IpsecMbAead(key, true);
        IpsecMbAead opener = new IpsecMbAead(key, false);
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
            assertTrue(opener.openInPlace(77L, packet, 16, plain.length));
            assertArrayEquals(plain, packet.asSlice(16, plain.length).toArray(ValueLayout.JAVA_BYTE));
            assertFalse(opener.openInPlace(78L, packet, 16, plain.length), "another counter fails the tag");
        } finally {
            jdk.wipe();
        }
        sealer.wipe();
        opener.wipe();
        assertTrue(sealer.keyZeroed() && opener.keyZeroed());
        assertEquals("libIPSec_MB", sealer.library());
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment packet = arena.allocate(64);
            assertThrows(IllegalStateException.class, () -> sealer.seal(1L, packet, 0, 16));
        }
    }
}
