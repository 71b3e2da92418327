package net.ipop.control.signal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import net.ipop.control.config.SignallingConfig;
import net.ipop.crypto.cert.NodeCertificate;
import net.ipop.ffm.testing.Privileged;
import net.ipop.ffm.testing.TestNamespace;
import org.jivesoftware.smack.packet.StandardExtensionElement;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Signalling between real clients through a real Prosody server in a namespace of the test's own.
 * Each test uses an overlay (room) and accounts of its own on the one server of this class.
 */
@Privileged
@Timeout(180)
class SignallingProsodyTest {
    static final Duration WAIT = Duration.ofSeconds(30);

    @TempDir
    static Path dir;
    static TestNamespace ns;
    static ProsodyServer server;

    @BeforeAll
    static void startServer() throws Exception {
        ns = TestNamespace.create("xmpp");
        server = ProsodyServer.in(ns, dir);
        server.start();
    }

    @AfterAll
    static void stopServer() throws Exception {
        try {
            if (server != null) {
                server.close();
            }
        } finally {
            if (ns != null) {
                ns.close();
            }
        }
    }

    static Signalling node() {
        return new Signalling(new Signalling.Options(new NamespaceSockets(ns), 1, Signalling.DEFAULT_QUEUE_CAPACITY));
    }

    static InetAddress ip(String literal) {
        return InetAddress.ofLiteral(literal);
    }

    /** A host, a server-reflexive and a relayed candidate, two of them IPv6. */
    static List<Candidate> candidates(String host6) {
        return List.of(
                new Candidate("1", 1, Candidate.Transport.UDP, 2130706431L, ip(host6), 40000, Candidate.Type.HOST,
                        null, 0),
                new Candidate("2", 1, Candidate.Transport.UDP, 1694498815L, ip("203.0.113.7"), 61000,
                        Candidate.Type.SERVER_REFLEXIVE, ip("192.0.2.10"), 40000),
                new Candidate("r+/3", 1, Candidate.Transport.UDP, 16777215L, ip("2001:db8:ffff::3478"), 50001,
                        Candidate.Type.RELAYED, ip("2001:db8:0:0:0:0:0:7"), 61001));
    }

    @Test
    void twoNodesInOneOverlaySeeEachOtherWithTheirCertificates() throws Exception {
        TestOverlay lab = new TestOverlay("presence", dir);
        NodeCertificate alphaCert = lab.certificate("alpha");
        NodeCertificate betaCert = lab.certificate("beta");
        try (Signalling alpha = node(); Signalling beta = node()) {
            Recorder a = new Recorder(alpha);
            Recorder b = new Recorder(beta);
            alpha.join(lab.join(server, "alpha"), alphaCert);
            beta.join(lab.join(server, "beta"), betaCert);

            SignalEvent.PeerPresent seenByAlpha = a.await(SignalEvent.PeerPresent.class,
                    e -> e.peerId().equals("beta"), WAIT);
            SignalEvent.PeerPresent seenByBeta = b.await(SignalEvent.PeerPresent.class,
                    e -> e.peerId().equals("alpha"), WAIT);
            assertEquals("presence", seenByAlpha.overlay());
            assertArrayEquals(betaCert.der(), seenByAlpha.certificate().der());
            assertArrayEquals(alphaCert.der(), seenByBeta.certificate().der());
            assertEquals(betaCert.publicKeyBase64(), seenByAlpha.certificate().publicKeyBase64());
            assertEquals(Set.of("beta"), alpha.peers("presence"));
            assertEquals(Set.of("alpha"), beta.peers("presence"));

            // A renewed certificate is announced again and heard as an update.
            NodeCertificate renewed = lab.certificate("beta");
            beta.announce("presence", renewed);
            SignalEvent.PeerPresent update = a.await(SignalEvent.PeerPresent.class,
                    e -> e.peerId().equals("beta") && e.certificate().fingerprint().equals(renewed.fingerprint()), WAIT);
            assertArrayEquals(renewed.der(), update.certificate().der());
            assertThrows(IllegalArgumentException.class, () -> beta.announce("presence", lab.certificate("gamma")),
                    "a node keeps its name");
        }
    }

