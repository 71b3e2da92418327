package net.ipop.control.signal;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.Arrays;

import javax.net.SocketFactory;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;

import net.ipop.control.config.SecretFiles;
import net.ipop.control.config.SignallingConfig;
import org.jivesoftware.smack.ConnectionConfiguration;
import org.jivesoftware.smack.tcp.XMPPTCPConnectionConfiguration;
import org.jxmpp.stringprep.XmppStringprepException;

/**
 * Smack's connection settings from a {@link SignallingConfig}: account and password (read from
 * its file now, and wiped from our copy once Smack has it), server address (a literal is used as
 * is; a name is left to Smack to resolve when connecting), TLS (required and verified, against a
 * pinned certificate if one is configured; or off, for tests). Stateless.
 */
final class XmppConnections {
    private XmppConnections() {
    }

    static XMPPTCPConnectionConfiguration configuration(SignallingConfig config, SocketFactory sockets)
            throws SignallingException {
        char[] password;
        try {
            password = SecretFiles.readPassword(config.passwordFile());
        } catch (IOException e) {
            throw new SignallingException(config.overlay() + ": signalling password: " + e.getMessage(), e);
        }
        try {
            XMPPTCPConnectionConfiguration.Builder b = XMPPTCPConnectionConfiguration.builder()
                    .setXmppAddressAndPassword(config.account(), new String(password))
                    .setResource(OverlayClient.RESOURCE)
                    .setPort(config.port())
                    .setConnectTimeout(config.connectTimeoutMs())
                    .setSendPresence(false)
                    .setSocketFactory(sockets);
            if (isLiteral(config.server())) {
                b.setHostAddress(InetAddress.ofLiteral(config.server()));
            } else {
                b.setHost(config.server());
            }
            if (config.tls() == SignallingConfig.TlsMode.PLAIN) {
                b.setSecurityMode(ConnectionConfiguration.SecurityMode.disabled);
            } else {
                b.setSecurityMode(ConnectionConfiguration.SecurityMode.required);
                if (config.serverCertificateFile().isPresent()) {
                    b.setCustomX509TrustManager(trusting(config, config.serverCertificateFile().get()));
                }
            }
            return b.build();
        } catch (XmppStringprepException e) {
            throw new SignallingException(config.overlay() + ": account " + config.account() + " is not a JID", e);
        } finally {
            Arrays.fill(password, '\0');
        }
    }

    private static boolean isLiteral(String host) {
        try {
            InetAddress.ofLiteral(host);
            return true;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    /** A trust manager that trusts exactly the certificate in {@code pem} (a self-signed server's). */
    private static X509TrustManager trusting(SignallingConfig config, Path pem) throws SignallingException {
        try (InputStream in = Files.newInputStream(pem)) {
            X509Certificate cert = (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
            KeyStore ks = KeyStore.getInstance(KeyStore.getDefaultType());
            ks.load(null, null);
            ks.setCertificateEntry("server", cert);
            TrustManagerFactory f = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            f.init(ks);
            for (TrustManager m : f.getTrustManagers()) {
                if (m instanceof X509TrustManager x) {
                    return x;
                }
            }
            throw new SignallingException(config.overlay() + ": no X.509 trust manager in this JDK");
        } catch (IOException | GeneralSecurityException e) {
            throw new SignallingException(config.overlay() + ": server certificate " + pem + " unusable (" + e + ")",
                    e);
        }
    }
}
