package net.ipop.control.signal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import net.ipop.crypto.cert.NodeCertificate;
import org.jivesoftware.smack.util.PacketParserUtils;
import org.jivesoftware.smack.xml.XmlPullParser;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The wire format on its own: what is sent parses back equal, and every broken rule is a refusal, never an exception. */
class SignalCodecTest {
    private static final String NS = SignalElement.NAMESPACE;
    private static final String SESSION = "00112233445566778899aabbccddeeff";
    private static final String PWD = "abcdefghijklmnopqrstuvwx";
    private static final SecureRandom RANDOM = new SecureRandom();

    @TempDir
    Path dir;

    static SignalElement parse(String xml) throws Exception {
        XmlPullParser parser = PacketParserUtils.getParserFor(xml);
        return new SignalProvider().parse(parser);
    }

    static SignalMessage roundTrip(SignalMessage m) throws Exception {
        SignalElement e = parse(SignalElement.of(m).toXML().toString());
        assertNull(e.problem(), e.problem());
        return e.message();
    }

    @Test
    void anOfferWithIpv4AndIpv6CandidatesComesBackEqual() throws Exception {
        Offer offer = new Offer(SessionIds.random(RANDOM), IceCredentials.random(RANDOM),
                SignallingProsodyTest.candidates("2001:db8::1:2:3"));
        assertEquals(offer, roundTrip(offer));
        Answer answer = new Answer(offer.sessionId(), IceCredentials.random(RANDOM), List.of());
        assertEquals(answer, roundTrip(answer));
    }

    @Test
    void theCandidateFieldsAreAttributesNotAColonSplitString() {
        String xml = SignalElement.of(new Offer(SESSION, new IceCredentials("abcd", PWD),
                SignallingProsodyTest.candidates("2001:db8::1"))).toXML().toString();
        assertTrue(xml.contains("ip='2001:db8:0:0:0:0:0:1'") || xml.contains("ip=\"2001:db8:0:0:0:0:0:1\""), xml);
        assertTrue(xml.contains("type='relay'") || xml.contains("type=\"relay\""), xml);
        assertTrue(xml.contains("rel-port="), xml);
    }

    @Test
    void anAnnouncementCarriesTheCertificateExactly() throws Exception {
        NodeCertificate cert = new TestOverlay("codec", dir).certificate("alpha");
        Announcement back = (Announcement) roundTrip(new Announcement(cert));
        assertArrayEquals(cert.der(), back.certificate().der());
        assertEquals("alpha", back.nodeName());
    }

    @Test
    void freshCredentialsAreRandomAndWellFormed() {
        Set<String> ufrags = new HashSet<>();
        Set<String> passwords = new HashSet<>();
        for (int i = 0; i < 1000; i++) {
            IceCredentials c = IceCredentials.random(RANDOM);
            assertEquals(IceCredentials.UFRAG_CHARS, c.ufrag().length());
            assertEquals(IceCredentials.PASSWORD_CHARS, c.password().length());
            ufrags.add(c.ufrag());
            passwords.add(c.password());
        }
        assertEquals(1000, ufrags.size());
        assertEquals(1000, passwords.size());
        IceCredentials c = IceCredentials.random(RANDOM);
        assertFalse(c.toString().contains(c.password()), "the password is never printed");
    }

    private static String offer(String candidate) {
        return "<offer xmlns='" + NS + "' session='" + SESSION + "' ufrag='abcd' pwd='" + PWD + "'>" + candidate
                + "</offer>";
    }

    private static String host(String replace, String with) {
        String c = "<candidate foundation='1' component='1' transport='udp' priority='2130706431' ip='192.0.2.1'"
                + " port='40000' type='host'/>";
        return replace == null ? c : c.replace(replace, with);
    }