    @Test
    void offerAndAnswerRoundTripWithIpv6Candidates() throws Exception {
        TestOverlay lab = new TestOverlay("ice", dir);
        try (Signalling alpha = node(); Signalling beta = node()) {
            Recorder a = new Recorder(alpha);
            Recorder b = new Recorder(beta);
            alpha.join(lab.join(server, "alpha"), lab.certificate("alpha"));
            beta.join(lab.join(server, "beta"), lab.certificate("beta"));
            a.await(SignalEvent.PeerPresent.class, e -> e.peerId().equals("beta"), WAIT);
            b.await(SignalEvent.PeerPresent.class, e -> e.peerId().equals("alpha"), WAIT);

            Offer sent = alpha.sendOffer("ice", "beta", candidates("2001:db8::a"));
            SignalEvent.OfferReceived got = b.await(SignalEvent.OfferReceived.class, e -> true, WAIT);
            assertEquals("alpha", got.peerId());
            assertEquals("ice", got.overlay());
            assertEquals(sent, got.offer());
            assertEquals(ip("2001:db8::a"), got.offer().candidates().get(0).address());
            assertEquals(ip("2001:db8::7"), got.offer().candidates().get(2).relatedAddress());

            Answer answer = beta.sendAnswer("ice", "alpha", got.offer().sessionId(), candidates("2001:db8::b"));
            SignalEvent.AnswerReceived back = a.await(SignalEvent.AnswerReceived.class, e -> true, WAIT);
            assertEquals("beta", back.peerId());
            assertEquals(answer, back.answer());
            assertEquals(sent.sessionId(), back.answer().sessionId());
            assertNotEquals(sent.credentials(), back.answer().credentials());

            // Offer-to-answer round trips through the server, for the record: printed, not asserted (shared machine).
            long[] rtt = new long[20];
            for (int i = 0; i < rtt.length; i++) {
                long t0 = System.nanoTime();
                Offer o = alpha.sendOffer("ice", "beta", candidates("2001:db8::a"));
                Offer in = b.await(SignalEvent.OfferReceived.class, e -> e.offer().sessionId().equals(o.sessionId()),
                        WAIT).offer();
                beta.sendAnswer("ice", "alpha", in.sessionId(), candidates("2001:db8::b"));
                a.await(SignalEvent.AnswerReceived.class, e -> e.answer().sessionId().equals(o.sessionId()), WAIT);
                rtt[i] = System.nanoTime() - t0;
            }
            java.util.Arrays.sort(rtt);
            System.out.printf("signalling: offer->answer round trip through prosody: median %.2f ms, max %.2f ms"
                    + " (n=%d)%n", rtt[rtt.length / 2] / 1e6, rtt[rtt.length - 1] / 1e6, rtt.length);
        }
    }

    @Test
    void everyOfferCarriesFreshCredentialsAndSessionId() throws Exception {
        TestOverlay lab = new TestOverlay("fresh", dir);
        try (Signalling alpha = node(); Signalling beta = node()) {
            Recorder b = new Recorder(beta);
            Recorder a = new Recorder(alpha);
            alpha.join(lab.join(server, "alpha"), lab.certificate("alpha"));
            beta.join(lab.join(server, "beta"), lab.certificate("beta"));
            a.await(SignalEvent.PeerPresent.class, e -> e.peerId().equals("beta"), WAIT);
            Set<String> ufrags = new HashSet<>();
            Set<String> passwords = new HashSet<>();
            Set<String> sessions = new HashSet<>();
            int offers = 5;
            for (int i = 0; i < offers; i++) {
                alpha.sendOffer("fresh", "beta", candidates("2001:db8::1"));
            }
            for (int i = 0; i < offers; i++) {
                int n = i;
                Offer o = b.await(SignalEvent.OfferReceived.class, e -> b.events.stream()
                        .filter(SignalEvent.OfferReceived.class::isInstance).count() > n, WAIT).offer();
                ufrags.add(o.credentials().ufrag());
                passwords.add(o.credentials().password());
                sessions.add(o.sessionId());
            }
            List<Offer> received = b.events.stream().filter(SignalEvent.OfferReceived.class::isInstance)
                    .map(e -> ((SignalEvent.OfferReceived) e).offer()).toList();
            assertEquals(offers, received.size());
            for (Offer o : received) {
                ufrags.add(o.credentials().ufrag());
                passwords.add(o.credentials().password());
                sessions.add(o.sessionId());
            }
            assertEquals(offers, ufrags.size(), "a ufrag was repeated: " + received);
            assertEquals(offers, passwords.size(), "a password was repeated");
            assertEquals(offers, sessions.size(), "a session id was repeated");
            for (String p : passwords) {
                assertTrue(p.length() >= 22, p);
            }
        }
    }

