package net.ipop.crypto.cert;

import java.io.IOException;
import java.math.BigInteger;
import java.security.SecureRandom;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Arrays;
import java.util.Collection;
import java.util.Date;
import java.util.List;

import org.bouncycastle.asn1.ASN1Encoding;
import org.bouncycastle.asn1.DEROctetString;
import org.bouncycastle.asn1.edec.EdECObjectIdentifiers;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.asn1.x509.AuthorityKeyIdentifier;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.CRLNumber;
import org.bouncycastle.asn1.x509.CRLReason;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.X509v2CRLBuilder;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.bc.BcX509ExtensionUtils;
import org.bouncycastle.crypto.params.AsymmetricKeyParameter;
import org.bouncycastle.crypto.params.Ed25519PrivateKeyParameters;
import org.bouncycastle.crypto.util.PrivateKeyFactory;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.bc.BcEdECContentSignerBuilder;

/**
 * An overlay CA with its Ed25519 private key: creates itself, issues node certificates and
 * revocation lists. Used by the {@code ipop ca} / {@code ipop cert} verbs on an operator's machine,
 * never by a running node (a node only needs {@link CaCertificate}).
 *
 * <p>Times are truncated to whole seconds, the resolution of X.509 validity. Requests that break a
 * rule (bad name, address outside the overlay, validity outside the CA's) are refused with an
 * {@link IllegalArgumentException} whose message names the offending value; nothing is signed then.
 * Not thread-safe only in the sense that the caller owns the {@link SecureRandom} it passes.
 */
public final class OverlayCa {
    private static final AlgorithmIdentifier ED25519 = new AlgorithmIdentifier(EdECObjectIdentifiers.id_Ed25519);
    private static final int MAX_CA_NAME = 64;

    private final CaCertificate certificate;
    private final Ed25519PrivateKeyParameters key;

    private OverlayCa(CaCertificate certificate, Ed25519PrivateKeyParameters key) {
        this.certificate = certificate;
        this.key = key;
    }

    /**
     * Creates a new CA: a fresh Ed25519 key and a self-signed certificate stating the overlay.
     *
     * @param name     the CA's display name (subject CN), 1 to 64 printable characters
     * @param overlay  the overlay's prefixes, at least one, host bits zero (e.g. 192.0.2.0/24)
     */
    public static OverlayCa create(String name, List<IpPrefix> overlay, Instant notBefore, Instant notAfter,
            SecureRandom random) {
        requireValidName(name);
        if (overlay.isEmpty() || overlay.size() > OverlayExtensions.MAX_ENTRIES) {
            throw new IllegalArgumentException("an overlay needs 1 to " + OverlayExtensions.MAX_ENTRIES + " prefixes");
        }
        for (IpPrefix p : overlay) {
            if (!p.equals(p.network())) {
                throw new IllegalArgumentException("overlay prefix " + p + " has host bits set; did you mean "
                        + p.network() + "?");
            }
        }
        Instant nb = notBefore.truncatedTo(ChronoUnit.SECONDS);
        Instant na = notAfter.truncatedTo(ChronoUnit.SECONDS);
        requireOrder(nb, na);
        Ed25519PrivateKeyParameters key = new Ed25519PrivateKeyParameters(random);
        X500Name subject = X509Parts.nameOf(name);
        SubjectPublicKeyInfo spki = new SubjectPublicKeyInfo(ED25519, key.generatePublicKey().getEncoded());
        BcX509ExtensionUtils ext = new BcX509ExtensionUtils();
        X509v3CertificateBuilder b = new X509v3CertificateBuilder(subject, serial(random), Date.from(nb),
                Date.from(na), subject, spki);
        try {
            // pathLen 0: the overlay CA signs nodes only, never another CA.
            b.addExtension(Extension.basicConstraints, true, new BasicConstraints(0));
            b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
            b.addExtension(Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(spki));
            b.addExtension(CertOids.OVERLAY_PREFIXES, false, OverlayExtensions.encodePrefixes(overlay));
            return new OverlayCa(CaCertificate.parse(b.build(signer(key)).getEncoded()), key);
        } catch (IOException | CertificateFormatException e) {
            throw new IllegalStateException("could not build the CA certificate", e);
        }
    }

