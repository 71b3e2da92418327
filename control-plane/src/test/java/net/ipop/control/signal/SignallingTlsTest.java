package net.ipop.control.signal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Optional;
import java.util.Set;

import net.ipop.control.config.SignallingConfig;
import net.ipop.crypto.cert.NodeCertificate;
import net.ipop.ffm.testing.Privileged;
import net.ipop.ffm.testing.TestNamespace;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A server that requires TLS, with a self-signed certificate: trusted when it is pinned with
 * {@code serverCertificateFile}, refused against the system's CAs, and no plain-text login.
 */
@Privileged
class SignallingTlsTest {
    @TempDir
    Path dir;

    static SignallingConfig with(SignallingConfig c, SignallingConfig.TlsMode tls, Optional<Path> pinned) {
        return new SignallingConfig(c.overlay(), c.server(), c.port(), c.account(), c.passwordFile(), c.room(), tls,
                pinned, c.connectTimeoutMs());
    }

    @Test
    @Timeout(180)
    void aPinnedSelfSignedServerIsTrustedAndNothingElseGetsIn() throws Exception {
        try (TestNamespace ns = TestNamespace.create("xmppt");
                ProsodyServer server = ProsodyServer.withTls(ns, dir)) {
            server.start();
            TestOverlay lab = new TestOverlay("tls", dir);
            Signalling.Options options = new Signalling.Options(new NamespaceSockets(ns), 1,
                    Signalling.DEFAULT_QUEUE_CAPACITY);
            NodeCertificate alphaCert = lab.certificate("alpha");
            NodeCertificate betaCert = lab.certificate("beta");
            SignallingConfig alphaConfig = with(lab.join(server, "alpha"), SignallingConfig.TlsMode.REQUIRED,
                    Optional.of(server.certificate()));
            SignallingConfig betaConfig = lab.join(server, "beta");
            try (Signalling alpha = new Signalling(options); Signalling beta = new Signalling(options)) {
                // The system's CAs do not know the server's certificate: refused.
                SignallingException untrusted = assertThrows(SignallingException.class, () -> beta.join(
                        with(betaConfig, SignallingConfig.TlsMode.REQUIRED, Optional.empty()), betaCert));
                assertTrue(untrusted.getMessage().contains("cannot log in"), untrusted.getMessage());
                // Plain text is refused by the server (it requires encryption).
                assertThrows(SignallingException.class, () -> beta.join(betaConfig, betaCert));
                assertEquals(Set.of(), beta.overlays());

                alpha.join(alphaConfig, alphaCert);
                beta.join(with(betaConfig, SignallingConfig.TlsMode.REQUIRED, Optional.of(server.certificate())),
                        betaCert);
                Recorder a = new Recorder(alpha);
                SignalEvent.PeerPresent p = a.await(SignalEvent.PeerPresent.class, e -> e.peerId().equals("beta"),
                        SignallingProsodyTest.WAIT);
                assertArrayEquals(betaCert.der(), p.certificate().der());
            }
        }
    }
}
