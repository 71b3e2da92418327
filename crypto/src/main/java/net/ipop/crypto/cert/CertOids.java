package net.ipop.crypto.cert;

import org.bouncycastle.asn1.ASN1ObjectIdentifier;

/**
 * Object identifiers of IPOP's own certificate extensions.
 *
 * <p>They live under a UUID-derived arc (ITU-T X.667, {@code 2.25.<uuid as an integer>}): such an
 * arc is unique by construction and needs no registration, unlike an enterprise number. The UUID is
 * {@code ba0a21e3-8f23-4521-a772-f5015237ebbd}. Never reuse a number below it for a different
 * meaning; add new ones at the end. docs/certificates.md gives the ASN.1 of each.
 */
public final class CertOids {
    /** {@code 2.25.247289017533188507151756747193600961469}: the IPOP arc. */
    public static final ASN1ObjectIdentifier IPOP_ARC =
            new ASN1ObjectIdentifier("2.25.247289017533188507151756747193600961469");
    /** Node certificate: the node's overlay addresses, {@code SEQUENCE OF IpPrefix}. */
    public static final ASN1ObjectIdentifier NODE_ADDRESSES = IPOP_ARC.branch("1");
    /** Node certificate: the groups the node belongs to, {@code SEQUENCE OF UTF8String}. */
    public static final ASN1ObjectIdentifier NODE_GROUPS = IPOP_ARC.branch("2");
    /** CA certificate: the overlay's prefixes, {@code SEQUENCE OF IpPrefix}. */
    public static final ASN1ObjectIdentifier OVERLAY_PREFIXES = IPOP_ARC.branch("3");

    private CertOids() {
    }
}
