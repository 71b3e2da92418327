package net.ipop.control;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import net.ipop.control.config.NodeConfig;
import net.ipop.control.config.NodeConfigParser;
import net.ipop.crypto.cert.X25519Keys;

/** The {@code dataplane} section reaches the data plane's command line: nothing in it is accepted and then ignored. */
class DataPlaneArgumentsTest {
    @TempDir
    Path dir;

    @Test
    void theDataplaneSectionBecomesTheDataPlanesOptions() throws Exception {
        List<String> args = NodeMain.dataPlaneArguments(parse("""
                dataplane:
                  idleStrategy: backoff
                  ioUring: false
                  offloads: false
                  countersFile: /run/ipop/t.counters
                  aeronDirectory: /dev/shm/ipop-t
                  deadPeerAfterMs: 2500
                """));
        assertEquals("backoff", option(args, "--idle"));
        assertEquals("false", option(args, "--io-uring"));
        assertEquals("false", option(args, "--offloads"));
        assertEquals("/run/ipop/t.counters", option(args, "--counters"));
        assertEquals("/dev/shm/ipop-t", option(args, "--aeron-dir"));
        assertEquals("2500", option(args, "--dead-peer-after-ms"));
        assertEquals("3", option(args, "--queues"));
    }

    @Test
    void withoutTheSectionTheDataPlaneGetsTheDefaults() throws Exception {
        List<String> args = NodeMain.dataPlaneArguments(parse(""));
        assertEquals("poll", option(args, "--idle"));
        assertEquals("true", option(args, "--io-uring"));
        assertEquals("true", option(args, "--offloads"));
    }

    private NodeConfig parse(String dataplane) throws Exception {
        Path key = dir.resolve("t.key");
        Files.writeString(key, X25519Keys.toBase64(X25519Keys.generatePrivateKey(new SecureRandom())) + "\n");
        Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("rw-------"));
        Path file = Files.writeString(dir.resolve("node.yaml"), """
                node:
                  name: t
                  privateKeyFile: %s
                interface:
                  name: ipopt0
                  addresses: [192.0.2.1/24]
                  queues: 3
                listen:
                  port: 51820
                """.formatted(key) + dataplane + "peers: []\n");
        return NodeConfigParser.parse(file);
    }

    /** The value after {@code name}; fails if the option is missing. */
    private static String option(List<String> args, String name) {
        int i = args.indexOf(name);
        assertEquals(true, i >= 0 && i + 1 < args.size(), name + " missing from " + args);
        return args.get(i + 1);
    }
}
