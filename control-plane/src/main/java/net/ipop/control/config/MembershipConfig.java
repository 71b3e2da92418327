package net.ipop.control.config;

import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Who may join an overlay and how this node proves it is a member: the overlay CA's certificate (the
 * trust anchor), this node's certificate from that CA, the CA's revocation list and an optional allow
 * list of groups. The files were checked when the config was read (they parse, the node's certificate
 * is the CA's, binds this node's name and key and is valid); they are read again when the node starts,
 * so a renewed certificate or a newer revocation list takes effect on the next start.
 *
 * @param certificateFile this node's certificate (PEM), issued by the overlay CA
 * @param caFile          the overlay CA's certificate (PEM)
 * @param crlFile         the CA's revocation list (PEM), or empty: no certificate is revoked
 * @param allowedGroups   peers must be in one of these groups; empty: every member of the overlay
 */
public record MembershipConfig(Path certificateFile, Path caFile, Optional<Path> crlFile,
                               List<String> allowedGroups) {
    public MembershipConfig {
        Objects.requireNonNull(certificateFile, "certificateFile");
        Objects.requireNonNull(caFile, "caFile");
        Objects.requireNonNull(crlFile, "crlFile");
        allowedGroups = List.copyOf(allowedGroups);
    }
}
