package net.ipop.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;

import net.ipop.crypto.cert.CaCertificate;
import net.ipop.crypto.cert.MembershipResult;
import net.ipop.crypto.cert.MembershipVerifier;
import net.ipop.crypto.cert.NodeCertificate;
import net.ipop.crypto.cert.RevocationList;
import net.ipop.crypto.cert.X25519Keys;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The certificate verbs end to end through {@link IpopCommand#execute}, writing into a temporary directory. */
class CertCommandsTest {
    @TempDir
    Path dir;

    private StringWriter out;
    private StringWriter err;

    private int run(String... args) {
        out = new StringWriter();
        err = new StringWriter();
        int code = IpopCommand.execute(new PrintWriter(out, true), new PrintWriter(err, true), args);
        assertFalse(err.toString().contains("\tat "), "stack trace: " + err);
        assertFalse(err.toString().contains("Exception"), "exception name leaked: " + err);
        return code;
    }

    private int runWithStdin(String stdin, String... args) {
        InputStream saved = System.in;
        System.setIn(new ByteArrayInputStream(stdin.getBytes(StandardCharsets.US_ASCII)));
        try {
            return run(args);
        } finally {
            System.setIn(saved);
        }
    }

    private Path createCa() {
        Path ca = dir.resolve("ca");
        assertEquals(0, run("ca", "create", "--name", "Lab overlay", "--overlay", "192.0.2.0/24",
                "--overlay", "2001:db8:1::/64", "--out", ca.toString()), err.toString());
        return ca;
    }

    private String newPublicKey() {
        assertEquals(0, run("genkey"));
        String priv = out.toString().strip();
        assertEquals(0, runWithStdin(priv + "\n", "pubkey"), err.toString());
        return out.toString().strip();
    }

    @Test
    void pubkeyFollowsRfc7748AndGenkeyMakesClampedKeys() {
        String priv = Base64.getEncoder().encodeToString(
                HexFormat.of().parseHex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a"));
        assertEquals(0, runWithStdin(priv + "\n", "pubkey"));
        assertEquals("8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a",
                HexFormat.of().formatHex(Base64.getDecoder().decode(out.toString().strip())));

        assertEquals(0, run("genkey"));
        String generated = out.toString().strip();
        byte[] k = Base64.getDecoder().decode(generated);
        assertEquals(32, k.length);
        assertEquals(0, k[0] & 7, "clamped low bits");
        assertEquals(0x40, k[31] & 0xc0, "clamped high bits");
        assertEquals(0, runWithStdin(generated, "pubkey"));
        assertArrayEquals(X25519Keys.publicKey(k), Base64.getDecoder().decode(out.toString().strip()));
    }

    @Test
    void everyVerbHasHelp() {
        for (String[] verb : new String[][] {{"genkey"}, {"pubkey"}, {"ca"}, {"ca", "create"}, {"ca", "revoke"},
                {"cert"}, {"cert", "sign"}, {"cert", "show"}, {"cert", "verify"}}) {
            String[] args = Arrays.copyOf(verb, verb.length + 1);
            args[verb.length] = "--help";
            assertEquals(0, run(args), String.join(" ", args) + ": " + err);
            assertTrue(out.toString().startsWith("Usage: ipop " + String.join(" ", verb)), out.toString());
        }
    }

    @Test
    void pubkeyRejectsGarbageOnStdin() {
        assertEquals(IpopCommand.EXIT_USAGE, runWithStdin("not a key\n", "pubkey"));
        assertTrue(err.toString().startsWith("ipop pubkey: standard input"), err.toString());
    }

    @Test
    void createSignShowRevokeEndToEnd() throws Exception {
        Path ca = createCa();
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(ca.resolve("ca.key"))));
        assertTrue(Files.readString(ca.resolve("ca.crt")).startsWith("-----BEGIN CERTIFICATE-----"));
        assertTrue(out.toString().contains("192.0.2.0/24, 2001:db8:1::/64"), out.toString());

        String pub = newPublicKey();
        Path crt = dir.resolve("node-1.crt");
        assertEquals(0, run("cert", "sign", "--ca", ca.toString(), "--name", "node-1", "--pubkey", pub,
                "--address", "192.0.2.5/24", "--address", "2001:db8:1::5/64", "--group", "lab", "--group", "hpc",
                "--days", "30", "--out", crt.toString()), err.toString());

        assertEquals(0, run("cert", "show", crt.toString()));
        String text = out.toString();
        for (String expected : new String[] {"name:        node-1", "key:         " + pub,
                "addresses:   192.0.2.5/24, 2001:db8:1::5/64", "groups:      lab, hpc", "issuer:      CN=Lab overlay",
                "serial:", "fingerprint: sha256:", "not after:"}) {
            assertTrue(text.contains(expected), expected + " missing in\n" + text);
        }
        NodeCertificate cert = NodeCertificate.fromPem(Files.readString(crt));
        assertEquals(0, run("cert", "show", "--json", crt.toString()));
        String json = out.toString().strip();
        assertTrue(json.startsWith("{\"kind\":\"node\",\"name\":\"node-1\""), json);
        assertTrue(json.contains("\"addresses\":[\"192.0.2.5/24\",\"2001:db8:1::5/64\"]"), json);
        assertTrue(json.contains("\"serial\":\"" + cert.serialHex() + "\""), json);
        assertTrue(json.contains("\"fingerprint\":\"sha256:" + cert.fingerprint() + "\""), json);

        // What the files say is what a node's verifier accepts, until the serial is revoked.
        CaCertificate caCert = CaCertificate.fromPem(Files.readString(ca.resolve("ca.crt")));
        byte[] key = Base64.getDecoder().decode(pub);
        assertEquals(MembershipResult.Reason.OK,
                MembershipVerifier.forCa(caCert).verify(cert.der(), key, Instant.now()).reason());
        assertEquals(0, run("cert", "verify", crt.toString(), "--ca", ca.toString(), "--pubkey", pub), err.toString());
        assertTrue(out.toString().startsWith("OK: 'node-1'"), out.toString());
        assertEquals(IpopCommand.EXIT_FAILED, run("cert", "verify", crt.toString(), "--ca", ca.toString(),
                "--pubkey", newPublicKey()));
        assertTrue(out.toString().startsWith("KEY_MISMATCH: "), out.toString());
        assertEquals(0, run("ca", "revoke", "--ca", ca.toString(), "--serial", cert.serialHex()), err.toString());
        assertEquals(IpopCommand.EXIT_FAILED, run("cert", "verify", crt.toString(), "--ca", ca.toString()));
        assertTrue(out.toString().startsWith("REVOKED: "), out.toString());
        RevocationList crl = RevocationList.fromPem(Files.readString(ca.resolve("ca.crl")), caCert);
        assertEquals(MembershipResult.Reason.REVOKED,
                MembershipVerifier.forCa(caCert).withRevocations(crl).verify(cert.der(), key, Instant.now()).reason());
        assertEquals(0, run("ca", "revoke", "--ca", ca.toString(), "--serial", "0x1234"));
        RevocationList crl2 = RevocationList.fromPem(Files.readString(ca.resolve("ca.crl")), caCert);
        assertEquals(2, crl2.serials().size());
        assertEquals(crl.number().add(java.math.BigInteger.ONE), crl2.number());

        assertEquals(0, run("cert", "show", ca.resolve("ca.crt").toString()));
        assertTrue(out.toString().contains("overlay:     192.0.2.0/24, 2001:db8:1::/64"), out.toString());
    }

    @Test
    void neverOverwritesACaOrACertificate() throws Exception {
        Path ca = createCa();
        String key = Files.readString(ca.resolve("ca.key"));
        assertEquals(IpopCommand.EXIT_FAILED, run("ca", "create", "--name", "again", "--overlay", "192.0.2.0/24",
                "--out", ca.toString()));
        assertTrue(err.toString().startsWith("ipop ca create: --out " + ca + ": ca.key already exists"), err.toString());
        assertEquals(key, Files.readString(ca.resolve("ca.key")));

        Path crt = dir.resolve("taken.crt");
        Files.writeString(crt, "keep me");
        assertEquals(IpopCommand.EXIT_FAILED, run("cert", "sign", "--ca", ca.toString(), "--name", "n",
                "--pubkey", newPublicKey(), "--address", "192.0.2.9/24", "--out", crt.toString()));
        assertTrue(err.toString().contains("--out " + crt + " already exists"), err.toString());
        assertEquals("keep me", Files.readString(crt));
    }

    @Test
    void refusesACaKeyOthersCanRead() throws Exception {
        Path ca = createCa();
        Path key = ca.resolve("ca.key");
        Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("rw-r--r--"));
        Path crt = dir.resolve("n.crt");
        assertEquals(IpopCommand.EXIT_FAILED, run("cert", "sign", "--ca", ca.toString(), "--name", "n",
                "--pubkey", newPublicKey(), "--address", "192.0.2.9/24", "--out", crt.toString()));
        assertTrue(err.toString().contains("run: chmod 600 " + key), err.toString());
        assertFalse(Files.exists(crt));
        assertEquals(IpopCommand.EXIT_FAILED, run("ca", "revoke", "--ca", ca.toString(), "--serial", "1234"));
        assertTrue(err.toString().contains("chmod 600"), err.toString());
    }

    @Test
    void badArgumentsNameTheArgumentAndTheFix() throws Exception {
        assertEquals(IpopCommand.EXIT_USAGE, run("ca", "create", "--name", "x", "--overlay", "192.0.2.0/33",
                "--out", dir.resolve("x").toString()));
        assertTrue(err.toString().contains("'--overlay'") && err.toString().contains("0 to 32"), err.toString());
        assertEquals(IpopCommand.EXIT_USAGE, run("ca", "create", "--name", "x", "--overlay", "192.0.2.1/24",
                "--out", dir.resolve("x").toString()));
        assertTrue(err.toString().contains("write the network, 192.0.2.0/24"), err.toString());
        assertFalse(Files.exists(dir.resolve("x")), "nothing written on a usage error");

        Path ca = createCa();
        String pub = newPublicKey();
        Path crt = dir.resolve("n.crt");
        assertEquals(IpopCommand.EXIT_USAGE, run("cert", "sign", "--ca", ca.toString(), "--name", "n",
                "--pubkey", pub, "--address", "198.51.100.5/24", "--out", crt.toString()));
        assertTrue(err.toString().contains("--address 198.51.100.5/24 is not inside the overlay"), err.toString());
        assertEquals(IpopCommand.EXIT_USAGE, run("cert", "sign", "--ca", ca.toString(), "--name", "n",
                "--pubkey", "AAAA", "--address", "192.0.2.5/24", "--out", crt.toString()));
        assertTrue(err.toString().contains("--pubkey 'AAAA'"), err.toString());
        assertEquals(IpopCommand.EXIT_USAGE, run("cert", "sign", "--ca", ca.toString(), "--name", "no spaces",
                "--pubkey", pub, "--address", "192.0.2.5/24", "--out", crt.toString()));
        assertTrue(err.toString().contains("--name 'no spaces'"), err.toString());
        assertEquals(IpopCommand.EXIT_USAGE, run("cert", "sign", "--ca", ca.toString(), "--name", "n",
                "--pubkey", pub, "--address", "192.0.2.5/24", "--days", "9000", "--out", crt.toString()));
        assertTrue(err.toString().contains("--days 9000 would outlive the CA"), err.toString());
        assertEquals(IpopCommand.EXIT_USAGE, run("ca", "revoke", "--ca", ca.toString(), "--serial", "xyz"));
        assertTrue(err.toString().contains("'--serial'"), err.toString());
        assertFalse(Files.exists(crt), "nothing written on a usage error");

        Path missing = dir.resolve("no-such-ca");
        assertEquals(IpopCommand.EXIT_FAILED, run("cert", "sign", "--ca", missing.toString(), "--name", "n",
                "--pubkey", pub, "--address", "192.0.2.5/24", "--out", crt.toString()));
        assertTrue(err.toString().startsWith("ipop cert sign: --ca " + missing + ": no such directory"), err.toString());
        assertEquals(IpopCommand.EXIT_FAILED, run("cert", "show", dir.resolve("missing.crt").toString()));
        assertTrue(err.toString().contains("missing.crt: no such file"), err.toString());
        assertEquals(IpopCommand.EXIT_FAILED, run("cert", "show", ca.resolve("ca.key").toString()));
        assertTrue(err.toString().contains("not an IPOP certificate"), err.toString());
        assertEquals(IpopCommand.EXIT_USAGE, run("cert", "sign", "--ca", ca.toString()));
        assertTrue(err.toString().contains("Missing required options"), err.toString());
    }
}
