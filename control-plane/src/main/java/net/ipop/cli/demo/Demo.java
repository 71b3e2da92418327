package net.ipop.cli.demo;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * {@code ipop demo}: an overlay of three real nodes on this one machine, measured and removed again.
 *
 * <p>Steps, each reported as a progress line: check root and install missing packages; remove what an earlier
 * demo killed with SIGKILL left ({@link StaleDemo}); build the underlay ({@link DemoNetwork}: an internet
 * namespace and two sites behind NATs); start Prosody and coturn in the internet ({@link InternetServices});
 * write keys and node configs ({@link NodeConfigs}); start the nodes with {@code ipop up} in their namespaces;
 * wait until every pair answers pings; ping and run iperf3 across the overlay per pair ({@link Measurements});
 * print the table ({@link ResultTable}). By default the nodes are overlay members ({@link NodeConfigs.Mode#OVERLAY}):
 * they find each other through Prosody and connect with ICE (coturn for STUN and TURN), the sites directly
 * through their NATs; with {@code --static} they run static peers instead, the sites keeping a persistent
 * keepalive to the hub in the internet and reaching each other through it (forwarded).
 *
 * <p>Everything created is registered in {@link DemoResources} and removed on every way out: normal end,
 * failure, and SIGINT/SIGTERM (a shutdown hook, which then runs while the demo's thread is stopped from creating
 * more). Runs on the calling thread; one demo at a time per machine.
 */
public final class Demo {
    /** Exit codes, as the {@code ipop} CLI documents them. */
    public static final int EXIT_OK = 0;
    public static final int EXIT_FAILED = 1;
    public static final int EXIT_ENVIRONMENT = 3;
    /**
     * How long the three nodes may take to come up: three JVM pairs starting at once took 15-25 s on the 2-core
     * development machine, and up to 80 s while it ran seven other builds (load average 40).
     */
    static final int UP_TIMEOUT_S = 150;
    /** How long after {@code up} the handshakes (retried every 5 s) may take. */
    static final int REACH_TIMEOUT_S = 30;
    /**
     * The same for overlay members: joining the room, exchanging certificates and candidates, ICE checks, then
     * the handshake, each of which waits for a loaded machine's JIT.
     */
    static final int OVERLAY_REACH_TIMEOUT_S = 90;

    private final NodeConfigs.Mode mode;
    private final int iperfSeconds;
    private final boolean json;
    private final PrintWriter out;
    private final Progress progress;
    private final PrintWriter err;
    private final DemoResources resources = new DemoResources();
    /** Set by the shutdown hook: a signal, not a failure, ends the demo; its steps' errors are not reported. */
    private volatile boolean signalled;

    private Demo(NodeConfigs.Mode mode, int iperfSeconds, boolean json, PrintWriter out, PrintWriter err) {
        this.mode = mode;
        this.iperfSeconds = iperfSeconds;
        this.json = json;
        this.out = out;
        // With --json, standard output carries the JSON object alone.
        this.progress = new Progress(json ? err : out);
        this.err = err;
    }

    /**
     * Runs the demo, printing progress and the table to {@code out} and a failure to {@code err} (one line,
     * prefixed {@code ipop demo:}); returns the exit code: 0 every pair answered and carried traffic, 1 a step
     * failed or a pair did not, 3 the machine lacks something (root, packages, the launcher's settings).
     *
     * @param staticPeers  run the nodes with static peers through the hub instead of as overlay members
     * @param iperfSeconds duration of each iperf3 stream, 1 to 60 s
     * @param json         print the results as one JSON object on {@code out} ({@link ResultTable#json}) instead
     *                     of the table, and the progress lines on {@code err}
     */
    public static int run(boolean staticPeers, int iperfSeconds, boolean json, PrintWriter out, PrintWriter err) {
        return new Demo(staticPeers ? NodeConfigs.Mode.STATIC : NodeConfigs.Mode.OVERLAY, iperfSeconds, json, out,
                err).run();
    }

    private int run() {
        Thread hook = new Thread(this::onSignal, "ipop-demo-cleanup");
        try {
            checkEnvironment();
            IpopProcesses ipop = IpopProcesses.fromThisJvm();
            removeStale();
            Runtime.getRuntime().addShutdownHook(hook);
            try {
                return runOverlay(ipop);
            } finally {
                removeEverything();
                try {
                    Runtime.getRuntime().removeShutdownHook(hook);
                } catch (IllegalStateException e) {
                    // Shutting down already: the hook runs (and finds nothing left).
                }
            }
        } catch (DemoException e) {
            return failed(e.exitCode, e.getMessage());
        } catch (IOException e) {
            return failed(EXIT_FAILED, e.getMessage() == null ? e.toString() : e.getMessage());
        }
    }

    private int failed(int code, String message) {
        if (signalled) {
            // A step broke because the hook is removing what it used; the hook reports.
            return code;
        }
        err.println("ipop demo: " + message);
        err.flush();
        return code;
    }

    private void checkEnvironment() throws IOException {
        Object uid = Files.getAttribute(Path.of("/proc/self"), "unix:uid");
        if (!(uid instanceof Integer u) || u != 0) {
            throw new DemoException(EXIT_ENVIRONMENT, "the demo creates network namespaces and TUN devices;"
                    + " run it as root: sudo ./ipop demo");
        }
        List<String> missing = Prerequisites.missingPackages(Prerequisites.presentPrograms());
        if (!missing.isEmpty()) {
            progress.step("installing the Debian packages the demo needs: " + String.join(" ", missing));
            Prerequisites.install(missing);
        }
    }

    private void removeStale() throws IOException {
        StaleDemo stale = StaleDemo.system();
        Optional<Long> other = stale.runningDemo();
        if (other.isPresent()) {
            throw new DemoException("another demo is running (pid " + other.get() + "); wait for it, or stop it"
                    + " with Ctrl-C in its terminal (kill -INT " + other.get() + ")");
        }
        List<String> problems = new ArrayList<>();
        List<String> removed = stale.removeAll(problems);
        if (!removed.isEmpty()) {
            progress.step("removed what an earlier demo left behind: " + String.join(", ", removed));
        }
        if (!problems.isEmpty()) {
            throw new DemoException("cannot remove what an earlier demo left: " + String.join("; ", problems));
        }
    }

    private int runOverlay(IpopProcesses ipop) throws IOException {
        String tag = Long.toString(ProcessHandle.current().pid());
        Path dir = Path.of(System.getProperty("java.io.tmpdir"), DemoResources.PREFIX + tag);
        resources.path(dir);
        Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        Files.writeString(dir.resolve(StaleDemo.OWNER_FILE), tag + "\n", StandardCharsets.US_ASCII);
        progress.step("working directory " + dir + " (keys, configs, logs; removed at the end)");

        DemoNetwork.buildInternet(resources);
        DemoNetwork.buildSite(resources, DemoNetwork.SITE_A, "port-a", dir);
        DemoNetwork.buildSite(resources, DemoNetwork.SITE_B, "port-b", dir);
        progress.step("network: internet " + DemoNetwork.INTERNET_ADDRESS + "/24; site-a "
                + DemoNetwork.SITE_A.address() + " behind NAT " + DemoNetwork.SITE_A.natWanAddress() + "; site-b "
                + DemoNetwork.SITE_B.address() + " behind NAT " + DemoNetwork.SITE_B.natWanAddress());
        Shell.Result direct = Shell.inAllowingFailure(DemoNetwork.SITE_A.namespace(), 10, "ping", "-c", "1", "-W",
                "1", DemoNetwork.SITE_B.address());
        if (direct.ok()) {
            throw new DemoException("site-a reached site-b's private address directly: the NATs do not isolate"
                    + " the sites");
        }
        progress.step("site-a cannot reach site-b (" + DemoNetwork.SITE_B.address() + ") directly, as behind real"
                + " NATs");

        NodeConfigs configs = new NodeConfigs(dir, tag, new SecureRandom());
        configs.writeSecrets();
        InternetServices services = new InternetServices(dir.resolve("internet"));
        Files.createDirectories(dir.resolve("internet"));
        services.prepareProsody(configs.accounts());
        services.startProsody();
        progress.step("Prosody (XMPP, TLS) on " + DemoNetwork.INTERNET_ADDRESS + ":" + InternetServices.XMPP_PORT
                + " with an account per node");
        services.startTurn(configs.turnPassword());
        progress.step("coturn (STUN/TURN) on " + DemoNetwork.INTERNET_ADDRESS + ":" + InternetServices.TURN_PORT);

        configs.writeConfigs(mode, services.certificate());
        List<DemoNode> nodes = configs.nodes();
        for (DemoNode n : nodes) {
            resources.path(n.aeronDir());
        }
        progress.step((mode == NodeConfigs.Mode.OVERLAY
                ? "overlay CA, certificates, keys and configs written (overlay members, no static peers)"
                : "keys and configs written (static peers through the hub)")
                + "; starting " + nodes.size() + " nodes with ipop up (hub in the internet, alpha at site-a, beta at"
                + " site-b)");
        startNodes(ipop, nodes, dir);

        DemoNode hub = nodes.get(0);
        DemoNode alpha = nodes.get(1);
        DemoNode beta = nodes.get(2);
        Measurements measurements = new Measurements(nodes, dir, iperfSeconds);
        int reach = mode == NodeConfigs.Mode.OVERLAY ? OVERLAY_REACH_TIMEOUT_S : REACH_TIMEOUT_S;
        measurements.awaitReachable(alpha, hub, reach);
        measurements.awaitReachable(beta, hub, reach);
        measurements.awaitReachable(alpha, beta, reach);
        progress.step("overlay up: every node answers pings");

        List<DemoNode[]> pairs = List.of(new DemoNode[] {alpha, beta}, new DemoNode[] {alpha, hub},
                new DemoNode[] {beta, hub});
        progress.step("warming up the data planes: 1 s of iperf3 per pair, not reported");
        for (DemoNode[] pair : pairs) {
            measurements.warmUp(pair[0], pair[1]);
        }
        List<PairResult> results = new ArrayList<>();
        for (DemoNode[] pair : pairs) {
            progress.step("measuring " + pair[0].name() + " -> " + pair[1].name() + ": " + Measurements.PINGS
                    + " pings, iperf3 for " + iperfSeconds + " s");
            results.add(measurements.measure(pair[0], pair[1]));
        }
        List<String> bad = new ArrayList<>();
        for (PairResult r : results) {
            if (r.pingsReceived() == 0 || r.mbitPerSecond() <= 0) {
                bad.add(r.from() + " -> " + r.to());
            }
        }
        if (json) {
            out.println(ResultTable.json(results, bad.isEmpty()));
            out.flush();
        } else {
            progress.print("\n" + ResultTable.format(results) + "\n");
        }
        if (!bad.isEmpty()) {
            throw new DemoException("no replies or no throughput for " + String.join(", ", bad) + "; the nodes'"
                    + " logs were in " + dir);
        }
        return EXIT_OK;
    }

    /** {@code ipop up} for every node at once; each must come up within {@link #UP_TIMEOUT_S}. */
    private void startNodes(IpopProcesses ipop, List<DemoNode> nodes, Path dir) throws IOException {
        List<Process> ups = new ArrayList<>();
        for (DemoNode n : nodes) {
            ups.add(ipop.up(n, dir.resolve("up-" + n.name() + ".out")));
        }
        for (int i = 0; i < nodes.size(); i++) {
            DemoNode n = nodes.get(i);
            Process p = ups.get(i);
            Path out = dir.resolve("up-" + n.name() + ".out");
            try {
                if (!p.waitFor(UP_TIMEOUT_S, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                    throw new DemoException("ipop up of " + n.name() + " did not finish within " + UP_TIMEOUT_S
                            + " s");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new DemoException("interrupted");
            }
            String text = Files.readString(out, StandardCharsets.UTF_8).strip();
            if (p.exitValue() != 0) {
                throw new DemoException("ipop up of " + n.name() + " failed (exit " + p.exitValue() + "): " + text);
            }
            progress.step(n.name() + " (" + n.namespace() + "): " + text);
        }
    }

    private void removeEverything() {
        List<String> problems = new ArrayList<>();
        if (!resources.removeAll(problems)) {
            return;
        }
        if (problems.isEmpty()) {
            progress.always("removed everything the demo created (namespaces, processes, files)");
        } else {
            err.println("ipop demo: could not remove everything: " + String.join("; ", problems)
                    + "; the next ipop demo retries");
            err.flush();
        }
    }

    /** The shutdown hook: SIGINT/SIGTERM while the demo runs. */
    private void onSignal() {
        if (resources.closing()) {
            return;
        }
        signalled = true;
        progress.quiet();
        progress.always("stopping: removing everything the demo created ...");
        removeEverything();
    }
}