    /**
     * Checks a CA display name: 1 to 64 characters, not blank, no control characters.
     *
     * @throws IllegalArgumentException saying what the rule is
     */
    public static void requireValidName(String name) {
        if (name == null || name.isBlank() || name.length() > MAX_CA_NAME
                || !name.chars().allMatch(c -> c >= 0x20 && c != 0x7f)) {
            throw new IllegalArgumentException("CA name '" + name + "' must be 1 to " + MAX_CA_NAME
                    + " printable characters");
        }
    }

    /**
     * Joins a CA certificate with its private key (PKCS#8 DER, as {@link #privateKeyPkcs8()} wrote).
     *
     * @throws CertificateFormatException if the key is not Ed25519 or does not belong to the certificate
     */
    public static OverlayCa load(CaCertificate certificate, byte[] privateKeyPkcs8) throws CertificateFormatException {
        AsymmetricKeyParameter k;
        try {
            k = PrivateKeyFactory.createKey(privateKeyPkcs8);
        } catch (IOException | RuntimeException e) {
            throw new CertificateFormatException("the CA key is not a PKCS#8 private key (" + e.getMessage() + ")", e);
        }
        if (!(k instanceof Ed25519PrivateKeyParameters ed)) {
            throw new CertificateFormatException("the CA key is not an Ed25519 key");
        }
        if (!Arrays.equals(ed.generatePublicKey().getEncoded(), certificate.publicKey())) {
            throw new CertificateFormatException("the CA key does not belong to the CA certificate");
        }
        return new OverlayCa(certificate, ed);
    }

    public CaCertificate certificate() {
        return certificate;
    }

    /**
     * The private key as PKCS#8 DER in RFC 8410's basic form (version 0, no embedded public key,
     * which OpenSSL also reads); keep it in a file only its owner can read.
     */
    public byte[] privateKeyPkcs8() {
        try {
            return new PrivateKeyInfo(ED25519, new DEROctetString(key.getEncoded())).getEncoded(ASN1Encoding.DER);
        } catch (IOException e) {
            throw new IllegalStateException("could not encode the CA key", e);
        }
    }

