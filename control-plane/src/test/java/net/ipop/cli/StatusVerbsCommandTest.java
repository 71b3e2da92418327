package net.ipop.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.HexFormat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import net.ipop.control.NodeMain;

/**
 * {@code ipop status}, {@code peers}, {@code ping} and {@code completion} where no node is needed: help, bad
 * arguments, no node running, the completion script. Against running nodes: {@code net.ipop.control.StatusVerbsTest}.
 */
class StatusVerbsCommandTest {
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
        assertFalse(out.toString().contains("\tat "), "stack trace: " + out);
        return code;
    }

    private static String uniqueInterface() {
        return "ipopts" + HexFormat.of().toHexDigits(RANDOM.nextInt()).substring(0, 6);
    }

    @ParameterizedTest
    @ValueSource(strings = {"status", "peers", "ping", "reload", "completion"})
    void everyVerbHasHelpNamingItsExitCodes(String verb) {
        assertEquals(0, run(verb, "--help"));
        assertTrue(out.toString().contains("Usage: ipop " + verb), out.toString());
        assertTrue(out.toString().contains("Exit codes: 0 "), out.toString());
        assertEquals("", err.toString());
    }

    @ParameterizedTest
    @ValueSource(strings = {"status", "peers"})
    void aNodeThatIsNotRunningExits3SayingHowToStartIt(String verb) {
        String iface = uniqueInterface();
        assertFalse(Files.exists(NodeMain.socketFile(iface)));
        assertEquals(3, run(verb, "--interface", iface));
        assertEquals("ipop " + verb + ": no IPOP node is running on " + iface + " (no socket "
                + NodeMain.socketFile(iface) + "); start it with ipop up --config FILE", err.toString().strip());
        assertEquals("", out.toString());
        assertEquals(3, run(verb, "--interface", iface, "--json"));
        assertEquals("", out.toString(), "--json prints nothing on standard output for a failure");
    }

    @Test
    void pingOfANodeThatIsNotRunningExits3() {
        String iface = uniqueInterface();
        assertEquals(3, run("ping", "beta", "--interface", iface));
        assertTrue(err.toString().startsWith("ipop ping: no IPOP node is running on " + iface), err.toString());
    }

    @Test
    void reloadOfANodeThatIsNotRunningExits3() {
        String iface = uniqueInterface();
        assertEquals(3, run("reload", "--interface", iface));
        assertEquals("ipop reload: no IPOP node is running on " + iface + "; start it with ipop up --config FILE",
                err.toString().strip());
        assertEquals(2, run("reload", "--interface", "ipop0", "--config", "node.yaml"));
    }

    @Test
    void badArgumentsExit2NamingTheArgument() throws Exception {
        assertEquals(2, run("status", "--interface", "ipop0", "--config", "node.yaml"));
        assertEquals("ipop status: --interface and --config both name the node; give one of them",
                err.toString().strip());
        assertEquals(2, run("peers", "--interface", "a/b"));
        assertTrue(err.toString().contains("--interface a/b: not an interface name"), err.toString());
        assertEquals(2, run("status", "--interface", "abcdefghijklmnop"));
        assertTrue(err.toString().contains("not an interface name"), err.toString());
        assertEquals(2, run("ping", "beta", "-c", "0", "--interface", "ipop0"));
        assertEquals("ipop ping: -c 0: the count must be 1 to 1000", err.toString().strip());
        assertEquals(2, run("ping", "beta", "-c", "many"));
        assertTrue(err.toString().contains("-c") && err.toString().contains("many"), err.toString());
        assertEquals(2, run("ping"));
        assertTrue(err.toString().contains("PEER"), err.toString());
        assertEquals(2, run("status", "--colour"));
        assertTrue(err.toString().contains("Unknown option: '--colour'"), err.toString());
        assertEquals(2, run("completion", "fish"));
        assertTrue(err.toString().contains("fish: no completion for that shell; use ipop completion bash"),
                err.toString());
        assertEquals(2, run("completion"));

        Path bad = Files.writeString(dir.resolve("node.yaml"), "node:\n  nmae: x\n");
        assertEquals(2, run("status", "--config", bad.toString()));
        assertTrue(err.toString().contains("node.yaml:2:3: node.nmae"), err.toString());
        assertEquals(2, run("status", "--config", dir.resolve("absent.yaml").toString()));
        assertTrue(err.toString().contains("absent.yaml: no such file"), err.toString());
    }

    @Test
    void theBashCompletionScriptCompletesEveryVerbAndTheirOptions() {
        assertEquals(0, run("completion", "bash"));
        String script = out.toString();
        assertTrue(script.startsWith("#!/usr/bin/env bash"), script.substring(0, Math.min(200, script.length())));
        for (String verb : new String[] {"up", "down", "status", "peers", "ping", "stats", "genkey", "pubkey", "ca",
            "cert", "config", "doctor", "version", "completion"}) {
            assertTrue(script.matches("(?s).*\\bcommands=\"[^\"]*\\b" + verb + "\\b.*"), "no verb " + verb);
        }
        assertTrue(script.contains("--interface") && script.contains("--json"), "options of status are missing");
        assertTrue(script.contains("complete -F _complete_ipop") || script.contains("complete -F"), "no complete");
    }
}
