package net.ipop.crypto.cert;

import java.io.IOException;
import java.math.BigInteger;
import java.time.Instant;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;

import org.bouncycastle.asn1.ASN1Encoding;
import org.bouncycastle.asn1.edec.EdECObjectIdentifiers;
import org.bouncycastle.asn1.x509.CRLNumber;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.cert.X509CRLEntryHolder;
import org.bouncycastle.cert.X509CRLHolder;

/**
 * The overlay's revocation list: an X.509 v2 CRL signed by the CA, listing revoked node
 * certificates by serial number. Parsing verifies the signature against the CA, so an instance is
 * always authentic. Immutable and safe to share between threads.
 */
public final class RevocationList {
    private final X509CRLHolder holder;
    private final byte[] der;
    private final byte[] caKey;
    private final Set<BigInteger> serials;
    private final BigInteger number;

    private RevocationList(X509CRLHolder holder, byte[] der, byte[] caKey, Set<BigInteger> serials,
            BigInteger number) {
        this.holder = holder;
        this.der = der;
        this.caKey = caKey;
        this.serials = serials;
        this.number = number;
    }

    /**
     * Parses a CRL and checks that {@code ca} issued and signed it.
     *
     * @throws CertificateFormatException if it is not a CRL, or not this CA's
     */
    public static RevocationList parse(byte[] der, CaCertificate ca) throws CertificateFormatException {
        byte[] copy = der.clone();
        X509CRLHolder h;
        try {
            h = new X509CRLHolder(copy);
            // DER re-encoding: see X509Parts.parseStrict for why not getEncoded().
            if (!Arrays.equals(h.toASN1Structure().getEncoded(ASN1Encoding.DER), copy)) {
                throw new CertificateFormatException("revocation list is not in canonical DER");
            }
        } catch (IOException | RuntimeException e) {
            throw new CertificateFormatException("not an X.509 CRL (" + e.getMessage() + ")", e);
        }
        if (!EdECObjectIdentifiers.id_Ed25519.equals(h.toASN1Structure().getSignatureAlgorithm().getAlgorithm())) {
            throw new CertificateFormatException("revocation list is not signed with Ed25519");
        }
        boolean signed;
        try {
            signed = h.getIssuer().equals(ca.subject()) && h.isSignatureValid(ca.verifier());
        } catch (Exception e) {
            signed = false;
        }
        if (!signed) {
            throw new CertificateFormatException("revocation list is not signed by the CA '" + ca.name() + "'");
        }
        Set<BigInteger> serials = new HashSet<>();
        for (Object o : h.getRevokedCertificates()) {
            serials.add(((X509CRLEntryHolder) o).getSerialNumber());
        }
        BigInteger number = BigInteger.ZERO;
        try {
            Extension n = h.getExtension(Extension.cRLNumber);
            if (n != null) {
                number = CRLNumber.getInstance(n.getParsedValue()).getCRLNumber();
            }
        } catch (RuntimeException e) {
            throw new CertificateFormatException("revocation list has a malformed CRL number", e);
        }
        return new RevocationList(h, copy, ca.publicKey(), Set.copyOf(serials), number);
    }

    public static RevocationList fromPem(String pem, CaCertificate ca) throws CertificateFormatException {
        return parse(Pem.decode(Pem.X509_CRL, pem), ca);
    }

    X509CRLHolder holder() {
        return holder;
    }

    boolean issuedBy(CaCertificate ca) {
        return Arrays.equals(caKey, ca.publicKey());
    }

    public boolean isRevoked(BigInteger serial) {
        return serials.contains(serial);
    }

    /** Every revoked serial number. */
    public Set<BigInteger> serials() {
        return serials;
    }

    /** The CRL number; each new list the CA issues is one higher (0 if the list carries none). */
    public BigInteger number() {
        return number;
    }

    public Instant thisUpdate() {
        return holder.getThisUpdate().toInstant();
    }

    /** The DER encoding; a copy. */
    public byte[] der() {
        return der.clone();
    }

    public String toPem() {
        return Pem.encode(Pem.X509_CRL, der);
    }
}
