package net.ipop.crypto.cert;

import java.io.IOException;
import java.math.BigInteger;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.Date;
import java.util.List;

import org.bouncycastle.asn1.edec.EdECObjectIdentifiers;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.asn1.x509.AuthorityKeyIdentifier;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.crypto.params.Ed25519PrivateKeyParameters;
import org.bouncycastle.crypto.util.PrivateKeyFactory;
import org.bouncycastle.operator.bc.BcEdECContentSignerBuilder;

/**
 * Builds node certificates the real CA would refuse to issue (address outside the overlay, a
 * foreign signing key under our CA's name), so the verifier's own checks can be tested.
 */
final class TestCerts {
    static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
    static final List<IpPrefix> OVERLAY = List.of(IpPrefix.parse("192.0.2.0/24"), IpPrefix.parse("2001:db8:1::/64"));

    private TestCerts() {
    }

    static OverlayCa ca(String name) {
        return OverlayCa.create(name, OVERLAY, T0, T0.plusSeconds(365L * 86400), new SecureRandom());
    }

    static Ed25519PrivateKeyParameters keyOf(OverlayCa ca) throws IOException {
        return (Ed25519PrivateKeyParameters) PrivateKeyFactory.createKey(ca.privateKeyPkcs8());
    }

    /** A node certificate naming {@code issuer} as issuer but signed with {@code signingKey}. */
    static byte[] forge(CaCertificate issuer, Ed25519PrivateKeyParameters signingKey, String name, byte[] pub,
            List<IpPrefix> addresses, Instant notBefore, Instant notAfter) throws Exception {
        SubjectPublicKeyInfo spki = new SubjectPublicKeyInfo(
                new AlgorithmIdentifier(EdECObjectIdentifiers.id_X25519), pub);
        X509v3CertificateBuilder b = new X509v3CertificateBuilder(issuer.subject(), BigInteger.valueOf(4242),
                Date.from(notBefore), Date.from(notAfter), X509Parts.nameOf(name), spki);
        b.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
        b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyAgreement));
        b.addExtension(Extension.authorityKeyIdentifier, false, new AuthorityKeyIdentifier(issuer.keyIdentifier()));
        b.addExtension(CertOids.NODE_ADDRESSES, false, OverlayExtensions.encodePrefixes(addresses));
        return b.build(new BcEdECContentSignerBuilder(new AlgorithmIdentifier(EdECObjectIdentifiers.id_Ed25519))
                .build(signingKey)).getEncoded();
    }
}
