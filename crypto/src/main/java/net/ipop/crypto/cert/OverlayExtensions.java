package net.ipop.crypto.cert;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

import org.bouncycastle.asn1.ASN1Encodable;
import org.bouncycastle.asn1.ASN1EncodableVector;
import org.bouncycastle.asn1.ASN1Integer;
import org.bouncycastle.asn1.ASN1OctetString;
import org.bouncycastle.asn1.ASN1Primitive;
import org.bouncycastle.asn1.ASN1Sequence;
import org.bouncycastle.asn1.ASN1UTF8String;
import org.bouncycastle.asn1.DEROctetString;
import org.bouncycastle.asn1.DERSequence;
import org.bouncycastle.asn1.DERUTF8String;

/**
 * DER codecs for IPOP's extension values:
 * <pre>
 * IpPrefix     ::= SEQUENCE { address OCTET STRING (SIZE (4 | 16)), prefixLength INTEGER (0..128) }
 * IpPrefixList ::= SEQUENCE SIZE (1..MAX) OF IpPrefix
 * GroupList    ::= SEQUENCE OF UTF8String
 * </pre>
 * Decoders throw {@link CertificateFormatException} for anything else; they see peer input.
 */
final class OverlayExtensions {
    /** Enough for any real node or overlay; bounds the work a hostile certificate can cause. */
    static final int MAX_ENTRIES = 64;

    private OverlayExtensions() {
    }

    static DERSequence encodePrefixes(List<IpPrefix> prefixes) {
        ASN1EncodableVector v = new ASN1EncodableVector(prefixes.size());
        for (IpPrefix p : prefixes) {
            v.add(new DERSequence(new ASN1Encodable[] {
                new DEROctetString(p.address()), new ASN1Integer(p.prefixLength())}));
        }
        return new DERSequence(v);
    }

    static List<IpPrefix> decodePrefixes(byte[] der, String what) throws CertificateFormatException {
        ASN1Sequence seq = sequence(der, what);
        if (seq.size() == 0) {
            throw new CertificateFormatException(what + " is empty");
        }
        List<IpPrefix> out = new ArrayList<>(seq.size());
        for (int i = 0; i < seq.size(); i++) {
            if (!(seq.getObjectAt(i) instanceof ASN1Sequence entry) || entry.size() != 2
                    || !(entry.getObjectAt(0) instanceof ASN1OctetString addr)
                    || !(entry.getObjectAt(1) instanceof ASN1Integer len)) {
                throw new CertificateFormatException(what + " entry " + i + " is not an IpPrefix");
            }
            if (len.getValue().bitLength() > 8) {
                throw new CertificateFormatException(what + " entry " + i + " has a bad prefix length");
            }
            try {
                out.add(IpPrefix.of(addr.getOctets(), len.intValueExact()));
            } catch (IllegalArgumentException | ArithmeticException e) {
                throw new CertificateFormatException(what + " entry " + i + ": " + e.getMessage());
            }
        }
        return List.copyOf(out);
    }

    static DERSequence encodeGroups(List<String> groups) {
        ASN1EncodableVector v = new ASN1EncodableVector(groups.size());
        for (String g : groups) {
            v.add(new DERUTF8String(g));
        }
        return new DERSequence(v);
    }

    static List<String> decodeGroups(byte[] der) throws CertificateFormatException {
        ASN1Sequence seq = sequence(der, "groups");
        List<String> out = new ArrayList<>(seq.size());
        for (int i = 0; i < seq.size(); i++) {
            if (!(seq.getObjectAt(i) instanceof ASN1UTF8String s) || !Names.isValid(s.getString())) {
                throw new CertificateFormatException("groups entry " + i + " is not a valid group name");
            }
            out.add(s.getString());
        }
        return List.copyOf(out);
    }

    private static ASN1Sequence sequence(byte[] der, String what) throws CertificateFormatException {
        ASN1Primitive p;
        try {
            p = ASN1Primitive.fromByteArray(der);
        } catch (IOException | RuntimeException e) {
            throw new CertificateFormatException(what + " extension is not valid DER");
        }
        if (!(p instanceof ASN1Sequence seq)) {
            throw new CertificateFormatException(what + " extension is not a SEQUENCE");
        }
        if (seq.size() > MAX_ENTRIES) {
            throw new CertificateFormatException(what + " has more than " + MAX_ENTRIES + " entries");
        }
        return seq;
    }
}