    /**
     * Issues a node certificate.
     *
     * @param name      the node name (see {@link Names})
     * @param publicKey the node's X25519 static public key, 32 bytes
     * @param addresses the node's overlay addresses with their subnet length, each inside the overlay
     * @param groups    the node's groups (see {@link Names}), possibly empty
     * @throws IllegalArgumentException naming the value that breaks a rule; nothing is signed
     */
    public NodeCertificate issue(String name, byte[] publicKey, List<IpPrefix> addresses, List<String> groups,
            Instant notBefore, Instant notAfter, SecureRandom random) {
        Names.require(name, "node name");
        for (String g : groups) {
            Names.require(g, "group");
        }
        if (publicKey.length != X25519Keys.KEY_BYTES) {
            throw new IllegalArgumentException("the node's public key must be 32 bytes, not " + publicKey.length);
        }
        if (addresses.isEmpty() || addresses.size() > OverlayExtensions.MAX_ENTRIES
                || groups.size() > OverlayExtensions.MAX_ENTRIES) {
            throw new IllegalArgumentException("a node needs 1 to " + OverlayExtensions.MAX_ENTRIES
                    + " addresses and at most as many groups");
        }
        for (IpPrefix a : addresses) {
            if (!certificate.inOverlay(a)) {
                throw new IllegalArgumentException("address " + a + " is not inside the overlay "
                        + certificate.overlayPrefixes());
            }
        }
        Instant nb = notBefore.truncatedTo(ChronoUnit.SECONDS);
        Instant na = notAfter.truncatedTo(ChronoUnit.SECONDS);
        requireOrder(nb, na);
        if (nb.isBefore(certificate.notBefore()) || na.isAfter(certificate.notAfter())) {
            throw new IllegalArgumentException("validity " + nb + " .. " + na + " is outside the CA's "
                    + certificate.notBefore() + " .. " + certificate.notAfter());
        }
        SubjectPublicKeyInfo spki = new SubjectPublicKeyInfo(
                new AlgorithmIdentifier(EdECObjectIdentifiers.id_X25519), publicKey);
        X509v3CertificateBuilder b = new X509v3CertificateBuilder(certificate.subject(), serial(random),
                Date.from(nb), Date.from(na), X509Parts.nameOf(name), spki);
        try {
            b.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
            // An X25519 key can only agree on keys; it never signs.
            b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyAgreement));
            b.addExtension(Extension.subjectKeyIdentifier, false,
                    new BcX509ExtensionUtils().createSubjectKeyIdentifier(spki));
            b.addExtension(Extension.authorityKeyIdentifier, false,
                    new AuthorityKeyIdentifier(certificate.keyIdentifier()));
            b.addExtension(CertOids.NODE_ADDRESSES, false, OverlayExtensions.encodePrefixes(addresses));
            if (!groups.isEmpty()) {
                b.addExtension(CertOids.NODE_GROUPS, false, OverlayExtensions.encodeGroups(groups));
            }
            X509CertificateHolder h = b.build(signer(key));
            return NodeCertificate.parse(h.getEncoded());
        } catch (IOException | CertificateFormatException e) {
            throw new IllegalStateException("could not build the node certificate", e);
        }
    }

    /**
     * A new revocation list: everything {@code previous} revoked plus {@code serials}, with the CRL
     * number one higher.
     *
     * @param previous the current list, or null for the first one
     */
    public RevocationList revoke(RevocationList previous, Collection<BigInteger> serials, Instant now) {
        if (previous != null && !previous.issuedBy(certificate)) {
            throw new IllegalArgumentException("the previous revocation list belongs to another CA");
        }
        Instant at = now.truncatedTo(ChronoUnit.SECONDS);
        X509v2CRLBuilder b = new X509v2CRLBuilder(certificate.subject(), Date.from(at));
        // Members treat the newest list they have as current, so nextUpdate (which RFC 5280 requires)
        // only says "no later than the CA's own end".
        Instant next = certificate.notAfter().isAfter(at) ? certificate.notAfter() : at.plusSeconds(1);
        b.setNextUpdate(Date.from(next));
        BigInteger number = BigInteger.ONE;
        if (previous != null) {
            b.addCRL(previous.holder());
            number = previous.number().add(BigInteger.ONE);
        }
        for (BigInteger s : serials) {
            if (s.signum() <= 0) {
                throw new IllegalArgumentException("serial " + s + " is not a positive number");
            }
            if (previous == null || !previous.isRevoked(s)) {
                b.addCRLEntry(s, Date.from(at), CRLReason.unspecified);
            }
        }
        try {
            b.addExtension(Extension.cRLNumber, false, new CRLNumber(number));
            b.addExtension(Extension.authorityKeyIdentifier, false,
                    new AuthorityKeyIdentifier(certificate.keyIdentifier()));
            return RevocationList.parse(b.build(signer(key)).getEncoded(), certificate);
        } catch (IOException | CertificateFormatException e) {
            throw new IllegalStateException("could not build the revocation list", e);
        }
    }

    private static ContentSigner signer(Ed25519PrivateKeyParameters key) {
        try {
            return new BcEdECContentSignerBuilder(ED25519).build(key);
        } catch (OperatorCreationException e) {
            throw new IllegalStateException("BouncyCastle has no Ed25519 signer", e);
        }
    }

    /** 126 random bits, always 16 bytes and positive: unique without a counter to keep. */
    private static BigInteger serial(SecureRandom random) {
        byte[] b = new byte[16];
        random.nextBytes(b);
        b[0] = (byte) ((b[0] & 0x3f) | 0x40);
        return new BigInteger(1, b);
    }

    private static void requireOrder(Instant notBefore, Instant notAfter) {
        if (!notAfter.isAfter(notBefore)) {
            throw new IllegalArgumentException("validity ends (" + notAfter + ") before it starts (" + notBefore + ")");
        }
    }
}
