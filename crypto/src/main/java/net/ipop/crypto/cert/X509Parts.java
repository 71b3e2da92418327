package net.ipop.crypto.cert;

import java.io.IOException;
import java.math.BigInteger;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Set;

import org.bouncycastle.asn1.ASN1Encoding;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.ASN1String;
import org.bouncycastle.asn1.DERUTF8String;
import org.bouncycastle.asn1.ASN1BitString;
import org.bouncycastle.asn1.edec.EdECObjectIdentifiers;
import org.bouncycastle.asn1.x500.AttributeTypeAndValue;
import org.bouncycastle.asn1.x500.RDN;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.cert.X509CertificateHolder;

/** Parsing steps both certificate kinds share; every failure is a {@link CertificateFormatException}. */
final class X509Parts {
    private X509Parts() {
    }

    /**
     * Parses DER strictly: exactly one certificate, canonical DER (so a fingerprint names one
     * encoding), version 3, signed with Ed25519, and no critical extension outside {@code knownCritical}
     * (RFC 5280 4.2: a certificate with a critical extension we do not process must be rejected).
     */
    static X509CertificateHolder parseStrict(byte[] der, Set<ASN1ObjectIdentifier> knownCritical)
            throws CertificateFormatException {
        X509CertificateHolder h;
        try {
            h = new X509CertificateHolder(der);
            // DER, not BouncyCastle's default encoding: that keeps non-canonical bytes (a BOOLEAN of 0x01)
            // which the signature check re-encodes away, so they would change the fingerprint unsigned.
            if (!Arrays.equals(h.toASN1Structure().getEncoded(ASN1Encoding.DER), der)) {
                throw new CertificateFormatException("certificate is not in canonical DER");
            }
        } catch (IOException | RuntimeException e) {
            throw new CertificateFormatException("not an X.509 certificate (" + e.getMessage() + ")", e);
        }
        if (h.getVersionNumber() != 3) {
            throw new CertificateFormatException("certificate is X.509 version " + h.getVersionNumber() + ", not 3");
        }
        AlgorithmIdentifier sig = h.getSignatureAlgorithm();
        if (!EdECObjectIdentifiers.id_Ed25519.equals(sig.getAlgorithm()) || sig.getParameters() != null) {
            throw new CertificateFormatException("certificate is signed with " + sig.getAlgorithm() + ", not Ed25519");
        }
        for (Object oid : h.getCriticalExtensionOIDs()) {
            if (!knownCritical.contains(oid)) {
                throw new CertificateFormatException("certificate has an unknown critical extension " + oid);
            }
        }
        return h;
    }

    /** The raw 32-byte key of a SubjectPublicKeyInfo with the given algorithm (RFC 8410: no parameters). */
    static byte[] rawKey(SubjectPublicKeyInfo spki, ASN1ObjectIdentifier algorithm, String what)
            throws CertificateFormatException {
        AlgorithmIdentifier alg = spki.getAlgorithm();
        if (!algorithm.equals(alg.getAlgorithm()) || alg.getParameters() != null) {
            throw new CertificateFormatException("the subject key is " + alg.getAlgorithm() + ", not " + what);
        }
        ASN1BitString bits = spki.getPublicKeyData();
        if (bits.getPadBits() != 0 || bits.getBytes().length != 32) {
            throw new CertificateFormatException("the " + what + " subject key is not 32 bytes");
        }
        return bits.getBytes();
    }

    /** The single CN of a name that has nothing else; IPOP names carry no other attributes. */
    static String commonName(X500Name name) throws CertificateFormatException {
        RDN[] rdns = name.getRDNs();
        if (rdns.length != 1 || rdns[0].isMultiValued()) {
            throw new CertificateFormatException("name '" + name + "' is not a single CN");
        }
        AttributeTypeAndValue atv = rdns[0].getFirst();
        if (!BCStyle.CN.equals(atv.getType()) || !(atv.getValue() instanceof ASN1String s)) {
            throw new CertificateFormatException("name '" + name + "' is not a single CN");
        }
        return s.getString();
    }

    static X500Name nameOf(String commonName) {
        return new X500Name(new RDN[] {new RDN(BCStyle.CN, new DERUTF8String(commonName))});
    }

    /** The extension's value octets, or null if absent. */
    static byte[] extensionValue(X509CertificateHolder h, ASN1ObjectIdentifier oid) {
        Extension e = h.getExtension(oid);
        return e == null ? null : e.getExtnValue().getOctets();
    }

    /** SHA-256 of the DER, lower-case hex: what operators compare out of band. */
    static String fingerprint(byte[] der) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(der));
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError("every JDK has SHA-256", e);
        }
    }

    /** A serial number as lower-case hex without separators, the form the CLI prints and accepts. */
    static String serialHex(BigInteger serial) {
        return serial.toString(16);
    }
}
