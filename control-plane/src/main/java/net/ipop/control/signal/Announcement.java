package net.ipop.control.signal;

import java.util.Objects;

import net.ipop.crypto.cert.NodeCertificate;

/**
 * A node's presence in an overlay: the certificate its overlay CA issued it. The certificate is
 * parsed and shape-checked ({@link NodeCertificate#parse}) but not trusted here: the control plane
 * verifies chain, validity and revocation ({@code MembershipVerifier}) before it offers a session.
 * The XMPP nick a node joins the room with is its certificate's name; an announcement whose
 * certificate names someone else is dropped as forged.
 *
 * @param certificate the announcing node's certificate
 */
public record Announcement(NodeCertificate certificate) implements SignalMessage {
    public Announcement {
        Objects.requireNonNull(certificate, "certificate");
    }

    /** The node name the certificate binds, which is also the announcer's peer id. */
    public String nodeName() {
        return certificate.name();
    }
}
