package net.ipop.control.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import net.ipop.cli.IpopCommand;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * One mistake at a time in an otherwise valid file ({@link ConfigFiles#valid()}): the parser must
 * name the exact key path and line, and say the fix; {@code ipop config check} must print that
 * problem and exit 2 without a stack trace.
 */
class ConfigMistakesTest {
    @TempDir
    Path dir;

    /**
     * @param find    text of the valid file to replace (must occur)
     * @param replace what to put there; OWN stands for our own public key, BETA for beta's
     */
    static Stream<Arguments> mistakes() {
        return Stream.of(
                m("    endpoint: 198.51.100.2:51820", "    endpiont: 198.51.100.2:51820",
                        20, "peers[0].endpiont", "unknown key; did you mean 'endpoint'?"),
                m("allowedAddresses: [192.0.2.2/32]", "allowedAddresses: [192.0.2.300/32]",
                        21, "peers[0].allowedAddresses[0]", "'192.0.2.300/32' is not an IP prefix: '192.0.2.300' is"
                                + " not an IPv4 or IPv6 address; write it like 192.0.2.2/32"),
                m("allowedAddresses: [192.0.2.2/32]", "allowedAddresses: [192.0.2.2]",
                        21, "peers[0].allowedAddresses[0]", "has no prefix length; write it like 192.0.2.2/32"),
                m("  addresses: [192.0.2.1/24, \"2001:db8::1/64\"]", "  addresses: [192.0.2.1/24, \"2001:db8::1/129\"]",
                        6, "interface.addresses[1]", "a number from 0 to 128; write it like 192.0.2.1/24 or"
                                + " 2001:db8::1/64"),
                m("endpoint: 198.51.100.2:51820", "endpoint: 198.51.100.2",
                        20, "peers[0].endpoint", "has no port; write it like 198.51.100.2:51820"),
                m("endpoint: 198.51.100.2:51820", "endpoint: vpn.example.net:51820",
                        20, "peers[0].endpoint", "no DNS lookups"),
                m("endpoint: 198.51.100.2:51820", "endpoint: 198.51.100.2:70000",
                        20, "peers[0].endpoint", "not a number from 1 to 65535"),
                m("endpoint: \"[2001:db8::3]:51820\"", "endpoint: 2001:db8::3:51820",
                        25, "peers[1].endpoint", "needs brackets"),
                m("  port: 51820", "  port: fifty",
                        10, "listen.port", "expected a whole number, found 'fifty'; use a port from 1 to 65535"),
                m("  port: 51820", "  port: 65536",
                        10, "listen.port", "65536 is out of range; use a port from 1 to 65535"),
                m("listen:\n  port: 51820\n  address: 0.0.0.0\n", "listen: [51820]\n\n\n",
                        9, "listen", "expected a map of keys (port, address), found a list"),
                m("  addresses: [192.0.2.1/24, \"2001:db8::1/64\"]", "  addresses: {v4: 192.0.2.1/24}",
                        6, "interface.addresses", "expected a list like [a, b], found a map"),
                m("  addresses: [192.0.2.1/24, \"2001:db8::1/64\"]", "  addresses: []",
                        6, "interface.addresses", "the list is empty; list this node's overlay addresses"),
                m("  privateKeyFile: alpha.key\n", "\n",
                        2, "node.privateKeyFile", "missing; give the private key file"),
                m("  queues: 1", "  mtu: 1400",
                        8, "interface.mtu", "duplicate key (first at line 7); keep only one"),
                m("  - name: gamma", "  - name: beta",
                        23, "peers[1].name", "already used by peers[0].name (line 18); give each peer its own name"),
                m("    publicKey: GAMMA", "    publicKey: BETA",
                        24, "peers[1].publicKey", "already used by peers[0].publicKey (line 19)"),
                m("allowedAddresses: [192.0.2.3/32]", "allowedAddresses: [192.0.2.2/31]",
                        26, "peers[1].allowedAddresses[0]", "overlaps 192.0.2.2/32 of peers[0] 'beta' (line 21)"),
                m("allowedAddresses: [192.0.2.3/32]", "allowedAddresses: [192.0.2.1/32]",
                        26, "peers[1].allowedAddresses[0]", "holds this node's own address 192.0.2.1"),
                m("    publicKey: BETA", "    publicKey: OWN",
                        19, "peers[0].publicKey", "this is our own public key"),
                m("    publicKey: BETA", "    publicKey: notakey",
                        19, "peers[0].publicKey", "expect a 44-character key"),
                m("  mtu: 1420", "  mtu: 1000",
                        7, "interface.mtu", "IPv6 needs an MTU of at least 1280"),
                m("  mtu: 1420", "  mtu: 10000",
                        7, "interface.mtu", "use 576 to 9000 bytes"),
                m("  name: alpha", "  name: Alpha",
                        2, "node.name", "starting with a letter, e.g. alpha"),
                m("  name: ipop0", "  name: ipop-interface-0",
                        5, "interface.name", "use 1 to 15 bytes"),
                m("  idleStrategy: backoff", "  idleStrategy: busyspin",
                        14, "dataplane.idleStrategy", "did you mean 'busy-spin'?"),
                m("  ioUring: true", "  ioUring: yes",
                        16, "dataplane.ioUring", "expected true or false, found 'yes'"),
                m("    suite: chacha20poly1305", "    suite: chacha20",
                        27, "peers[1].suite", "use aes256gcm or chacha20poly1305"),
                m("    keepaliveIntervalMs: 25000", "    keepaliveIntervalMs: 25",
                        22, "peers[0].keepaliveIntervalMs", "the unit is milliseconds"),
                m("allowedAddresses: [192.0.2.2/32]", "allowedAddresses: [192.0.2.2/24]",
                        21, "peers[0].allowedAddresses[0]", "host bits set; write the network 192.0.2.0/24"),
                m("    allowedAddresses: [192.0.2.3/32]\n", "\n",
                        23, "peers[1].allowedAddresses", "missing; list the peer's overlay addresses"),
                m("  address: 0.0.0.0", "  address: localhost",
                        11, "listen.address", "'localhost' is a host name; write a literal IP address"),
                m("  queues: 1", "  queues: 17",
                        8, "interface.queues", "use 1 to 16"),
                m("suite: aes256gcm", "suite: [aes256gcm]",
                        12, "suite", "expected a single value, found a list"),
                m("  queues: 1", "\tqueues: 1",
                        8, "", "not valid YAML"),
                m("suite: aes256gcm", "metrics: {listen: localhost:9586}",
                        12, "metrics.listen", "no DNS lookups"),
                m("suite: aes256gcm", "metrics: {listen: 127.0.0.1}",
                        12, "metrics.listen", "'127.0.0.1' has no port; write it like 127.0.0.1:9586"),
                m("suite: aes256gcm", "metrics: {port: 9586}",
                        12, "metrics.port", "unknown key; expected one of: listen"),
                m("suite: aes256gcm", "log: {level: verbose}",
                        12, "log.level", "unknown value 'verbose'"),
                m("suite: aes256gcm", "log: {components: {nodes: debug}}",
                        12, "log.components.nodes", "unknown component; did you mean 'node'?"),
                m("suite: aes256gcm", "log: {components: {node: loud}}",
                        12, "log.components.node", "unknown level 'loud'"),
                m("suite: aes256gcm", "log: [debug]",
                        12, "log", "expected a map of keys (level, components), found a list"));
    }

    private static Arguments m(String find, String replace, int line, String key, String fragment) {
        return Arguments.of(find, replace, line, key, fragment);
    }

    @ParameterizedTest(name = "[{index}] {3}: {4}")
    @MethodSource("mistakes")
    void eachMistakeNamesKeyLineAndFix(String find, String replace, int line, String key, String fragment)
            throws IOException {
        ConfigFiles files = new ConfigFiles(dir);
        String valid = files.valid();
        String findText = find.replace("BETA", files.betaKey).replace("GAMMA", files.gammaKey);
        assertTrue(valid.contains(findText), "the table refers to text the valid file has: " + find);
        String text = valid.replace(findText, replace.replace("OWN", files.ownPublicKey)
                .replace("BETA", files.betaKey));
        assertEquals(valid.lines().count(), text.lines().count(), "a mistake keeps the line numbers");
        Path file = files.write("node.yaml", text);

        List<ConfigProblem> problems = assertThrows(ConfigException.class, () -> NodeConfigParser.parse(file))
                .problems();
        assertEquals(1, problems.size(), "one mistake, one problem: " + problems);
        ConfigProblem p = problems.get(0);
        assertEquals(key, p.key(), p.toString());
        assertEquals(line, p.line(), p.toString());
        assertNotEquals(0, p.column(), p.toString());
        assertTrue(p.message().contains(fragment), p.toString());

        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = IpopCommand.execute(new PrintWriter(out, true), new PrintWriter(err, true),
                "config", "check", file.toString());
        assertEquals(IpopCommand.EXIT_USAGE, code, err.toString());
        assertTrue(err.toString().startsWith(p + "\n"), err.toString());
        assertTrue(err.toString().startsWith(file + ":" + line + ":" + p.column() + ": "), err.toString());
        assertFalse(err.toString().contains("\tat "), "stack trace: " + err);
        assertFalse(err.toString().contains("Exception"), "exception leaked: " + err);
        assertEquals("", out.toString());

        // ipop up refuses the same file the same way before it starts anything.
        StringWriter upOut = new StringWriter();
        StringWriter upErr = new StringWriter();
        int up = IpopCommand.execute(new PrintWriter(upOut, true), new PrintWriter(upErr, true),
                "up", "--config", file.toString());
        assertEquals(IpopCommand.EXIT_USAGE, up, upErr.toString());
        assertEquals(2, up);
        assertTrue(upErr.toString().startsWith(p + "\n"), upErr.toString());
        assertFalse(upErr.toString().contains("\tat "), "stack trace: " + upErr);
        assertFalse(upErr.toString().contains("Exception"), "exception leaked: " + upErr);
    }
}
