package net.ipop.cli;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code ipop doctor}: checks, on this machine, every kernel facility an IPOP node uses, and says
 * what to do about anything missing. It works inside a private network namespace of its own, so it
 * touches none of the host's interfaces and leaves nothing behind.
 */
@Command(name = "doctor",
        description = {"Check that this machine can run an IPOP node: TUN, offloads, rtnetlink, io_uring,",
            "UDP GSO/GRO and a packet round trip, inside a private network namespace."},
        footer = {"", "Exit codes: 0 every check passed (warnings allowed), 3 a required facility is missing."})
final class DoctorCommand implements java.util.concurrent.Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @CommandLine.Mixin
    HelpOption help;

    @Option(names = "--json", description = "Print the results as JSON.")
    boolean json;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        List<Check> checks = runIsolated();
        if (json) {
            out.println(Check.toJson(checks));
        } else {
            out.println("IPOP doctor: can this machine run an IPOP node?");
            out.println();
            out.print(Check.table(checks));
        }
        boolean failed = checks.stream().anyMatch(c -> c.status() == Check.Status.FAIL);
        if (!json) {
            out.println();
            out.println(failed ? "Some required facility is missing: see the hints above."
                    : "All required facilities are present.");
        }
        return failed ? IpopCommand.EXIT_ENVIRONMENT : 0;
    }

    /** Runs the checks on a fresh thread that moves into a private namespace and then ends with it. */
    static List<Check> runIsolated() throws InterruptedException, ExecutionException {
        FutureTask<List<Check>> task = new FutureTask<>(() -> new KernelChecks().run());
        Thread t = new Thread(task, "ipop-doctor");
        t.setDaemon(true);
        t.start();
        try {
            return task.get(60, TimeUnit.SECONDS);
        } catch (TimeoutException e) {
            t.interrupt();
            List<Check> timedOut = new ArrayList<>();
            timedOut.add(Check.fail("doctor", "the checks did not finish within 60 s", "run again; report if it repeats"));
            return timedOut;
        }
    }
}
