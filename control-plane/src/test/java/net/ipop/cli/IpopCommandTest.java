package net.ipop.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;

import org.junit.jupiter.api.Test;

class IpopCommandTest {
    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    private int run(String... args) {
        return IpopCommand.execute(new PrintWriter(out, true), new PrintWriter(err, true), args);
    }

    @Test
    void versionPrintsProductAndRuntime() {
        assertEquals(0, run("version"));
        assertTrue(out.toString().startsWith("ipop 0."), out.toString());
        assertTrue(out.toString().contains("java 25"), out.toString());
    }

    @Test
    void helpListsVerbs() {
        assertEquals(0, run("--help"));
        assertTrue(out.toString().contains("version"), out.toString());
        assertTrue(out.toString().contains("Exit codes"), out.toString());
    }

    @Test
    void unknownVerbIsUsageErrorWithoutStackTrace() {
        assertEquals(IpopCommand.EXIT_USAGE, run("frobnicate"));
        assertTrue(err.toString().contains("frobnicate"), err.toString());
        assertFalse(err.toString().contains("\tat "), err.toString());
    }
}
