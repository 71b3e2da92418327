package net.ipop.control.signal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

import net.ipop.control.config.SignallingConfig;
import net.ipop.crypto.cert.IpPrefix;
import net.ipop.crypto.cert.NodeCertificate;
import net.ipop.crypto.cert.OverlayCa;

/** One overlay for tests: its CA, and per node a certificate, an account and a config. */
final class TestOverlay {
    private static final SecureRandom RANDOM = new SecureRandom();
    final String name;
    private final OverlayCa ca;
    private final Path dir;
    private final Instant notBefore;
    private final Instant notAfter;
    private int next = 1;

    TestOverlay(String name, Path dir) {
        this.name = name;
        this.dir = dir;
        Instant now = Instant.now();
        this.notBefore = now.minusSeconds(3600);
        this.notAfter = now.plus(Duration.ofDays(1));
        this.ca = OverlayCa.create(name + "-ca", List.of(IpPrefix.parse("192.0.2.0/24")), notBefore, notAfter,
                RANDOM);
    }

    /** A certificate for {@code node} with a random X25519 public key (signalling does not use the key). */
    NodeCertificate certificate(String node) {
        byte[] key = new byte[32];
        RANDOM.nextBytes(key);
        return ca.issue(node, key, List.of(IpPrefix.parse("192.0.2." + next++ + "/32")), List.of(), notBefore,
                notAfter, RANDOM);
    }

    /** The account name of {@code node} in this overlay: {@code node-overlay}. */
    String account(String node) {
        return node + "-" + name;
    }

    /** Registers the node's account on {@code server} and returns its config (plain TCP on loopback). */
    SignallingConfig join(ProsodyServer server, String node) throws IOException {
        String password = "pw-" + Long.toHexString(RANDOM.nextLong());
        server.register(account(node), password);
        Path file = dir.resolve(account(node) + ".password");
        Files.writeString(Files.createFile(file, PosixFilePermissions.asFileAttribute(
                PosixFilePermissions.fromString("rw-------"))), password + "\n");
        return new SignallingConfig(name, "127.0.0.1", ProsodyServer.PORT, account(node) + "@" + ProsodyServer.DOMAIN,
                file, SignallingConfig.defaultRoom(name, ProsodyServer.DOMAIN), SignallingConfig.TlsMode.PLAIN,
                Optional.empty(), 10_000);
    }
}
