package net.ipop.control.config;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;

/**
 * Files that hold a password (the signalling account's): refused when group or others have any
 * access, as ssh refuses a readable key. Messages name the file and the fix.
 */
public final class SecretFiles {
    /** A password is a line; a larger file is not a password file. */
    static final int MAX_BYTES = 1024;

    private SecretFiles() {
    }

    /**
     * Reads the password: the file's first line without its line end.
     *
     * @throws IOException with a message naming the file and the fix: missing, readable by others, empty,
     *                     too large, not UTF-8
     */
    public static char[] readPassword(Path file) throws IOException {
        Set<PosixFilePermission> perms;
        try {
            perms = Files.getPosixFilePermissions(file, LinkOption.NOFOLLOW_LINKS);
        } catch (NoSuchFileException e) {
            throw new IOException("no such file " + file + "; write the account's password into it with mode 600");
        }
        if (Files.isSymbolicLink(file)) {
            throw new IOException(file + " is a symbolic link; name the password file itself");
        }
        for (PosixFilePermission p : perms) {
            if (p != PosixFilePermission.OWNER_READ && p != PosixFilePermission.OWNER_WRITE
                    && p != PosixFilePermission.OWNER_EXECUTE) {
                throw new IOException(file + " holds a password but group or others can access it (mode "
                        + PosixFilePermissions.toString(perms) + "); run: chmod 600 " + file);
            }
        }
        if (Files.size(file) > MAX_BYTES) {
            throw new IOException(file + " is larger than " + MAX_BYTES + " bytes; it must hold only the password");
        }
        String text = Files.readString(file, StandardCharsets.UTF_8);
        int end = text.indexOf('\n');
        String line = end < 0 ? text : text.substring(0, end);
        if (line.endsWith("\r")) {
            line = line.substring(0, line.length() - 1);
        }
        if (line.isEmpty()) {
            throw new IOException(file + " is empty; write the account's password on its first line");
        }
        return line.toCharArray();
    }
}
