package net.ipop.control;

import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import net.ipop.ffm.testing.Privileged;

/**
 * Faults under live traffic, one after the other on one overlay of two {@code ipop up} nodes: alpha on the
 * "internet" bridge, beta behind an nftables NAT with a persistent keepalive (so beta is the one that reaches
 * alpha, as a laptop behind a home router would). Each fault runs while alpha pings beta every 10 ms and sends
 * it an iperf3 TCP stream (capped at {@value #IPERF_RATE}bit/s, so ping's figures measure the fault and not a
 * full queue); the overlay must recover by itself within {@value #RECOVERY_BOUND_MS} ms (generous: a loaded
 * 2-core machine), and the test records the time to recover and the echo requests lost (by sequence number).
 * <ul>
 *   <li>SIGKILL to alpha's data plane: its node starts another and pushes its state, with beta's endpoint as
 *       alpha had learned it (beta's NAT mapping; alpha's config names none), and initiates a handshake there at
 *       once.</li>
 *   <li>alpha's underlay link down for two seconds, then up again.</li>
 *   <li>the NAT forgets its mappings ({@code conntrack -F}): beta's next packet (at the latest its keepalive)
 *       makes a new one, and alpha must answer there.</li>
 *   <li>beta roams: a new address on its link, the old one removed; the NAT maps it to a new port, and alpha
 *       must follow it.</li>
 * </ul>
 * The figures go to the {@code faults} section of docs/reliability.md when {@code ci/reliability.sh} runs it.
 */
@Privileged
@Tag("slow")
class FaultRecoveryTest {
    static final long RECOVERY_BOUND_MS = 60_000;
    /** How many times each fault is applied (default 1; ci/reliability.sh asks for more). */
    static final String ROUNDS_PROPERTY = "ipop.faults.rounds";
    private static final String IPERF_RATE = "100M";
    private static final int KEEPALIVE_MS = 2000;

    @TempDir
    Path temp;

    @Test
    @Timeout(value = 600, unit = TimeUnit.SECONDS) // ci/reliability.sh turns timeouts off for more rounds
    void theOverlayRecoversFromEachFaultByItself() throws Exception {
        int rounds = Integer.getInteger(ROUNDS_PROPERTY, 1);
        List<Lab.Spec> specs = List.of(new Lab.Spec("alpha", 1, false, true, 0),
                new Lab.Spec("beta", 2, true, false, KEEPALIVE_MS));
        FaultFigures figures = new FaultFigures(IPERF_RATE, 150, RECOVERY_BOUND_MS);
        try (Lab lab = Lab.create(temp, "flt", specs)) {
            Lab.Node a = lab.node("alpha");
            Lab.Node b = lab.node("beta");
            lab.up("alpha", "beta");
            Supplier<String> logs = () -> a.log() + b.log();
            lab.awaitPing("beta", "alpha", 60);
            lab.awaitPing("alpha", "beta", 30);
            String[] betaAddress = {b.underlay()};
            for (int round = 0; round < rounds; round++) {
                String roamTo = "203.0.113." + (2 + 10 * (round + 1));
                int[] remembered = {0};
                figures.measure("data plane killed (SIGKILL)", a.ns(), b.ns(), b.overlay(), logs, () -> {
                    remembered[0] = FaultFigures.count(a.log(), "beta (peer 1): endpoint /198.51.100.102:");
                    ProcessHandle killed = a.dataPlane();
                    assertTrue(killed.destroyForcibly(), "SIGKILL was not delivered");
                    killed.onExit().get(10, TimeUnit.SECONDS);
                }, () -> {
                    assertNotEquals(-1, a.dataPlane().pid());
                    assertTrue(a.log().contains("the data plane exited unexpectedly"), a.log());
                    // Beta's NAT mapping, which alpha had learned, is where the restarted node initiated.
                    assertTrue(FaultFigures.count(a.log(), "beta (peer 1): endpoint /198.51.100.102:")
                            > remembered[0], a.log());
                });

                figures.measure("underlay link down 2 s, then up", a.ns(), b.ns(), b.overlay(), logs, () -> {
                    a.ns().exec("ip", "link", "set", "eth0", "down");
                    Thread.sleep(2000);
                    a.ns().exec("ip", "link", "set", "eth0", "up");
                }, () -> { });

                figures.measure("NAT mappings flushed (conntrack -F)", a.ns(), b.ns(), b.overlay(), logs, () -> {
                    b.nat().exec("conntrack", "-F");
                }, () -> { });

                figures.measure("roaming: new underlay address, old one removed", a.ns(), b.ns(), b.overlay(), logs,
                        () -> {
                    // Without this, removing the primary address would remove the new (secondary) one with it.
                    b.ns().exec("sysctl", "-qw", "net.ipv4.conf.eth0.promote_secondaries=1");
                    b.ns().exec("ip", "addr", "add", roamTo + "/24", "dev", "eth0");
                    b.ns().exec("ip", "addr", "del", betaAddress[0] + "/24", "dev", "eth0");
                    b.ns().exec("ip", "route", "replace", "default", "via", "203.0.113.254");
                    betaAddress[0] = roamTo;
                }, () -> {
                    String conntrack = b.nat().exec("conntrack", "-L", "-p", "udp");
                    assertTrue(conntrack.contains("src=" + roamTo + " "), "no NAT mapping of the new address:\n"
                            + conntrack);
                });
            }
        }
        StringBuilder body = new StringBuilder(figures.table(rounds));
        body.append(String.format(Locale.ROOT, "%nPing every %d ms from alpha to beta (beta behind a NAT, keepalive"
                + " %d ms), iperf3 TCP alpha to beta at %sbit/s; a stall of 0 means the transfer never stopped;"
                + " bound for recovery %,d ms.%n", PingProbe.INTERVAL_MS, KEEPALIVE_MS, IPERF_RATE, RECOVERY_BOUND_MS));
        ReliabilityReport.publish("faults", body.toString());
    }
}
