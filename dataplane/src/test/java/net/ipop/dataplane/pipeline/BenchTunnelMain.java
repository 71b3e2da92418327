package net.ipop.dataplane.pipeline;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import net.ipop.ffm.testing.TestNamespace;

/**
 * Benchmark harness for {@code perf/bench.sh}: brings up the overlay (TUN {@code ipop0},
 * 192.0.2.1/.2 and 2001:db8::1/::2, static session keys from {@link StaticSessions}) between two
 * namespaces the caller created and joined with an underlay (198.51.100.1 in the first, .2 in the
 * second), then keeps it up until the process is killed.
 *
 * <p>It stands in for the data-plane process until that exists: same pipeline, no handshake. Prints
 * {@code READY} on stdout once both pipelines run. On SIGTERM/SIGINT it stops the pipelines and
 * closes the TUN devices; the namespaces are left to their creator. If a pipeline thread fails,
 * the error goes to stderr and the process exits with status 1, so the script sees a dead tunnel
 * rather than a silently stalled one.
 *
 * <p>Usage: {@code BenchTunnelMain <nsA> <nsB>} (run as root).
 */
public final class BenchTunnelMain {
    private static final String UNDERLAY_A = "198.51.100.1";
    private static final String UNDERLAY_B = "198.51.100.2";

    private BenchTunnelMain() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 2) {
            System.err.println("usage: BenchTunnelMain <nsA> <nsB>");
            System.exit(2);
        }
        TestNamespace nsA = TestNamespace.join(args[0]);
        TestNamespace nsB = TestNamespace.join(args[1]);
        TunnelNode a = new TunnelNode(nsA, TunnelNode.Engine.URING, true, UNDERLAY_A, UNDERLAY_B);
        TunnelNode b;
        try {
            b = new TunnelNode(nsB, TunnelNode.Engine.URING, false, UNDERLAY_B, UNDERLAY_A);
        } catch (Exception | Error e) {
            a.close();
            throw e;
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try (a; b; nsA; nsB) {
                a.stop();
                b.stop();
                System.err.println("BenchTunnelMain: A " + a.agent.stats() + "\nBenchTunnelMain: B " + b.agent.stats());
            } catch (Exception e) {
                e.printStackTrace();
            } finally {
                stopped.countDown();
            }
        }, "bench-tunnel-shutdown"));
        System.out.println("READY");
        System.out.flush();
        while (!stopped.await(1, TimeUnit.SECONDS)) {
            if (!a.errors.isEmpty() || !b.errors.isEmpty()) {
                System.err.println("BenchTunnelMain: pipeline failed: A " + a.errors + " B " + b.errors);
                System.exit(1);
            }
        }
    }
}
