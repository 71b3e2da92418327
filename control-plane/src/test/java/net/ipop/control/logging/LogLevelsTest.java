package net.ipop.control.logging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import net.ipop.control.config.LogConfig;

/** Levels from the file and the command line reach the loggers the code's System.Loggers write to. */
class LogLevelsTest {
    @AfterEach
    void reset() {
        LogLevels.apply(LogConfig.DEFAULT, Map.of());
    }

    @Test
    void overridesParseComponentsAndTheDefaultAndNameWhatIsWrong() {
        assertEquals(Map.of("node", "debug", "", "warning"), LogLevels.parseOverrides(List.of("node=debug", "WARNING")));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> LogLevels.parseOverrides(List.of("nodes=debug")));
        assertEquals("--log-level nodes=debug: unknown component 'nodes'; use one of node, ipc, signal, ice, metrics,"
                + " reload", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> LogLevels.parseOverrides(List.of("node=loud")));
        assertEquals("--log-level node=loud: unknown level 'loud'; use one of off, error, warning, info, debug, trace",
                e.getMessage());
    }

    @Test
    void fileLevelsApplyAndTheCommandLineWins() {
        Map<String, String> effective = LogLevels.apply(new LogConfig("warning", Map.of("node", "debug", "ice",
                "error")), Map.of("ice", "trace"));
        assertEquals(Map.of("", "warning", "node", "debug", "ice", "trace"), effective);
        assertEquals(Level.WARNING, Logger.getLogger("").getLevel());
        // What System.getLogger(StaticNode.class.getName()) writes through in the node.
        System.Logger node = System.getLogger("net.ipop.control.node.StaticNode");
        assertTrue(node.isLoggable(System.Logger.Level.DEBUG));
        assertFalse(node.isLoggable(System.Logger.Level.TRACE));
        assertTrue(System.getLogger("net.ipop.control.ice.IceSession").isLoggable(System.Logger.Level.TRACE));
        System.Logger signal = System.getLogger("net.ipop.control.signal.Signalling");
        assertFalse(signal.isLoggable(System.Logger.Level.INFO), "the default level");
        assertTrue(signal.isLoggable(System.Logger.Level.WARNING));

        LogLevels.apply(LogConfig.DEFAULT, Map.of());
        assertFalse(node.isLoggable(System.Logger.Level.DEBUG), "a reload without the component resets it");
        assertTrue(signal.isLoggable(System.Logger.Level.INFO));
    }

    @Test
    void aRecordIsOneLineWithTimeLevelAndComponent() {
        LogRecord r = new LogRecord(Level.WARNING, "link to {0} down");
        r.setParameters(new Object[] {"beta"});
        r.setLoggerName("net.ipop.control.node.StaticNode");
        r.setInstant(java.time.Instant.parse("2026-11-24T21:40:00.123Z"));
        r.setThrown(new IllegalStateException("boom"));
        assertEquals("2026-11-24T21:40:00.123Z WARNING node: link to beta down (java.lang.IllegalStateException:"
                + " boom)\n", new LogLevels.OneLine().format(r));
        r.setLoggerName("org.ice4j.Agent");
        r.setLevel(Level.FINE);
        r.setThrown(null);
        assertEquals("2026-11-24T21:40:00.123Z DEBUG Agent: link to beta down\n", new LogLevels.OneLine().format(r));
    }
}