    @Test
    void twoOverlaysOnOneNodeUseTwoAccountsAndStaySeparate() throws Exception {
        TestOverlay red = new TestOverlay("red", dir);
        TestOverlay blue = new TestOverlay("blue", dir);
        try (Signalling alpha = node(); Signalling beta = node(); Signalling gamma = node()) {
            Recorder a = new Recorder(alpha);
            Recorder b = new Recorder(beta);
            Recorder g = new Recorder(gamma);
            SignallingConfig alphaRed = red.join(server, "alpha");
            SignallingConfig alphaBlue = blue.join(server, "alpha");
            assertNotEquals(alphaRed.account(), alphaBlue.account());
            alpha.join(alphaRed, red.certificate("alpha"));
            alpha.join(alphaBlue, blue.certificate("alpha"));
            beta.join(red.join(server, "beta"), red.certificate("beta"));
            gamma.join(blue.join(server, "gamma"), blue.certificate("gamma"));

            a.await(SignalEvent.PeerPresent.class, e -> e.overlay().equals("red") && e.peerId().equals("beta"), WAIT);
            a.await(SignalEvent.PeerPresent.class, e -> e.overlay().equals("blue") && e.peerId().equals("gamma"),
                    WAIT);
            b.await(SignalEvent.PeerPresent.class, e -> e.peerId().equals("alpha"), WAIT);
            g.await(SignalEvent.PeerPresent.class, e -> e.peerId().equals("alpha"), WAIT);
            assertEquals(Set.of("red", "blue"), alpha.overlays());
            assertEquals(Set.of("beta"), alpha.peers("red"));
            assertEquals(Set.of("gamma"), alpha.peers("blue"));
            assertEquals(Set.of("alpha"), beta.peers("red"));
            assertEquals(Set.of("alpha"), gamma.peers("blue"));
            // A peer of one overlay is not reachable through the other.
            assertThrows(SignallingException.class, () -> alpha.sendOffer("red", "gamma", List.of()));

            Offer toRed = alpha.sendOffer("red", "beta", candidates("2001:db8::1"));
            Offer toBlue = alpha.sendOffer("blue", "gamma", candidates("2001:db8::2"));
            assertEquals(toRed, b.await(SignalEvent.OfferReceived.class, e -> e.overlay().equals("red"), WAIT).offer());
            assertEquals(toBlue, g.await(SignalEvent.OfferReceived.class, e -> e.overlay().equals("blue"), WAIT)
                    .offer());
            // Each side heard only its own overlay.
            assertTrue(b.events.stream().allMatch(e -> e.overlay().equals("red")), b.events::toString);
            assertTrue(g.events.stream().allMatch(e -> e.overlay().equals("blue")), g.events::toString);
            assertTrue(a.events.stream().noneMatch(e -> e.overlay().equals("red") && e.peerId().equals("gamma")));
            assertTrue(a.events.stream().noneMatch(e -> e.overlay().equals("blue") && e.peerId().equals("beta")));
        }
    }

