package net.ipop.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;

import net.ipop.crypto.cert.CaCertificate;
import net.ipop.crypto.cert.CertificateFormatException;
import net.ipop.crypto.cert.OverlayCa;
import net.ipop.crypto.cert.Pem;
import net.ipop.crypto.cert.PrivateKeyFiles;
import net.ipop.crypto.cert.RevocationList;

/**
 * The CA directory {@code ipop ca create} writes: {@code ca.key} (PKCS#8 PEM, mode 0600),
 * {@code ca.crt} (certificate PEM) and, once something is revoked, {@code ca.crl} (CRL PEM).
 * Every error names the {@code --ca} / {@code --out} directory and the fix, as a {@link CliError}.
 */
final class CaDirectory {
    static final String KEY = "ca.key";
    static final String CERT = "ca.crt";
    static final String CRL = "ca.crl";

    private final Path dir;
    private final String option;

    /** @param option the option that named the directory, for messages ({@code --ca} or {@code --out}) */
    CaDirectory(Path dir, String option) {
        this.dir = dir;
        this.option = option;
    }

    Path key() {
        return dir.resolve(KEY);
    }

    Path cert() {
        return dir.resolve(CERT);
    }

    Path crl() {
        return dir.resolve(CRL);
    }

    private String where() {
        return option + " " + dir;
    }

    /** Reads and checks {@code ca.crt}. */
    CaCertificate readCertificate() {
        requireDirectory();
        try {
            return CaCertificate.fromPem(Files.readString(cert(), StandardCharsets.US_ASCII));
        } catch (NoSuchFileException e) {
            throw CliError.failed(where() + ": " + CERT + " is missing; is this the directory 'ipop ca create' wrote?");
        } catch (IOException e) {
            throw CliError.failed(where() + ": cannot read " + CERT + " (" + e.getMessage() + ")");
        } catch (CertificateFormatException e) {
            throw CliError.failed(where() + ": " + CERT + " is not an IPOP CA certificate (" + e.getMessage() + ")");
        }
    }

    /** Reads the CA with its key; refuses a key file others can access. */
    OverlayCa readCa() {
        CaCertificate certificate = readCertificate();
        String pem;
        try {
            pem = PrivateKeyFiles.read(key());
        } catch (NoSuchFileException e) {
            throw CliError.failed(where() + ": " + KEY + " is missing; signing needs the CA's private key");
        } catch (PrivateKeyFiles.InsecureKeyFileException e) {
            throw CliError.failed(where() + ": " + e.getMessage());
        } catch (IOException e) {
            throw CliError.failed(where() + ": cannot read " + KEY + " (" + e.getMessage() + ")");
        }
        try {
            return OverlayCa.load(certificate, Pem.decode(Pem.PRIVATE_KEY, pem));
        } catch (CertificateFormatException e) {
            throw CliError.failed(where() + ": " + KEY + ": " + e.getMessage());
        }
    }

    /** The current revocation list, or null if none was written yet. */
    RevocationList readRevocations(CaCertificate ca) {
        if (!Files.exists(crl())) {
            return null;
        }
        try {
            return RevocationList.fromPem(Files.readString(crl(), StandardCharsets.US_ASCII), ca);
        } catch (IOException e) {
            throw CliError.failed(where() + ": cannot read " + CRL + " (" + e.getMessage() + ")");
        } catch (CertificateFormatException e) {
            throw CliError.failed(where() + ": " + CRL + " is not this CA's revocation list (" + e.getMessage()
                    + "); move it away to start a new one");
        }
    }

    /** Writes a new CA; refuses if the directory already holds one (a CA is never overwritten). */
    void create(OverlayCa ca) throws IOException {
        if (Files.exists(dir) && !Files.isDirectory(dir)) {
            throw CliError.failed(where() + " is a file, not a directory; choose a directory for the CA");
        }
        for (Path p : new Path[] {key(), cert()}) {
            if (Files.exists(p)) {
                throw CliError.failed(where() + ": " + p.getFileName() + " already exists; refusing to overwrite a CA"
                        + " (choose another " + option + " or remove the old CA yourself)");
            }
        }
        if (!Files.exists(dir)) {
            Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        }
        PrivateKeyFiles.writeNew(key(), Pem.encode(Pem.PRIVATE_KEY, ca.privateKeyPkcs8()));
        writePublic(cert(), ca.certificate().toPem(), false);
    }

    /** Replaces {@code ca.crl} atomically, so a node reading it never sees half a list. */
    void writeRevocations(RevocationList list) throws IOException {
        writePublic(crl(), list.toPem(), true);
    }

    /**
     * Writes a public file (mode 0644). With {@code replace}, through a temporary file and an atomic
     * rename; without, refusing an existing file.
     */
    static void writePublic(Path file, String text, boolean replace) throws IOException {
        var mode = PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-r--r--"));
        byte[] bytes = text.getBytes(StandardCharsets.US_ASCII);
        if (!replace) {
            Files.write(Files.createFile(file, mode), bytes, StandardOpenOption.TRUNCATE_EXISTING);
            return;
        }
        Path parent = file.toAbsolutePath().getParent();
        Path tmp = Files.createTempFile(parent, "." + file.getFileName(), ".tmp", mode);
        try {
            Files.write(tmp, bytes);
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    private void requireDirectory() {
        if (!Files.isDirectory(dir)) {
            throw CliError.failed(where() + ": no such directory; create a CA there with 'ipop ca create --out " + dir
                    + " ...' or point " + option + " at an existing one");
        }
    }
}
