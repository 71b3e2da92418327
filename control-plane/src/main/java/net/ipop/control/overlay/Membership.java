package net.ipop.control.overlay;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.Set;

import net.ipop.control.config.MembershipConfig;
import net.ipop.crypto.cert.CaCertificate;
import net.ipop.crypto.cert.CertificateFormatException;
import net.ipop.crypto.cert.MembershipVerifier;
import net.ipop.crypto.cert.NodeCertificate;
import net.ipop.crypto.cert.RevocationList;

/**
 * One overlay's membership as the node uses it: its own certificate (announced in the room) and the verifier
 * every peer's announced certificate must pass before the peer gets a session.
 *
 * @param certificate this node's certificate
 * @param verifier    the overlay CA, its revocation list and the allowed groups
 */
record Membership(NodeCertificate certificate, MembershipVerifier verifier) {

    /**
     * Reads the files {@code config} names (the parser checked them; they are read again because they may have
     * been renewed since).
     *
     * @throws IOException if a file cannot be read or no longer parses
     */
    static Membership load(MembershipConfig config) throws IOException {
        try {
            NodeCertificate own = NodeCertificate.fromPem(read(config.certificateFile()));
            CaCertificate ca = CaCertificate.fromPem(read(config.caFile()));
            RevocationList crl = null;
            if (config.crlFile().isPresent()) {
                crl = RevocationList.fromPem(read(config.crlFile().get()), ca);
            }
            return new Membership(own, new MembershipVerifier(ca, crl, Set.of(), Set.copyOf(config.allowedGroups())));
        } catch (CertificateFormatException | IllegalArgumentException e) {
            throw new IOException("the membership files of the overlay no longer check out: " + e.getMessage(), e);
        }
    }

    private static String read(java.nio.file.Path file) throws IOException {
        return Files.readString(file, StandardCharsets.US_ASCII);
    }
}
