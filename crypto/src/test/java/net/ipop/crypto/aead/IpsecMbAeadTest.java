package net.ipop.crypto.aead;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Where {@link IpsecMbAead} runs: the library is installed by {@code ci/install-deps.sh}; whether it may run
 * depends on the CPU, which {@link #cpuQualifies()} reads from {@code /proc/cpuinfo} independently of the
 * library's own check. {@link NativeAeadTest} checks what it computes.
 */
class IpsecMbAeadTest {
    private static final List<String> REQUIRED_FLAGS =
            List.of("avx512f", "avx512dq", "avx512cd", "avx512bw", "avx512vl", "vaes", "vpclmulqdq");

    /** Whether this CPU has the instructions the library's VAES/AVX-512 GCM code uses. */
    static boolean cpuQualifies() {
        try (Stream<String> lines = Files.lines(Path.of("/proc/cpuinfo"))) {
            Set<String> flags = lines.filter(l -> l.startsWith("flags")).findFirst()
                    .map(l -> Arrays.stream(l.substring(l.indexOf(':') + 1).trim().split("\\s+"))
                            .collect(Collectors.toSet()))
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
}
