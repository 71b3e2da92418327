package net.ipop.cli.demo;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import net.ipop.control.NodeMain;

/** What of a demo is still on the machine: namespaces, processes, /dev/shm and temporary entries, /run/ipop files. */
final class Leftovers {
    private Leftovers() {
    }

    /** Everything named with the demo's prefix, one line each; empty when nothing is left. */
    static List<String> find() throws IOException {
        List<String> left = new ArrayList<>();
        for (String ns : DemoResources.existingNamespaces()) {
            if (ns.startsWith(DemoResources.PREFIX)) {
                left.add("namespace " + ns);
            }
        }
        long self = ProcessHandle.current().pid();
        ProcessHandle.allProcesses().filter(p -> p.pid() != self).forEach(p -> NodeMain.commandLine(p)
                // Every process of a demo has the run's directory, or an Aeron directory, on its command line.
                .filter(c -> c.contains(DemoResources.PREFIX))
                .ifPresent(c -> left.add("process " + p.pid() + ": " + c.substring(0, Math.min(200, c.length())))));
        left.addAll(entries(Path.of("/dev/shm")));
        left.addAll(entries(Path.of(System.getProperty("java.io.tmpdir"))));
        return left;
    }

    /** The files in /run/ipop (to compare before and after: the demo must not add any). */
    static List<String> runDirectory() throws IOException {
        return entries(NodeMain.DEFAULT_RUN_DIRECTORY, "*");
    }

    private static List<String> entries(Path dir) throws IOException {
        return entries(dir, DemoResources.PREFIX + "*");
    }

    private static List<String> entries(Path dir, String glob) throws IOException {
        List<String> found = new ArrayList<>();
        if (Files.isDirectory(dir)) {
            try (DirectoryStream<Path> s = Files.newDirectoryStream(dir, glob)) {
                for (Path p : s) {
                    found.add(p.toString());
                }
            }
        }
        return found;
    }
}
