package net.ipop.control.signal;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

import net.ipop.crypto.cert.CertificateFormatException;
import net.ipop.crypto.cert.NodeCertificate;

/**
 * Turns a received {@link XmlNode} into a {@link SignalMessage}, applying every rule of the format
 * ({@link SignalElement}): required attributes present, no unknown attributes or children, numbers
 * in plain decimal, addresses as IPv4 or IPv6 literals (never resolved), the certificate strict
 * DER. Pure and stateless.
 */
final class SignalDecoder {
    /** A certificate is a few hundred bytes; 8 KiB leaves room for long names and many prefixes. */
    static final int MAX_CERTIFICATE_BYTES = 8 * 1024;
    private static final Set<String> SESSION_ATTRIBUTES = Set.of("session", "ufrag", "pwd");
    private static final Set<String> CANDIDATE_ATTRIBUTES = Set.of("foundation", "component", "transport",
            "priority", "ip", "port", "type", "rel-addr", "rel-port");
    private static final Pattern DECIMAL = Pattern.compile("0|[1-9][0-9]{0,9}");
    private static final Pattern IPV4 = Pattern.compile("(0|[1-9][0-9]{0,2})(\\.(0|[1-9][0-9]{0,2})){3}");
    private static final Pattern IPV6 = Pattern.compile("[0-9A-Fa-f:.]{2,45}");

    private SignalDecoder() {
    }

    /** @throws IllegalArgumentException naming the rule the element breaks */
    static SignalMessage decode(XmlNode node) {
        return switch (node.name()) {
            case SignalElement.ANNOUNCE -> announcement(node);
            case SignalElement.OFFER -> {
                Session s = session(node);
                yield new Offer(s.id, s.credentials, s.candidates);
            }
            case SignalElement.ANSWER -> {
                Session s = session(node);
                yield new Answer(s.id, s.credentials, s.candidates);
            }
            default -> throw new IllegalArgumentException("unknown element <" + node.name() + ">");
        };
    }

    private static Announcement announcement(XmlNode node) {
        onlyAttributes(node, Set.of());
        if (node.children().size() != 1 || !node.children().getFirst().name().equals("certificate")) {
            throw new IllegalArgumentException("<announce> must hold exactly one <certificate>");
        }
        if (!node.text().isBlank()) {
            throw new IllegalArgumentException("text directly inside <announce>");
        }
        XmlNode c = node.children().getFirst();
        onlyAttributes(c, Set.of());
        String b64 = c.text().strip();
        if (b64.length() > (MAX_CERTIFICATE_BYTES + 2) / 3 * 4) {
            throw new IllegalArgumentException("certificate larger than " + MAX_CERTIFICATE_BYTES + " bytes");
        }
        byte[] der;
        try {
            der = Base64.getDecoder().decode(b64);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("certificate is not base64");
        }
        try {
            return new Announcement(NodeCertificate.parse(der));
        } catch (CertificateFormatException e) {
            throw new IllegalArgumentException("certificate refused: " + e.getMessage());
        }
    }

    private record Session(String id, IceCredentials credentials, List<Candidate> candidates) {
    }

    private static Session session(XmlNode node) {
        onlyAttributes(node, SESSION_ATTRIBUTES);
        if (!node.text().isBlank()) {
            throw new IllegalArgumentException("text directly inside <" + node.name() + ">");
        }
        String id = required(node, "session");
        IceCredentials credentials = new IceCredentials(required(node, "ufrag"), required(node, "pwd"));
        if (node.children().size() > Offer.MAX_CANDIDATES) {
            throw new IllegalArgumentException(node.children().size() + " candidates; at most "
                    + Offer.MAX_CANDIDATES);
        }
        List<Candidate> candidates = new ArrayList<>(node.children().size());
        for (XmlNode c : node.children()) {
            if (!c.name().equals("candidate")) {
                throw new IllegalArgumentException("unknown child <" + c.name() + "> in <" + node.name() + ">");
            }
            candidates.add(candidate(c));
        }
        return new Session(id, credentials, candidates);
    }

    private static Candidate candidate(XmlNode c) {
        onlyAttributes(c, CANDIDATE_ATTRIBUTES);
        if (!c.text().isBlank()) {
            throw new IllegalArgumentException("text inside <candidate>");
        }
        String transport = required(c, "transport");
        if (!transport.equals(Candidate.Transport.UDP.wireName())) {
            throw new IllegalArgumentException("transport '" + transport + "' is not udp");
        }
        String typeName = required(c, "type");
        Candidate.Type type = Candidate.Type.fromWire(typeName);
        if (type == null) {
            throw new IllegalArgumentException("unknown candidate type '" + typeName + "'");
        }
        String relAddr = c.attributes().get("rel-addr");
        String relPort = c.attributes().get("rel-port");
        if ((relAddr == null) != (relPort == null)) {
            throw new IllegalArgumentException("rel-addr and rel-port come together or not at all");
        }
        return new Candidate(required(c, "foundation"), (int) number(c, "component", 65535),
                Candidate.Transport.UDP, number(c, "priority", Candidate.MAX_PRIORITY), address(c, "ip"),
                (int) number(c, "port", 65535), type, relAddr == null ? null : address(c, "rel-addr"),
                relPort == null ? 0 : (int) number(c, "rel-port", 65535));
    }

    private static void onlyAttributes(XmlNode node, Set<String> allowed) {
        for (String a : node.attributes().keySet()) {
            if (!allowed.contains(a)) {
                throw new IllegalArgumentException("unknown attribute " + a + " on <" + node.name() + ">");
            }
        }
    }

    private static String required(XmlNode node, String attribute) {
        String v = node.attributes().get(attribute);
        if (v == null) {
            throw new IllegalArgumentException("<" + node.name() + "> lacks " + attribute);
        }
        return v;
    }

    private static long number(XmlNode node, String attribute, long max) {
        String v = required(node, attribute);
        if (!DECIMAL.matcher(v).matches() || Long.parseLong(v) > max) {
            throw new IllegalArgumentException(attribute + " '" + clip(v) + "' is not a number in 0.." + max);
        }
        return Long.parseLong(v);
    }

    /** An IPv4 dotted quad or an IPv6 literal without scope; never a name, never a DNS lookup. */
    static InetAddress address(XmlNode node, String attribute) {
        String v = required(node, attribute);
        boolean v4 = IPV4.matcher(v).matches();
        if (!v4 && !(v.indexOf(':') >= 0 && IPV6.matcher(v).matches())) {
            throw new IllegalArgumentException(attribute + " '" + clip(v) + "' is not an IPv4 or IPv6 literal");
        }
        try {
            return InetAddress.ofLiteral(v);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(attribute + " '" + clip(v) + "' is not an IPv4 or IPv6 literal");
        }
    }

    private static String clip(String s) {
        return s.length() <= 48 ? s : s.substring(0, 48) + "...";
    }
}
