package net.ipop.crypto.cert;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;

/**
 * Files that hold private keys: written owner-only (0600) from the moment they exist, and refused
 * on read if group or others have any access, as ssh does. Messages name the file and the fix.
 */
public final class PrivateKeyFiles {
    private static final Set<PosixFilePermission> OWNER_ONLY = PosixFilePermissions.fromString("rw-------");

    private PrivateKeyFiles() {
    }

    /**
     * Creates {@code file} with mode 0600 and writes {@code text}. The mode is set at creation, so
     * the key is never readable by others, even briefly.
     *
     * @throws FileAlreadyExistsException if the file exists (a key is never overwritten)
     */
    public static void writeNew(Path file, String text) throws IOException {
        Files.createFile(file, PosixFilePermissions.asFileAttribute(OWNER_ONLY));
        Files.writeString(file, text, StandardCharsets.UTF_8, StandardOpenOption.TRUNCATE_EXISTING);
        // The umask may have removed bits from the creation mode, never added any; make it exact anyway.
        Files.setPosixFilePermissions(file, OWNER_ONLY);
    }

    /**
     * Reads a key file after checking that only its owner can access it.
     *
     * @throws InsecureKeyFileException if group or others have any permission on it
     * @throws NoSuchFileException      if it does not exist
     */
    public static String read(Path file) throws IOException {
        Set<PosixFilePermission> perms = Files.getPosixFilePermissions(file, LinkOption.NOFOLLOW_LINKS);
        for (PosixFilePermission p : perms) {
            if (p != PosixFilePermission.OWNER_READ && p != PosixFilePermission.OWNER_WRITE
                    && p != PosixFilePermission.OWNER_EXECUTE) {
                throw new InsecureKeyFileException(file + " holds a private key but group or others can access it"
                        + " (mode " + PosixFilePermissions.toString(perms) + "); run: chmod 600 " + file);
            }
        }
        return Files.readString(file, StandardCharsets.UTF_8);
    }

    /** A key file that others could read; the message says how to fix it. */
    public static final class InsecureKeyFileException extends IOException {
        private static final long serialVersionUID = 1L;

        InsecureKeyFileException(String message) {
            super(message);
        }
    }
}
