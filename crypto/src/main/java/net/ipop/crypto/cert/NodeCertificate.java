package net.ipop.crypto.cert;

import java.math.BigInteger;
import java.time.Instant;
import java.util.List;
import java.util.Set;

import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.edec.EdECObjectIdentifiers;
import org.bouncycastle.asn1.x509.AuthorityKeyIdentifier;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509CertificateHolder;

/**
 * A node certificate, parsed and shape-checked but not yet trusted: {@link MembershipVerifier}
 * decides that. Subject {@code CN=<node name>}; subject public key = the node's X25519 static key
 * (OID 1.3.101.110); {@link CertOids#NODE_ADDRESSES} and {@link CertOids#NODE_GROUPS} extensions;
 * signed by the overlay CA with Ed25519. Immutable and safe to share between threads.
 */
public final class NodeCertificate {
    private static final Set<ASN1ObjectIdentifier> KNOWN_CRITICAL =
            Set.of(Extension.basicConstraints, Extension.keyUsage);

    private final X509CertificateHolder holder;
    private final byte[] der;
    private final String name;
    private final byte[] publicKey;
    private final List<IpPrefix> addresses;
    private final List<String> groups;
    private final String issuer;

    private NodeCertificate(X509CertificateHolder holder, byte[] der, String name, byte[] publicKey,
            List<IpPrefix> addresses, List<String> groups, String issuer) {
        this.holder = holder;
        this.der = der;
        this.name = name;
        this.publicKey = publicKey;
        this.addresses = addresses;
        this.groups = groups;
        this.issuer = issuer;
    }

    /**
     * Parses a node certificate from DER. Safe on hostile input: any defect is a
     * {@link CertificateFormatException}, never another exception.
     */
    public static NodeCertificate parse(byte[] der) throws CertificateFormatException {
        byte[] copy = der.clone();
        X509CertificateHolder h = X509Parts.parseStrict(copy, KNOWN_CRITICAL);
        try {
            BasicConstraints bc = BasicConstraints.fromExtensions(h.getExtensions());
            if (bc != null && bc.isCA()) {
                throw new CertificateFormatException("a CA certificate, not a node certificate");
            }
            KeyUsage ku = KeyUsage.fromExtensions(h.getExtensions());
            if (ku == null || !ku.hasUsages(KeyUsage.keyAgreement)) {
                throw new CertificateFormatException("node certificate lacks the keyAgreement key usage");
            }
            String name = X509Parts.commonName(h.getSubject());
            if (!Names.isValid(name)) {
                throw new CertificateFormatException("node name '" + name + "' is not a valid name");
            }
            byte[] key = X509Parts.rawKey(h.getSubjectPublicKeyInfo(), EdECObjectIdentifiers.id_X25519, "X25519");
            byte[] addrExt = X509Parts.extensionValue(h, CertOids.NODE_ADDRESSES);
            if (addrExt == null) {
                throw new CertificateFormatException("node certificate has no addresses extension");
            }
            List<IpPrefix> addresses = OverlayExtensions.decodePrefixes(addrExt, "addresses");
            byte[] groupExt = X509Parts.extensionValue(h, CertOids.NODE_GROUPS);
            List<String> groups = groupExt == null ? List.of() : OverlayExtensions.decodeGroups(groupExt);
            // Names decode lazily in BouncyCastle; decode the issuer now so a bad one fails here.
            X509Parts.commonName(h.getIssuer());
            String issuer = h.getIssuer().toString();
            return new NodeCertificate(h, copy, name, key, addresses, groups, issuer);
        } catch (RuntimeException e) {
            // BouncyCastle's extension accessors throw IllegalArgumentException on malformed values.
            throw new CertificateFormatException("malformed extension (" + e.getMessage() + ")", e);
        }
    }

    public static NodeCertificate fromPem(String pem) throws CertificateFormatException {
        return parse(Pem.decode(Pem.CERTIFICATE, pem));
    }

    X509CertificateHolder holder() {
        return holder;
    }

    /** The authority key identifier, or null if the certificate has none. */
    byte[] authorityKeyIdentifier() {
        try {
            AuthorityKeyIdentifier aki = AuthorityKeyIdentifier.fromExtensions(holder.getExtensions());
            return aki == null ? null : aki.getKeyIdentifierOctets();
        } catch (RuntimeException e) {
            return null;
        }
    }

    /** The node's name (subject CN). */
    public String name() {
        return name;
    }

    /** The node's X25519 static public key, 32 bytes; a copy. */
    public byte[] publicKey() {
        return publicKey.clone();
    }

    public String publicKeyBase64() {
        return X25519Keys.toBase64(publicKey);
    }

    /** The node's overlay addresses, each with the prefix length of its subnet. */
    public List<IpPrefix> addresses() {
        return addresses;
    }

    /** The groups the node belongs to, possibly empty. */
    public List<String> groups() {
        return groups;
    }

    public Instant notBefore() {
        return holder.getNotBefore().toInstant();
    }

    public Instant notAfter() {
        return holder.getNotAfter().toInstant();
    }

    public BigInteger serial() {
        return holder.getSerialNumber();
    }

    /** The serial number as lower-case hex, the form {@code ipop ca revoke --serial} accepts. */
    public String serialHex() {
        return X509Parts.serialHex(serial());
    }

    /** The issuer's distinguished name as text, e.g. {@code CN=lab overlay}. */
    public String issuer() {
        return issuer;
    }

    /** SHA-256 of the DER, lower-case hex. */
    public String fingerprint() {
        return X509Parts.fingerprint(der);
    }

    /** The DER encoding; a copy. */
    public byte[] der() {
        return der.clone();
    }

    public String toPem() {
        return Pem.encode(Pem.CERTIFICATE, der);
    }
}
