package net.ipop.ffm.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.concurrent.ThreadLocalRandom;
import java.util.stream.Stream;

/**
 * A uniquely named, not yet existing directory under /dev/shm (for Aeron drivers in tests),
 * deleted recursively on close. Names start with {@code ipopt-} like the test namespaces.
 */
public final class ShmDirectory implements AutoCloseable {
    public final Path path;

    public ShmDirectory(String tag) {
        byte[] random = new byte[4];
        ThreadLocalRandom.current().nextBytes(random);
        path = Path.of("/dev/shm", "ipopt-" + tag + "-" + HexFormat.of().formatHex(random));
    }

    @Override
    public void close() {
        if (!Files.exists(path)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(path)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
