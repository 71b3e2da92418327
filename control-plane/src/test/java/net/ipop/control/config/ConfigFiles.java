package net.ipop.control.config;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;

import net.ipop.crypto.cert.X25519Keys;

/** Test fixtures: a valid config file next to an owner-only key file, in a temporary directory. */
final class ConfigFiles {
    private static final SecureRandom RANDOM = new SecureRandom();

    /** Our public key, and two peers' keys (base64). */
    final String ownPublicKey;
    final String betaKey = X25519Keys.toBase64(X25519Keys.publicKey(X25519Keys.generatePrivateKey(RANDOM)));
    final String gammaKey = X25519Keys.toBase64(X25519Keys.publicKey(X25519Keys.generatePrivateKey(RANDOM)));
    final Path dir;

    private final byte[] ownPublicKeyBytes;

    ConfigFiles(Path dir) throws IOException {
        this.dir = dir;
        byte[] priv = X25519Keys.generatePrivateKey(RANDOM);
        ownPublicKeyBytes = X25519Keys.publicKey(priv);
        ownPublicKey = X25519Keys.toBase64(X25519Keys.publicKey(priv));
        writeKey(dir.resolve("alpha.key"), X25519Keys.toBase64(priv) + "\n", "rw-------");
    }

    static Path writeKey(Path file, String text, String mode) throws IOException {
        Files.writeString(file, text);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString(mode));
        return file;
    }

    /** A valid file; the line numbers are the ones the mistake table refers to. */
    String valid() {
        return """
                node:
                  name: alpha
                  privateKeyFile: alpha.key
                interface:
                  name: ipop0
                  addresses: [192.0.2.1/24, "2001:db8::1/64"]
                  mtu: 1420
                  queues: 1
                listen:
                  port: 51820
                  address: 0.0.0.0
                suite: aes256gcm
                dataplane:
                  idleStrategy: backoff
                  offloads: false
                  ioUring: true
                peers:
                  - name: beta
                    publicKey: BETA
                    endpoint: 198.51.100.2:51820
                    allowedAddresses: [192.0.2.2/32]
                    keepaliveIntervalMs: 25000
                  - name: gamma
                    publicKey: GAMMA
                    endpoint: "[2001:db8::3]:51820"
                    allowedAddresses: [192.0.2.3/32]
                    suite: chacha20poly1305
                """.replace("BETA", betaKey).replace("GAMMA", gammaKey);
    }

    /**
     * Writes an overlay CA ({@code lab-ca.pem}, overlay 192.0.2.0/24), this node's certificate from it
     * ({@code alpha.pem}, name alpha, 192.0.2.1/32, group lab), a certificate of another node ({@code beta.pem}),
     * a revocation list revoking nothing ({@code lab.crl}) and one of another CA ({@code other.crl}).
     */
    void writeMembership() throws IOException {
        java.time.Instant now = java.time.Instant.now();
        java.time.Instant from = now.minusSeconds(60);
        java.time.Instant to = now.plusSeconds(3600);
        var prefix = java.util.List.of(net.ipop.crypto.cert.IpPrefix.parse("192.0.2.0/24"));
        var ca = net.ipop.crypto.cert.OverlayCa.create("lab-ca", prefix, from, to, RANDOM);
        var other = net.ipop.crypto.cert.OverlayCa.create("other-ca", prefix, from, to, RANDOM);
        write("lab-ca.pem", ca.certificate().toPem());
        write("alpha.pem", ca.issue("alpha", ownPublicKeyBytes, java.util.List.of(
                net.ipop.crypto.cert.IpPrefix.parse("192.0.2.1/32")), java.util.List.of("lab"), from, to, RANDOM)
                .toPem());
        write("beta.pem", ca.issue("beta", X25519Keys.publicKey(X25519Keys.generatePrivateKey(RANDOM)),
                java.util.List.of(net.ipop.crypto.cert.IpPrefix.parse("192.0.2.2/32")), java.util.List.of(), from, to,
                RANDOM).toPem());
        write("lab.crl", ca.revoke(null, java.util.List.of(), now).toPem());
        write("other.crl", other.revoke(null, java.util.List.of(), now).toPem());
    }

    /** Writes {@code text} as {@code name} in the directory. */
    Path write(String name, String text) throws IOException {
        return Files.writeString(dir.resolve(name), text);
    }
}
