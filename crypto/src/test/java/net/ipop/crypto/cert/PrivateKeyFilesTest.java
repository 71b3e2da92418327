package net.ipop.crypto.cert;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PrivateKeyFilesTest {
    @TempDir
    Path dir;

    @Test
    void writesOwnerOnlyAndNeverOverwrites() throws Exception {
        Path f = dir.resolve("k.key");
        PrivateKeyFiles.writeNew(f, "secret\n");
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(f)));
        assertEquals("secret\n", PrivateKeyFiles.read(f));
        assertThrows(FileAlreadyExistsException.class, () -> PrivateKeyFiles.writeNew(f, "other"));
        assertEquals("secret\n", Files.readString(f));
    }

    @Test
    void refusesAKeyOthersCanReadAndSaysHowToFixIt() throws Exception {
        Path f = dir.resolve("k.key");
        PrivateKeyFiles.writeNew(f, "secret\n");
        for (String mode : new String[] {"rw-r--r--", "rw-r-----", "rw-----w-"}) {
            Files.setPosixFilePermissions(f, PosixFilePermissions.fromString(mode));
            PrivateKeyFiles.InsecureKeyFileException e =
                    assertThrows(PrivateKeyFiles.InsecureKeyFileException.class, () -> PrivateKeyFiles.read(f));
            assertTrue(e.getMessage().contains("chmod 600 " + f), e.getMessage());
            assertTrue(e.getMessage().contains(mode), e.getMessage());
        }
    }
}