    @Test
    void theValidBaseLineIsAccepted() throws Exception {
        SignalElement e = parse(offer(host(null, null)));
        assertNull(e.problem());
        assertEquals(InetAddress.ofLiteral("192.0.2.1"), ((Offer) e.message()).candidates().getFirst().address());
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "ip='192.0.2.1'|ip='example.com'",          // a host name: never resolved
        "ip='192.0.2.1'|ip='fe80::1%eth0'",         // a scope id
        "ip='192.0.2.1'|ip='127.1'",                // IPv4 shorthand
        "ip='192.0.2.1'|ip='192.0.2.01'",           // leading zero (octal in some parsers)
        "ip='192.0.2.1'|ip='0.0.0.0'",              // wildcard
        "ip='192.0.2.1'|ip='2001:db8::1::2'",       // two ::
        "ip='192.0.2.1'|ip='ff02::1'",              // multicast
        "port='40000'|port='0'",
        "port='40000'|port='65536'",
        "port='40000'|port='+4000'",
        "port='40000'|port='0x10'",
        "priority='2130706431'|priority='0'",
        "priority='2130706431'|priority='2147483648'",
        "component='1'|component='0'",
        "component='1'|component='257'",
        "transport='udp'|transport='tcp'",
        "type='host'|type='bogus'",
        "type='host'|type='host' rel-addr='192.0.2.9' rel-port='1'",
        "type='host'|type='srflx' rel-addr='192.0.2.9'",
        "type='host'|type='srflx' rel-port='1'",
        "foundation='1'|foundation='a:b'",
        "foundation='1'|foundation=''",
        "foundation='1'|foundation='123456789012345678901234567890123'",
        "type='host'|type='host' extra='1'",
        "/>|><nested/></candidate>",
        "<candidate |<candidat ",
    })
    void aBrokenCandidateIsRefusedWithAReason(String edit) throws Exception {
        String[] r = edit.split("\\|", 2);
        SignalElement e = parse(offer(host(r[0], r[1])));
        assertNull(e.message(), edit);
        assertNotNull(e.problem(), edit);
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "<offer xmlns='urn:ipop:signal:1' ufrag='abcd' pwd='abcdefghijklmnopqrstuvwx'/>",
        "<offer xmlns='urn:ipop:signal:1' session='00112233445566778899AABBCCDDEEFF' ufrag='abcd' pwd='abcdefghijklmnopqrstuvwx'/>",
        "<offer xmlns='urn:ipop:signal:1' session='0011' ufrag='abcd' pwd='abcdefghijklmnopqrstuvwx'/>",
        "<offer xmlns='urn:ipop:signal:1' session='00112233445566778899aabbccddeeff' ufrag='abc' pwd='abcdefghijklmnopqrstuvwx'/>",
        "<offer xmlns='urn:ipop:signal:1' session='00112233445566778899aabbccddeeff' ufrag='abcd' pwd='short'/>",
        "<offer xmlns='urn:ipop:signal:1' session='00112233445566778899aabbccddeeff' ufrag='ab d' pwd='abcdefghijklmnopqrstuvwx'/>",
        "<offer xmlns='urn:ipop:signal:1' session='00112233445566778899aabbccddeeff' ufrag='abcd' pwd='abcdefghijklmnopqrstuvwx'>text</offer>",
        "<offer xmlns='urn:ipop:signal:1' session='00112233445566778899aabbccddeeff' ufrag='abcd' pwd='abcdefghijklmnopqrstuvwx'><foo xmlns='urn:other'/></offer>",
        "<announce xmlns='urn:ipop:signal:1'/>",
        "<announce xmlns='urn:ipop:signal:1'><certificate>not base64!</certificate></announce>",
        "<announce xmlns='urn:ipop:signal:1'><certificate>AAAA</certificate></announce>",
        "<announce xmlns='urn:ipop:signal:1'><certificate>AAAA</certificate><certificate>AAAA</certificate></announce>",
    })
    void aBrokenElementIsRefusedWithAReason(String xml) throws Exception {
        SignalElement e = parse(xml);
        assertNull(e.message(), xml);
        assertNotNull(e.problem(), xml);
    }

    @Test
    void tooManyCandidatesOrTooMuchTextIsRefused() throws Exception {
        String many = host(null, null).repeat(Offer.MAX_CANDIDATES + 1);
        assertNotNull(parse(offer(many)).problem());
        String huge = "<announce xmlns='" + NS + "'><certificate>" + "A".repeat(SignalProvider.MAX_TEXT + 4)
                + "</certificate></announce>";
        assertNotNull(parse(huge).problem());
        // Exactly the limit of candidates is fine.
        assertNull(parse(offer(host(null, null).repeat(Offer.MAX_CANDIDATES))).problem());
    }

    @Test
    void theRecordsRefuseWhatTheDecoderRefuses() {
        InetAddress a = InetAddress.ofLiteral("192.0.2.1");
        assertThrows(IllegalArgumentException.class, () -> new Candidate("1", 1, Candidate.Transport.UDP, 1, a, 0,
                Candidate.Type.HOST, null, 0));
        assertThrows(IllegalArgumentException.class, () -> new Candidate("1", 1, Candidate.Transport.UDP, 1, a, 1,
                Candidate.Type.HOST, a, 1));
        assertThrows(IllegalArgumentException.class, () -> new IceCredentials("abcd", "tooshort"));
        assertThrows(IllegalArgumentException.class, () -> new Offer("XYZ", IceCredentials.random(RANDOM),
                List.of()));
    }
}
