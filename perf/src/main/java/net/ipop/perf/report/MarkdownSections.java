package net.ipop.perf.report;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Replaces generated sections of a markdown file. A section is the text between
 * {@code <!-- BEGIN name -->} and {@code <!-- END name -->}; a missing section is appended, so the
 * prose around the sections stays hand-written while every figure inside them is generated.
 */
public final class MarkdownSections {
    private MarkdownSections() {
    }

    public static void replace(Path doc, String name, String body) throws IOException {
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
}
