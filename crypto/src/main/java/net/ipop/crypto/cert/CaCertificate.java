package net.ipop.crypto.cert;

import java.math.BigInteger;
import java.time.Instant;
import java.util.List;
import java.util.Set;

import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.edec.EdECObjectIdentifiers;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.asn1.x509.SubjectKeyIdentifier;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.crypto.params.Ed25519PublicKeyParameters;
import org.bouncycastle.operator.ContentVerifierProvider;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.bc.BcEdDSAContentVerifierProviderBuilder;

/**
 * An overlay's CA certificate: self-signed Ed25519, {@code CA:true}, and the overlay's prefixes in
 * the {@link CertOids#OVERLAY_PREFIXES} extension. This is the public half every member holds;
 * {@link OverlayCa} adds the private key. Immutable and safe to share between threads.
 */
public final class CaCertificate {
    private static final Set<ASN1ObjectIdentifier> KNOWN_CRITICAL = Set.of(Extension.basicConstraints, Extension.keyUsage);

    private final X509CertificateHolder holder;
    private final byte[] der;
    private final String name;
    private final List<IpPrefix> overlay;
    private final Ed25519PublicKeyParameters key;
    private final byte[] keyIdentifier;

    private CaCertificate(X509CertificateHolder holder, byte[] der, String name, List<IpPrefix> overlay,
            Ed25519PublicKeyParameters key, byte[] keyIdentifier) {
        this.holder = holder;
        this.der = der;
        this.name = name;
        this.overlay = overlay;
        this.key = key;
        this.keyIdentifier = keyIdentifier;
    }

    /**
     * Parses and checks a CA certificate: the shape above, and a self-signature that verifies.
     *
     * @throws CertificateFormatException saying what is wrong
     */
    public static CaCertificate parse(byte[] der) throws CertificateFormatException {
        byte[] copy = der.clone();
        X509CertificateHolder h = X509Parts.parseStrict(copy, KNOWN_CRITICAL);
        try {
            BasicConstraints bc = BasicConstraints.fromExtensions(h.getExtensions());
            if (bc == null || !bc.isCA()) {
                throw new CertificateFormatException("not a CA certificate (no basicConstraints CA:true)");
            }
            KeyUsage ku = KeyUsage.fromExtensions(h.getExtensions());
            if (ku == null || !ku.hasUsages(KeyUsage.keyCertSign | KeyUsage.cRLSign)) {
                throw new CertificateFormatException("CA certificate lacks keyCertSign/cRLSign key usage");
            }
            if (!h.getSubject().equals(h.getIssuer())) {
                throw new CertificateFormatException("CA certificate is not self-issued");
            }
            String name = X509Parts.commonName(h.getSubject());
            byte[] raw = X509Parts.rawKey(h.getSubjectPublicKeyInfo(), EdECObjectIdentifiers.id_Ed25519, "Ed25519");
            byte[] prefixes = X509Parts.extensionValue(h, CertOids.OVERLAY_PREFIXES);
            if (prefixes == null) {
                throw new CertificateFormatException("CA certificate has no overlay prefixes extension");
            }
            List<IpPrefix> overlay = OverlayExtensions.decodePrefixes(prefixes, "overlay prefixes");
            SubjectKeyIdentifier ski = SubjectKeyIdentifier.fromExtensions(h.getExtensions());
            if (ski == null) {
                throw new CertificateFormatException("CA certificate has no subjectKeyIdentifier");
            }
            CaCertificate ca = new CaCertificate(h, copy, name, overlay, new Ed25519PublicKeyParameters(raw, 0),
                    ski.getKeyIdentifier());
            if (!ca.signed(h)) {
                throw new CertificateFormatException("CA certificate's self-signature does not verify");
            }
            return ca;
        } catch (RuntimeException e) {
            // BouncyCastle's extension accessors throw IllegalArgumentException on malformed values.
            throw new CertificateFormatException("malformed extension (" + e.getMessage() + ")", e);
        }
    }

    public static CaCertificate fromPem(String pem) throws CertificateFormatException {
        return parse(Pem.decode(Pem.CERTIFICATE, pem));
    }

    /** True if the CA's key signed this certificate; false for any failure, including odd input. */
    boolean signed(X509CertificateHolder cert) {
        try {
            return cert.isSignatureValid(verifier());
        } catch (Exception e) {
            return false;
        }
    }

    ContentVerifierProvider verifier() throws OperatorCreationException {
        return new BcEdDSAContentVerifierProviderBuilder().build(key);
    }

    X509CertificateHolder holder() {
        return holder;
    }

    X500Name subject() {
        return holder.getSubject();
    }

    byte[] keyIdentifier() {
        return keyIdentifier.clone();
    }

    /** The CA's name (its subject CN). */
    public String name() {
        return name;
    }

    /** The overlay's prefixes; every node address must lie inside one of them. */
    public List<IpPrefix> overlayPrefixes() {
        return overlay;
    }

    /** True if the whole of {@code p}'s network lies inside one overlay prefix. */
    public boolean inOverlay(IpPrefix p) {
        for (IpPrefix o : overlay) {
            if (o.contains(p)) {
                return true;
            }
        }
        return false;
    }

    /** The raw 32-byte Ed25519 public key; a copy. */
    public byte[] publicKey() {
        return key.getEncoded();
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
