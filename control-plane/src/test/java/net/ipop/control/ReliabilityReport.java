package net.ipop.control;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;

/**
 * Writes a test's measured figures into a generated section of a document ({@code docs/reliability.md}, or
 * {@code docs/performance.md} from {@code perf/overlay-figures.sh}): the text between
 * {@code <!-- BEGIN name -->} and {@code <!-- END name -->} is replaced whole (a missing section is appended),
 * so every figure there comes from a run and the prose around it stays hand-written. Only when the system
 * property {@value #DOC_PROPERTY} names the file ({@code ci/reliability.sh}, {@code ci/soak.sh} and
 * {@code perf/overlay-figures.sh} set it, with {@value #COMMAND_PROPERTY} naming the command line shown above the
 * figures); an ordinary test run only prints.
 */
public final class ReliabilityReport {
    static final String DOC_PROPERTY = "ipop.reliability.doc";
    static final String COMMAND_PROPERTY = "ipop.reliability.command";

    private ReliabilityReport() {
    }

    /** Prints {@code body} and, when a document is named, writes it as section {@code name} with the command. */
    public static synchronized void publish(String name, String body) throws IOException {
        System.out.println(body);
        String doc = System.getProperty(DOC_PROPERTY, "");
        if (doc.isBlank()) {
            return;
        }
        String command = System.getProperty(COMMAND_PROPERTY, "(a test run)");
        String text = "Written by `" + command + "` on " + Instant.now().truncatedTo(ChronoUnit.SECONDS)
                + " (" + Runtime.getRuntime().availableProcessors() + " cores, load average "
                + loadAverage() + " at the end).\n\n" + body;
        replace(Path.of(doc), name, text);
    }

    static void replace(Path doc, String name, String body) throws IOException {
        String begin = "<!-- BEGIN " + name + " -->";
        String end = "<!-- END " + name + " -->";
        String text = Files.exists(doc) ? Files.readString(doc, StandardCharsets.UTF_8) : "";
        String block = begin + "\n" + body + (body.endsWith("\n") ? "" : "\n") + end;
        int b = text.indexOf(begin);
        int e = text.indexOf(end);
        String updated;
        if (b >= 0 && e > b) {
            updated = text.substring(0, b) + block + text.substring(e + end.length());
        } else {
            updated = text + (text.isEmpty() || text.endsWith("\n\n") ? "" : "\n") + block + "\n";
        }
        Files.writeString(doc, updated, StandardCharsets.UTF_8);
    }

    private static String loadAverage() {
        try {
            return Files.readString(Path.of("/proc/loadavg")).split(" ")[0];
        } catch (IOException e) {
            return "unknown";
        }
    }
}
