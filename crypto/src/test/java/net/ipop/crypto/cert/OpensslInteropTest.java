package net.ipop.crypto.cert;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Our files are standard X.509/PKCS#8: OpenSSL (Debian's openssl package) reads the CA key, chains
 * a node certificate to the CA, and honours the CRL. Guards against drifting into a private dialect.
 */
@Timeout(60)
class OpensslInteropTest {
    @TempDir
    Path dir;

    private String openssl(String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("openssl"));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(30, TimeUnit.SECONDS), "openssl hung");
        return p.exitValue() + ":" + output;
    }

    @Test
    void opensslChainsNodeToCaHonoursTheCrlAndReadsTheKey() throws Exception {
        Instant now = Instant.now();
        OverlayCa ca = OverlayCa.create("lab overlay", TestCerts.OVERLAY, now.minusSeconds(3600),
                now.plusSeconds(86400), new SecureRandom());
        byte[] nodeKey = X25519Keys.publicKey(X25519Keys.generatePrivateKey(new SecureRandom()));
        NodeCertificate node = ca.issue("node-1", nodeKey, List.of(IpPrefix.parse("192.0.2.5/24")), List.of("lab"),
                now.minusSeconds(60), now.plusSeconds(3600), new SecureRandom());
        Files.writeString(dir.resolve("ca.crt"), ca.certificate().toPem());
        Files.writeString(dir.resolve("node.crt"), node.toPem());
        PrivateKeyFiles.writeNew(dir.resolve("ca.key"), Pem.encode(Pem.PRIVATE_KEY, ca.privateKeyPkcs8()));
        Files.writeString(dir.resolve("ca.crl"), ca.revoke(null, List.of(node.serial()), now).toPem());

        assertEquals("0:node.crt: OK\n", openssl("verify", "-CAfile", "ca.crt", "node.crt"));
        String revoked = openssl("verify", "-crl_check", "-CAfile", "ca.crt", "-CRLfile", "ca.crl", "node.crt");
        assertTrue(revoked.contains("certificate revoked"), revoked);
        String pub = openssl("pkey", "-in", "ca.key", "-pubout", "-outform", "DER", "-out", "ca.pub");
        assertTrue(pub.startsWith("0:"), pub);
        byte[] spki = Files.readAllBytes(dir.resolve("ca.pub"));
        byte[] raw = Arrays.copyOfRange(spki, spki.length - 32, spki.length);
        assertArrayEquals(ca.certificate().publicKey(), raw);
    }
}