    @Test
    void aNodeThatLeavesIsSeenGone() throws Exception {
        TestOverlay lab = new TestOverlay("leave", dir);
        Signalling gamma = node();
        try (Signalling alpha = node(); Signalling beta = node()) {
            Recorder a = new Recorder(alpha);
            alpha.join(lab.join(server, "alpha"), lab.certificate("alpha"));
            beta.join(lab.join(server, "beta"), lab.certificate("beta"));
            gamma.join(lab.join(server, "gamma"), lab.certificate("gamma"));
            a.await(SignalEvent.PeerPresent.class, e -> e.peerId().equals("beta"), WAIT);
            a.await(SignalEvent.PeerPresent.class, e -> e.peerId().equals("gamma"), WAIT);

            beta.leave("leave");
            assertTrue(a.await(SignalEvent.PeerGone.class, e -> e.peerId().equals("beta"), WAIT).leaving(),
                    "a node that leaves says it stops on purpose");
            assertEquals(Set.of("gamma"), alpha.peers("leave"));
            assertThrows(SignallingException.class, () -> alpha.sendOffer("leave", "beta", List.of()));

            closeNode(gamma); // closing a node leaves every overlay it is in
            assertTrue(a.await(SignalEvent.PeerGone.class, e -> e.peerId().equals("gamma"), WAIT).leaving());
            assertEquals(Set.of(), alpha.peers("leave"));
        } finally {
            closeNode(gamma);
        }
    }

    /** What a hostile or broken peer might send; each must be counted and dropped, and nothing else disturbed. */
    @Test
    void malformedAndForgedStanzasAreDroppedAndCounted() throws Exception {
        TestOverlay lab = new TestOverlay("hostile", dir);
        NodeCertificate betaCert = lab.certificate("beta");
        NodeCertificate malloryCert = lab.certificate("mallory");
        try (Signalling alpha = node();
                RawClient mallory = new RawClient(ns, lab.join(server, "mallory"));
                RawClient eve = new RawClient(ns, lab.join(server, "eve"))) {
            Recorder a = new Recorder(alpha);
            SignallingConfig alphaConfig = lab.join(server, "alpha");
            alpha.join(alphaConfig, lab.certificate("alpha"));
            mallory.join("mallory", p -> p.addExtension(SignalElement.of(new Announcement(malloryCert))));
            a.await(SignalEvent.PeerPresent.class, e -> e.peerId().equals("mallory"), WAIT);

            String session = "0123456789abcdef0123456789abcdef";
            String pwd = "abcdefghijklmnopqrstuvwxyz";
            // 1. A host name where an address belongs (it must never be resolved).
            mallory.privateMessage("alpha", offer(session, "abcd", pwd, candidate("ip", "example.com")));
            // 2. A port out of range.
            mallory.privateMessage("alpha", offer(session, "abcd", pwd, candidate("port", "99999")));
            // 3. No password.
            mallory.privateMessage("alpha", StandardExtensionElement.builder("offer", SignalElement.NAMESPACE)
                    .addAttribute("session", session).addAttribute("ufrag", "abcd").build());
            // 4. A constant, short password and a colon-split candidate string instead of attributes.
            mallory.privateMessage("alpha", StandardExtensionElement.builder("offer", SignalElement.NAMESPACE)
                    .addAttribute("session", session).addAttribute("ufrag", "abcd").addAttribute("pwd", "x")
                    .build());
            // 5. Too many candidates.
            StandardExtensionElement.Builder many = StandardExtensionElement.builder("offer", SignalElement.NAMESPACE)
                    .addAttribute("session", session).addAttribute("ufrag", "abcd").addAttribute("pwd", pwd);
            for (int i = 0; i < Offer.MAX_CANDIDATES + 5; i++) {
                many.addElement(candidate("foundation", Integer.toString(i)));
            }
            mallory.privateMessage("alpha", many.build());
            awaitCount(alpha, DropReason.MALFORMED, 5);

            // 6. Mallory re-announces with beta's certificate: its nick is not the certificate's name.
            mallory.presence("mallory", SignalElement.of(new Announcement(betaCert)));
            awaitCount(alpha, DropReason.FORGED, 1);
            // 7. An offer straight to alpha's account, not through the room: no nick vouches for it.
            mallory.direct(alphaConfig.account() + "/" + OverlayClient.RESOURCE, validOffer(session, pwd));
            awaitCount(alpha, DropReason.FORGED, 2);
            // 8. Eve joins with a certificate that is not DER, then offers without being a known peer.
            eve.join("eve", p -> p.addExtension(StandardExtensionElement.builder("announce", SignalElement.NAMESPACE)
                    .addElement("certificate", "AAAAAAAA").build()));
            awaitCount(alpha, DropReason.MALFORMED, 6);
            eve.privateMessage("alpha", validOffer(session, pwd));
            awaitCount(alpha, DropReason.UNKNOWN_SENDER, 1);

            // After all that, a valid offer from mallory still arrives, and it is the only offer alpha heard.
            mallory.privateMessage("alpha", validOffer(session, pwd));
            SignalEvent.OfferReceived ok = a.await(SignalEvent.OfferReceived.class, e -> true, WAIT);
            assertEquals("mallory", ok.peerId());
            assertEquals(ip("2001:db8::5"), ok.offer().candidates().getFirst().address());
            a.drainFor(300);
            assertEquals(1, a.events.stream().filter(SignalEvent.OfferReceived.class::isInstance).count(),
                    a.events::toString);
            assertTrue(a.events.stream().noneMatch(e -> e.peerId().equals("eve")), a.events::toString);
            assertEquals(Set.of("mallory"), alpha.peers("hostile"));
            assertEquals(malloryCert.fingerprint(), ((SignalEvent.PeerPresent) a.events.stream()
                    .filter(e -> e instanceof SignalEvent.PeerPresent).reduce((x, y) -> y).orElseThrow())
                    .certificate().fingerprint(), "the forged re-announcement must not replace the certificate");
            assertEquals(6, alpha.dropped(DropReason.MALFORMED));
            assertEquals(2, alpha.dropped(DropReason.FORGED));
            assertEquals(1, alpha.dropped(DropReason.UNKNOWN_SENDER));
            assertEquals(0, alpha.dropped(DropReason.QUEUE_FULL));

            // Mallory's connection dies without leaving the room: the server reports it gone all the same.
            mallory.connection.instantShutdown();
            assertFalse(a.await(SignalEvent.PeerGone.class, e -> e.peerId().equals("mallory"), WAIT).leaving(),
                    "a lost connection is not a node stopping on purpose: it may come back");
            assertEquals(Set.of(), alpha.peers("hostile"));
        }
    }

