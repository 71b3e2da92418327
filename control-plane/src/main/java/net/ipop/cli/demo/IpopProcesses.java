package net.ipop.cli.demo;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import net.ipop.control.NodeMain;

/**
 * Command lines of the {@code ipop} CLI for the demo's nodes, as the {@code ipop} launcher would run it: this
 * JVM's {@code java}, the IPOP JVM flags, this class path and the data plane's, and the node's own run directory.
 * Run inside the node's namespace with {@code ip netns exec}, so {@code ipop up} starts the node there.
 */
final class IpopProcesses {
    private final String dataPlaneClassPath;

    private IpopProcesses(String dataPlaneClassPath) {
        this.dataPlaneClassPath = dataPlaneClassPath;
    }

    /**
     * From this JVM's settings; a {@link DemoException} (exit 3) if the data plane's class path is unknown (not
     * started through the launcher).
     */
    static IpopProcesses fromThisJvm() {
        String cp = System.getProperty(NodeMain.DATAPLANE_CLASSPATH_PROPERTY);
        if (cp == null || cp.isBlank()) {
            throw new DemoException(3, "the data plane's class path is unknown (the system property "
                    + NodeMain.DATAPLANE_CLASSPATH_PROPERTY + " is not set); run the demo through the launcher:"
                    + " sudo ./ipop demo");
        }
        return new IpopProcesses(cp);
    }

    /** {@code ip netns exec <node's namespace> java ... IpopCommand <args>}. */
    List<String> command(DemoNode node, String... args) {
        List<String> command = new ArrayList<>(List.of("ip", "netns", "exec", node.namespace()));
        command.add(ProcessHandle.current().info().command().orElse(
                Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        command.addAll(NodeMain.JVM_FLAGS);
        command.addAll(List.of("-cp", System.getProperty("java.class.path"),
                "-D" + NodeMain.DATAPLANE_CLASSPATH_PROPERTY + "=" + dataPlaneClassPath,
                "-D" + NodeMain.RUN_DIRECTORY_PROPERTY + "=" + node.runDir()));
        String home = System.getProperty("ipop.home");
        if (home != null) {
            command.add("-Dipop.home=" + home);
        }
        command.add("net.ipop.cli.IpopCommand");
        command.addAll(List.of(args));
        return command;
    }

    /** Starts {@code ipop up --config <node's file>} in the node's namespace; output into {@code out}. */
    Process up(DemoNode node, Path out) throws IOException {
        return new ProcessBuilder(command(node, "up", "--config", node.config().toString()))
                .redirectErrorStream(true).redirectOutput(out.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile())).start();
    }
}
