package net.ipop.control.config;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import net.ipop.crypto.cert.CaCertificate;
import net.ipop.crypto.cert.CertificateFormatException;
import net.ipop.crypto.cert.MembershipResult;
import net.ipop.crypto.cert.MembershipVerifier;
import net.ipop.crypto.cert.NodeCertificate;
import net.ipop.crypto.cert.RevocationList;
import org.snakeyaml.engine.v2.nodes.Node;

/**
 * The membership keys of one {@code signalling} entry: {@code certificateFile}, {@code caFile}, {@code crlFile},
 * {@code allowedGroups}. The files are read and checked as the node will use them: each parses, the revocation
 * list is the CA's, and this node's own certificate passes the same {@link MembershipVerifier} its peers will
 * apply (issued by the CA, not revoked, valid now, binding the node's key), and names this node, because the
 * certificate's name is the node's nick in the overlay's room.
 */
final class MembershipParser {
    private static final int MAX_FILE_BYTES = 1 << 20;

    private final Problems problems;
    private final Path base;
    private final String nodeName;
    private final StaticPublicKey nodeKey;

    MembershipParser(Problems problems, Path base, String nodeName, StaticPublicKey nodeKey) {
        this.problems = problems;
        this.base = base;
        this.nodeName = nodeName;
        this.nodeKey = nodeKey;
    }

    /** Reads the membership keys of {@code s}; returns null after reporting any problem. */
    MembershipConfig parse(Section s) {
        String certFix = "give this node's certificate from the overlay CA, e.g. certificateFile:"
                + " /etc/ipop/alpha-lab.pem (made with: ipop cert sign)";
        String caFix = "give the overlay CA's certificate, e.g. caFile: /etc/ipop/lab-ca.pem";
        Path certFile = s.require("certificateFile", certFix) == null ? null
                : s.path("certificateFile", base, null, certFix);
        Path caFile = s.require("caFile", caFix) == null ? null : s.path("caFile", base, null, caFix);
        String crlFix = "give the CA's revocation list (PEM, from ipop ca revoke), or leave it out";
        Path crlFile = s.path("crlFile", base, null, crlFix);
        boolean ok = certFile != null && caFile != null && (s.get("crlFile") == null || crlFile != null);
        List<String> groups = groups(s);
        ok &= groups != null;
        CaCertificate ca = null;
        if (caFile != null) {
            try {
                ca = CaCertificate.fromPem(read(caFile));
            } catch (IOException | CertificateFormatException e) {
                problems.at(s.get("caFile"), s.child("caFile"), problem(caFile, e, "a CA certificate") + "; " + caFix);
                ok = false;
            }
        }
        RevocationList crl = null;
        if (crlFile != null && ca != null) {
            try {
                // parse checks the CA's signature: another CA's list is refused here.
                crl = RevocationList.fromPem(read(crlFile), ca);
            } catch (IOException | CertificateFormatException e) {
                problems.at(s.get("crlFile"), s.child("crlFile"), problem(crlFile, e, "a revocation list") + "; "
                        + crlFix);
                ok = false;
            }
        }
        if (certFile != null) {
            try {
                NodeCertificate cert = NodeCertificate.fromPem(read(certFile));
                if (nodeName != null && !cert.name().equals(nodeName)) {
                    problems.at(s.get("certificateFile"), s.child("certificateFile"), certFile + " is the"
                            + " certificate of '" + cert.name() + "', not of this node '" + nodeName + "'; "
                            + certFix);
                    ok = false;
                } else if (ca != null && nodeKey != null && (crlFile == null || crl != null)) {
                    MembershipVerifier verifier = new MembershipVerifier(ca, crl, java.util.Set.of(),
                            java.util.Set.of());
                    MembershipResult r = verifier.verify(cert, nodeKey.bytes(), Instant.now());
                    if (!r.ok()) {
                        problems.at(s.get("certificateFile"), s.child("certificateFile"), "this node's certificate"
                                + " would be refused by its peers: " + r.detail() + "; " + certFix);
                        ok = false;
                    }
                }
            } catch (IOException | CertificateFormatException e) {
                problems.at(s.get("certificateFile"), s.child("certificateFile"), problem(certFile, e,
                        "a node certificate") + "; " + certFix);
                ok = false;
            }
        }
        return ok ? new MembershipConfig(certFile, caFile, Optional.ofNullable(crlFile), groups) : null;
    }

    private List<String> groups(Section s) {
        String fix = "list group names like [lab, ops], or leave allowedGroups out to allow every member";
        List<Node> items = s.list("allowedGroups", fix);
        if (s.get("allowedGroups") == null) {
            return List.of();
        }
        if (items == null) {
            return null;
        }
        List<String> out = new ArrayList<>();
        boolean ok = true;
        for (int i = 0; i < items.size(); i++) {
            String at = Section.element(s.child("allowedGroups"), i);
            String t = s.text(items.get(i), at, fix);
            if (t == null || t.isBlank()) {
                if (t != null) {
                    problems.at(items.get(i), at, "an empty group name; " + fix);
                }
                ok = false;
            } else {
                out.add(t.strip());
            }
        }
        return ok ? out : null;
    }

    /** A PEM file's text; bounded, since a wrong path may name something huge. */
    static String read(Path file) throws IOException {
        if (Files.size(file) > MAX_FILE_BYTES) {
            throw new IOException("larger than " + MAX_FILE_BYTES + " bytes");
        }
        return Files.readString(file, StandardCharsets.US_ASCII);
    }

    private static String problem(Path file, Exception e, String what) {
        if (e instanceof java.nio.file.NoSuchFileException) {
            return "no such file " + file;
        }
        if (e instanceof IOException) {
            return "cannot read " + file + " (" + e.getMessage() + ")";
        }
        return file + " is not " + what + " (" + e.getMessage() + ")";
    }
}