    static StandardExtensionElement offer(String session, String ufrag, String pwd, StandardExtensionElement c) {
        return StandardExtensionElement.builder("offer", SignalElement.NAMESPACE).addAttribute("session", session)
                .addAttribute("ufrag", ufrag).addAttribute("pwd", pwd).addElement(c).build();
    }

    static StandardExtensionElement validOffer(String session, String pwd) {
        return offer(session, "abcd", pwd, candidate("ip", "2001:db8::5"));
    }

    /** A valid host candidate with one attribute replaced. */
    static StandardExtensionElement candidate(String attribute, String value) {
        java.util.Map<String, String> a = new java.util.LinkedHashMap<>();
        a.put("foundation", "1");
        a.put("component", "1");
        a.put("transport", "udp");
        a.put("priority", "2130706431");
        a.put("ip", "192.0.2.5");
        a.put("port", "40000");
        a.put("type", "host");
        a.put(attribute, value);
        return StandardExtensionElement.builder("candidate", SignalElement.NAMESPACE).addAttributes(a).build();
    }

    static void awaitCount(Signalling s, DropReason reason, long n) throws InterruptedException {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (s.dropped(reason) < n) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError(reason + " drops: " + s.dropped(reason) + ", expected " + n + "; all: "
                        + s.dropped());
            }
            Thread.sleep(20);
        }
        assertEquals(n, s.dropped(reason), "more drops than stanzas sent: " + s.dropped());
    }

    private static void closeNode(Signalling s) {
        try (s) {
            s.overlays(); // closed here; close() is idempotent
        }
    }

    @Test
    void passwordFileReadableByOthersIsRefused() throws Exception {
        TestOverlay lab = new TestOverlay("secret", dir);
        SignallingConfig c = lab.join(server, "alpha");
        java.nio.file.Files.setPosixFilePermissions(c.passwordFile(),
                java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
        try (Signalling alpha = node()) {
            SignallingException e = assertThrows(SignallingException.class,
                    () -> alpha.join(c, lab.certificate("alpha")));
            assertTrue(e.getMessage().contains("chmod 600"), e.getMessage());
            assertFalse(alpha.overlays().contains("secret"));
        }
    }
}
