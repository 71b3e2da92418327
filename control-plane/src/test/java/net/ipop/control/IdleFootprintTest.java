package net.ipop.control;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;

import net.ipop.ffm.testing.Privileged;

/**
 * The cost of a node at rest: two {@code ipop up} nodes, linked and idle (only keepalives), and over a window the
 * CPU time each node's control-plane JVM and data-plane JVM used (utime + stime from {@code /proc/PID/stat}) and
 * their resident memory at its end. A measurement, so it runs only from {@code perf/overlay-figures.sh} (system
 * property {@value #PROPERTY}); it writes the section {@code idle-footprint} of the document that script names.
 */
@Privileged
@EnabledIfSystemProperty(named = IdleFootprintTest.PROPERTY, matches = "true")
class IdleFootprintTest {
    static final String PROPERTY = "ipop.perf.idle";
    /** Clock ticks per second of {@code /proc/PID/stat}'s times: 100 on every Linux architecture we build for. */
    private static final long TICKS_PER_SECOND = 100;
    private static final int SETTLE_SECONDS = 20;
    private static final int WINDOW_SECONDS = 60;

    @TempDir
    Path temp;

    @Test
    @Timeout(value = 400, unit = TimeUnit.SECONDS)
    void anIdleNodeUsesLittleCpu() throws Exception {
        try (TwoNodes nodes = TwoNodes.up(temp, "idl")) {
            TwoNodes.Node a = nodes.a();
            long control = a.pid();
            long data = a.dataPlane().pid();
            // Start-up work (class loading, JIT, the handshake) is not rest.
            Thread.sleep(TimeUnit.SECONDS.toMillis(SETTLE_SECONDS));
            long controlStart = cpuTicks(control);
            long dataStart = cpuTicks(data);
            long started = System.nanoTime();
            Thread.sleep(TimeUnit.SECONDS.toMillis(WINDOW_SECONDS));
            long controlTicks = cpuTicks(control) - controlStart;
            long dataTicks = cpuTicks(data) - dataStart;
            double minutes = (System.nanoTime() - started) / 60e9;
            long controlRss = ProcessSample.of(control).rssKiB();
            long dataRss = ProcessSample.of(data).rssKiB();
            // Still linked at the end: the window measured a working node, not a dead one.
            assertTrue(a.ns().execAllowingFailure(5, "ping", "-c", "1", "-W", "2", TwoNodes.OVERLAY_B)
                    .exitCode() == 0, "the idle nodes lost their link" + a.log());
            assertTrue(controlRss > 0 && dataRss > 0, "no RSS read");
            String body = """
                    Two `ipop up` nodes in namespaces (static peers, linked, only keepalives), measured on one of them \
                    over %d s after %d s of settling; CPU time is utime + stime of `/proc/PID/stat`, memory is \
                    `VmRSS` at the end of the window.

                    | process | CPU seconds per minute | CPU share of one core | resident memory |
                    |---|---|---|---|
                    | control plane (node JVM) | %.3f | %.2f %% | %d MiB |
                    | data plane (JVM) | %.3f | %.2f %% | %d MiB |
                    """.formatted(WINDOW_SECONDS, SETTLE_SECONDS,
                    perMinute(controlTicks, minutes), percent(controlTicks, minutes), controlRss / 1024,
                    perMinute(dataTicks, minutes), percent(dataTicks, minutes), dataRss / 1024);
            ReliabilityReport.publish("idle-footprint", body);
        }
    }

    private static double perMinute(long ticks, double minutes) {
        return ticks / (double) TICKS_PER_SECOND / minutes;
    }

    private static double percent(long ticks, double minutes) {
        return perMinute(ticks, minutes) / 60 * 100;
    }

    /** utime + stime of every thread of {@code pid}, in clock ticks. */
    static long cpuTicks(long pid) throws IOException {
        String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
        // The command name (field 2) may hold spaces: fields are counted after its closing parenthesis.
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        // f[0] is field 3 (state); utime and stime are fields 14 and 15.
        return Long.parseLong(f[11]) + Long.parseLong(f[12]);
    }
}
