package net.ipop.control.config;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;

import net.ipop.crypto.cert.PrivateKeyFiles;
import net.ipop.crypto.cert.X25519Keys;

/** Checks {@code node.privateKeyFile} at validation time: there, owner-only, a valid key. */
final class KeyFiles {
    private KeyFiles() {
    }

    /**
     * Reads the key file and returns its public key, wiping the private key from memory.
     *
     * @throws IllegalArgumentException with the problem and its fix
     */
    static StaticPublicKey publicKeyOf(Path file) {
        String text;
        try {
            text = PrivateKeyFiles.read(file);
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException("no such file " + file + "; create one with: (umask 077; ipop genkey > "
                    + file + ")");
        } catch (PrivateKeyFiles.InsecureKeyFileException e) {
            throw new IllegalArgumentException(e.getMessage()); // it says: chmod 600 FILE
        } catch (AccessDeniedException e) {
            throw new IllegalArgumentException("cannot read " + file + " (permission denied); run ipop as the user"
                    + " that owns the key");
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read " + file + " (" + e.getMessage() + "); it must be a file"
                    + " holding one key from 'ipop genkey'");
        }
        byte[] key = X25519Keys.fromBase64(text, "the key in " + file);
        try {
            return StaticPublicKey.of(X25519Keys.publicKey(key));
        } finally {
            Arrays.fill(key, (byte) 0);
        }
    }
}
