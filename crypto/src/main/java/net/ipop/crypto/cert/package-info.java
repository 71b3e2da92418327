/**
 * Overlay membership: the overlay's CA ({@link net.ipop.crypto.cert.OverlayCa}, operator side),
 * the certificates every node holds ({@link net.ipop.crypto.cert.CaCertificate},
 * {@link net.ipop.crypto.cert.NodeCertificate}, {@link net.ipop.crypto.cert.RevocationList}) and
 * the decision a node makes when a peer completes a handshake
 * ({@link net.ipop.crypto.cert.MembershipVerifier}). Plain X.509 with Ed25519 signatures; the node
 * certificate's subject key is the node's X25519 static key. docs/certificates.md has the format.
 *
 * <p>Nothing here is on the packet path: it runs per handshake or per operator command.
 */
package net.ipop.crypto.cert;
