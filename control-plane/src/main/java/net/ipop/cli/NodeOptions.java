package net.ipop.cli;

import java.io.IOException;
import java.net.ConnectException;
import java.net.SocketTimeoutException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;

import net.ipop.control.NodeMain;
import net.ipop.control.config.NodeConfig;
import net.ipop.control.status.JsonText;
import net.ipop.control.status.StatusClient;
import net.ipop.control.status.StatusService;
import picocli.CommandLine;
import picocli.CommandLine.Option;

/**
 * Which running node a verb asks ({@code --interface I} or {@code --config F}; by default the only one running),
 * and asking it for its status over its socket {@code /run/ipop/<interface>.sock}. Mixed into {@code status},
 * {@code peers} and {@code ping}.
 */
final class NodeOptions {
    /** How long a node may take to answer: it answers from memory, so this only guards against a stuck node. */
    static final Duration ANSWER_TIMEOUT = Duration.ofSeconds(5);
    private static final String SOCKET_SUFFIX = ".sock";

    @Option(names = "--interface", paramLabel = "NAME",
            description = "The node's overlay interface, e.g. ipop0 (default: the only node running).")
    String iface;

    @Option(names = "--config", paramLabel = "FILE",
            description = "The node's config file; its interface names the node to ask.")
    Path config;

    /** The socket of the node chosen; usage errors for a bad choice, not-running errors when there is none. */
    Path socket(CommandLine.Model.CommandSpec spec) throws IOException {
        if (iface != null && config != null) {
            throw CliError.usage("--interface and --config both name the node; give one of them");
        }
        if (iface != null) {
            if (iface.isEmpty() || iface.length() > 15 || iface.contains("/") || iface.isBlank()
                    || iface.chars().anyMatch(Character::isWhitespace)) {
                throw CliError.usage("--interface " + iface + ": not an interface name (1 to 15 characters, no"
                        + " '/' or spaces), e.g. --interface ipop0");
            }
            return NodeMain.socketFile(iface);
        }
        if (config != null) {
            NodeConfig parsed = UpCommand.parse(spec, config);
            if (parsed == null) {
                throw CliError.usage("fix the config file or name the node with --interface");
            }
            return NodeMain.socketFile(parsed.iface().name());
        }
        Path dir = NodeMain.runDirectory();
        List<Path> found = new ArrayList<>();
        if (Files.isDirectory(dir)) {
            try (DirectoryStream<Path> s = Files.newDirectoryStream(dir, "*" + SOCKET_SUFFIX)) {
                for (Path p : s) {
                    // Dot files are sockets being bound (renamed into place once they are 0600).
                    if (!p.getFileName().toString().startsWith(".")) {
                        found.add(p);
                    }
                }
            }
        }
        if (found.isEmpty()) {
            throw CliError.notRunning("no IPOP node is running (no status socket in " + dir + "); start one with"
                    + " ipop up --config FILE");
        }
        if (found.size() > 1) {
            Collections.sort(found);
            StringBuilder sb = new StringBuilder("several nodes are running:");
            for (Path p : found) {
                sb.append(' ').append(interfaceOf(p));
            }
            throw CliError.usage(sb.append("; choose one with --interface NAME").toString());
        }
        return found.get(0);
    }

    /**
     * Asks the chosen node for its status document (see {@link StatusService}). A node not running is
     * {@link CliError#notRunning}; a node that answers with an error, or not at all, {@link CliError#failed}.
     */
    Map<String, Object> status(CommandLine.Model.CommandSpec spec) throws IOException {
        Path socket = socket(spec);
        String name = interfaceOf(socket);
        if (!Files.exists(socket)) {
            throw CliError.notRunning("no IPOP node is running on " + name + " (no socket " + socket + "); start it"
                    + " with ipop up --config FILE");
        }
        String answer;
        try {
            answer = StatusClient.ask(socket, "{\"request\":\"status\"}", ANSWER_TIMEOUT);
        } catch (ConnectException | NoSuchFileException e) {
            throw CliError.notRunning("the node of " + name + " is not running (nothing listens on " + socket
                    + ", left by a node that stopped without cleaning up); start it with ipop up --config FILE");
        } catch (SocketTimeoutException e) {
            throw CliError.failed("the node of " + name + " did not answer within " + ANSWER_TIMEOUT.toSeconds()
                    + " s; see " + NodeMain.logFile(name));
        } catch (IOException e) {
            String m = String.valueOf(e.getMessage());
            if (m.contains("Permission denied") || m.contains("Operation not permitted")) {
                throw CliError.failed(socket + ": permission denied; the status socket is root's (mode 0600), run"
                        + " this as root");
            }
            throw CliError.failed("cannot ask the node of " + name + " through " + socket + ": " + m);
        }
        Object doc;
        try {
            doc = JsonText.parse(answer);
        } catch (IllegalArgumentException e) {
            throw CliError.failed("the node of " + name + " answered something that is " + e.getMessage());
        }
        if (!(doc instanceof Map<?, ?> m)) {
            throw CliError.failed("the node of " + name + " answered something other than a JSON object");
        }
        if (!Long.valueOf(StatusService.VERSION).equals(m.get("version"))) {
            throw CliError.failed("the node of " + name + " answers in status version " + m.get("version")
                    + ", this ipop reads version " + StatusService.VERSION + "; use the ipop of the node's release");
        }
        if (m.get("error") instanceof String error) {
            throw CliError.failed(name + ": " + error);
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> status = (Map<String, Object>) m;
        return status;
    }

    /** The interface of the node chosen (see {@link #socket}); errors as there. */
    String interfaceName(CommandLine.Model.CommandSpec spec) throws IOException {
        return interfaceOf(socket(spec));
    }

    private static String interfaceOf(Path socket) {
        String f = socket.getFileName().toString();
        return f.endsWith(SOCKET_SUFFIX) ? f.substring(0, f.length() - SOCKET_SUFFIX.length()) : f;
    }
}
