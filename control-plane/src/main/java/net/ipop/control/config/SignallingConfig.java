package net.ipop.control.config;

import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;

/**
 * How a node reaches one overlay's XMPP signalling server: one entry of {@code signalling:} in
 * {@code node.yaml}. Each overlay has its own account and connection. The password is not held
 * here: {@code passwordFile} was checked (owner-only, not empty) and is read again when the node
 * connects, so the secret does not live on in an immutable object.
 *
 * @param overlay               the overlay's name; also the default room's local part
 * @param server                host name or IP literal of the XMPP server (resolved when connecting,
 *                              never while the file is read)
 * @param port                  the server's client port (5222 usually)
 * @param account               the node's account on it, a bare JID {@code local@domain}; its domain is the
 *                              XMPP domain
 * @param passwordFile          absolute path of the file holding the account's password
 * @param room                  the overlay's multi-user chat room, a bare JID
 * @param tls                   whether the connection is encrypted
 * @param serverCertificateFile a PEM certificate to trust instead of the system's CAs (a self-signed
 *                              server), or empty
 * @param connectTimeoutMs      how long connecting, logging in and each request may take
 * @param membership            the overlay's CA, this node's certificate, revocations and allowed groups;
 *                              always present when read from a file, empty only for signalling on its own
 *                              (tests of the signalling layer)
 */
public record SignallingConfig(String overlay, String server, int port, String account, Path passwordFile,
                               String room, TlsMode tls, Optional<Path> serverCertificateFile,
                               int connectTimeoutMs, Optional<MembershipConfig> membership) {
    public static final int DEFAULT_PORT = 5222;
    public static final int DEFAULT_CONNECT_TIMEOUT_MS = 10_000;

    public SignallingConfig {
        Objects.requireNonNull(overlay, "overlay");
        Objects.requireNonNull(server, "server");
        Objects.requireNonNull(account, "account");
        Objects.requireNonNull(passwordFile, "passwordFile");
        Objects.requireNonNull(room, "room");
        Objects.requireNonNull(tls, "tls");
        Objects.requireNonNull(serverCertificateFile, "serverCertificateFile");
        Objects.requireNonNull(membership, "membership");
    }

    /** Signalling without membership files (the signalling layer alone needs only the certificate it announces). */
    public SignallingConfig(String overlay, String server, int port, String account, Path passwordFile, String room,
                            TlsMode tls, Optional<Path> serverCertificateFile, int connectTimeoutMs) {
        this(overlay, server, port, account, passwordFile, room, tls, serverCertificateFile, connectTimeoutMs,
                Optional.empty());
    }

    /** The XMPP domain: the part of {@link #account} after the {@code @}. */
    public String domain() {
        return account.substring(account.indexOf('@') + 1);
    }

    /** The default room of an overlay: {@code <overlay>@conference.<domain>}. */
    public static String defaultRoom(String overlay, String domain) {
        return overlay + "@conference." + domain;
    }

    /** Transport security of the client connection. */
    public enum TlsMode {
        /** STARTTLS required; the server's certificate is verified (system CAs, or {@code serverCertificateFile}). */
        REQUIRED("required"),
        /** No TLS: the password and every message cross the network in clear. For tests on loopback only. */
        PLAIN("plain");

        private final String configName;

        TlsMode(String configName) {
            this.configName = configName;
        }

        public String configName() {
            return configName;
        }
    }
}
