package net.ipop.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.HexFormat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import net.ipop.control.NodeMain;
import net.ipop.crypto.cert.X25519Keys;

/**
 * {@code ipop up} and {@code ipop down} where they refuse before starting anything, through
 * {@link IpopCommand#execute}. Starting and stopping real nodes is {@code net.ipop.control.NodeUpDownTest}.
 */
class UpDownCommandTest {
    private static final SecureRandom RANDOM = new SecureRandom();

    @TempDir
    Path dir;

    private StringWriter out;
    private StringWriter err;

    private int run(String... args) {
        out = new StringWriter();
        err = new StringWriter();
        int code = IpopCommand.execute(new PrintWriter(out, true), new PrintWriter(err, true), args);
        assertFalse(err.toString().contains("\tat "), "stack trace: " + err);
        return code;
    }

    /** A valid node file for an interface no other test or node uses, with mtu as given. */
    private Path config(String iface, String mtu) throws IOException {
        Path key = dir.resolve("alpha.key");
        Files.writeString(key, X25519Keys.toBase64(X25519Keys.generatePrivateKey(RANDOM)) + "\n");
        Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("rw-------"));
        return Files.writeString(dir.resolve("node.yaml"), """
                node:
                  name: alpha
                  privateKeyFile: alpha.key
                interface:
                  name: %s
                  addresses: [192.0.2.1/24]
                  mtu: %s
                listen:
                  port: 51820
                """.formatted(iface, mtu));
    }

    private static String uniqueInterface() {
        return "ipoptu" + HexFormat.of().toHexDigits(RANDOM.nextInt()).substring(0, 6);
    }

    @Test
    void upWithABadConfigExits2NamingTheKeyAsConfigCheckDoes() throws IOException {
        Path file = config(uniqueInterface(), "100");
        assertEquals(2, run("up", "--config", file.toString()));
        assertTrue(err.toString().contains("node.yaml:7:8: interface.mtu: "), err.toString());
        assertTrue(err.toString().contains("ipop up: 1 problem in " + file
                + "; the format is described in docs/configuration.md"), err.toString());
        assertEquals("", out.toString());
        assertEquals(2, run("down", "--config", file.toString()));
        assertTrue(err.toString().contains("interface.mtu"), err.toString());
    }

    @Test
    void upWithAMissingConfigFileExits2() {
        assertEquals(2, run("up", "--config", dir.resolve("absent.yaml").toString()));
        assertTrue(err.toString().contains("absent.yaml: no such file"), err.toString());
    }

    @Test
    void downWhenNotUpExits3() throws IOException {
        String iface = uniqueInterface();
        Path file = config(iface, "1420");
        assertFalse(Files.exists(NodeMain.pidFile(iface)));
        assertEquals(3, run("down", "--config", file.toString()));
        assertEquals("ipop down: " + iface + " is not up", err.toString().strip());
    }

    @Test
    void upOutsideTheLauncherSaysTheDataPlaneClassPathIsUnknown() throws IOException {
        assertNull(System.getProperty(NodeMain.DATAPLANE_CLASSPATH_PROPERTY), "this test needs the property unset");
        String iface = uniqueInterface();
        Path file = config(iface, "1420");
        assertEquals(3, run("up", "--config", file.toString()));
        assertTrue(err.toString().contains("ipop up: the data plane's class path is unknown (the system property "
                + "ipop.dataplane.classpath is not set)"), err.toString());
        assertFalse(Files.exists(NodeMain.pidFile(iface)));
    }

    @Test
    void upAndDownRequireTheConfigOption() {
        assertEquals(2, run("up"));
        assertTrue(err.toString().contains("--config"), err.toString());
        assertEquals(2, run("down"));
        assertTrue(err.toString().contains("--config"), err.toString());
    }
}
