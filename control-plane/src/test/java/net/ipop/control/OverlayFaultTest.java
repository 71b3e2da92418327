package net.ipop.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
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

import net.ipop.control.ice.NatLab;
import net.ipop.ffm.testing.Privileged;
import net.ipop.ffm.testing.TestNamespace;

/**
 * Faults under live traffic on an overlay link that goes through a TURN relay: two overlay nodes ({@code ipop up}
 * with signalling, membership and ICE servers) behind symmetric NATs on an {@link OverlayLab}, so ICE can only
 * pick a relayed pair (coturn on the lab's internet). As in {@link FaultRecoveryTest}, alpha pings beta every
 * 10 ms and sends it iperf3 TCP (capped at {@value #IPERF_RATE}bit/s: the relay is a user-space process on the
 * same two cores); each fault must be recovered from by itself within {@value #RECOVERY_BOUND_MS} ms, and the
 * recovery time and the echo requests lost are recorded.
 * <ul>
 *   <li>the TURN server is killed and started again: every allocation, permission and channel is gone, so
 *       consent checks over the relay go unanswered; ICE reports the path lost after the consent timeout and the
 *       offerer restarts ICE, which allocates anew and handshakes over the new relayed path.</li>
 *   <li>SIGKILL to alpha's data plane: alpha's node starts another and pushes its state; its overlay node starts
 *       over (rejoins the room, admits beta again, ICE, a new relayed path, a fresh handshake). Beta keeps
 *       alpha's peer while alpha is out of the room (a grace period), and re-offers when it is back.</li>
 *   <li>SIGKILL to alpha's node daemon (its control plane), and {@code ipop up} again 3 s later: the data plane
 *       keeps forwarding on its sessions and relayed path meanwhile; the new node adopts it, holds its peers until
 *       their members announce themselves in the room, gives beta back its peer id, sessions and path (matched by
 *       static key), and runs ICE with it again (a new relayed path).</li>
 * </ul>
 * The figures go to the {@code overlay-faults} section of docs/reliability.md when {@code ci/reliability.sh} runs
 * it.
 */
@Privileged
@Tag("slow")
class OverlayFaultTest {
    static final long RECOVERY_BOUND_MS = 90_000;
    private static final String IPERF_RATE = "20M";
    /** Two seconds of pings. */
    private static final int MAX_LOST_TO_ADOPTION = 200;

    @TempDir
    Path temp;

    @Test
    @Timeout(value = 900, unit = TimeUnit.SECONDS) // ci/reliability.sh turns timeouts off for more rounds
    void aRelayedOverlayLinkRecoversFromEachFaultByItself() throws Exception {
        int rounds = Integer.getInteger(FaultRecoveryTest.ROUNDS_PROPERTY, 1);
        FaultFigures figures = new FaultFigures(IPERF_RATE, 300, RECOVERY_BOUND_MS);
        try (OverlayLab o = OverlayLab.create(NatLab.Nat.SYMMETRIC, temp)) {
            TwoNodes.Node alpha = o.node(o.lab.siteA, "alpha");
            TwoNodes.Node beta = o.node(o.lab.siteB, "beta");
            OverlayLab.up(List.of(alpha, beta));
            OverlayNatTest.awaitPing(alpha.ns(), OverlayLab.address(1), 120, alpha, beta);
            assertTrue(alpha.log().contains("link to beta (lab): RELAYED path"), "not relayed" + alpha.log());
            String target = OverlayLab.address(1);
            Supplier<String> logs = () -> alpha.log() + beta.log();
            for (int round = 0; round < rounds; round++) {
                int relayedBefore = FaultFigures.count(alpha.log(), "RELAYED path");
                figures.measure("TURN server restarted (SIGKILL, started again)", alpha.ns(), beta.ns(), target, logs,
                        o.lab::restartTurnServer, () -> assertTrue(
                                FaultFigures.count(alpha.log(), "RELAYED path")
                                        + FaultFigures.count(beta.log(), "RELAYED path") > relayedBefore,
                                "no new relayed path" + alpha.log() + beta.log() + o.lab.turnLog()));

                long[] killed = {-1};
                figures.measure("overlay node's data plane killed (SIGKILL)", alpha.ns(), beta.ns(), target,
                        logs, () -> {
                    ProcessHandle dp = alpha.dataPlane();
                    killed[0] = dp.pid();
                    assertTrue(dp.destroyForcibly(), "SIGKILL was not delivered");
                    dp.onExit().get(10, TimeUnit.SECONDS);
                }, () -> {
                    assertNotEquals(killed[0], alpha.dataPlane().pid());
                    assertTrue(alpha.log().contains("the data plane exited unexpectedly"), alpha.log());
                });

                long[] adopted = {-1};
                int[] pathsBefore = {0};
                int[] relayOffersBefore = {0};
                long[] upAt = {0};
                FaultFigures.Figure cpKill = figures.measure("overlay node's control plane killed (SIGKILL), `ipop up`"
                        + " 3 s later", alpha.ns(), beta.ns(), target, logs, () -> {
                    ProcessHandle node = ProcessHandle.of(alpha.pid()).orElseThrow();
                    ProcessHandle dp = alpha.dataPlane();
                    adopted[0] = dp.pid();
                    pathsBefore[0] = FaultFigures.count(alpha.log(), "RELAYED path");
                    relayOffersBefore[0] = FaultFigures.count(alpha.log(), " relay)");
                    assertTrue(node.destroyForcibly(), "SIGKILL was not delivered");
                    node.onExit().get(10, TimeUnit.SECONDS);
                    Thread.sleep(3000);
                    assertTrue(dp.isAlive(), "the data plane died with its control plane" + alpha.log());
                    upAt[0] = System.nanoTime();
                    TestNamespace.Cmd.Result up = alpha.cli(150, "up", "--config", alpha.config().toString());
                    assertEquals(0, up.exitCode(), up.output() + alpha.log());
                }, () -> {
                    // `ipop up` returns once the node is up; it joins the room and hears beta after that.
                    long joined = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                    while (!alpha.log().contains("took back the running data plane's peer with its key")) {
                        assertTrue(System.nanoTime() - joined < 0, "beta's peer was not taken back" + alpha.log());
                        Thread.sleep(200);
                    }
                    String log = alpha.log();
                    assertTrue(log.contains("adopting the running data plane (pid " + adopted[0] + ")"), log);
                    assertEquals(adopted[0], alpha.dataPlane().pid(), "the adopted data plane was replaced" + log);
                    assertEquals(0, ProcessHandle.of(alpha.pid()).orElseThrow().children().count(),
                            "the adopting node started a data plane" + log);
                    // ICE with beta again, with a relayed candidate of alpha's own: the killed node's TURN allocation
                    // outlived it on the same 5-tuple (the data plane's socket, the NAT's mapping), and the new node
                    // frees it before gathering (TurnRelease), else coturn refuses its Allocate (437).
                    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                    while ((FaultFigures.count(alpha.log(), "RELAYED path") <= pathsBefore[0]
                            || FaultFigures.count(alpha.log(), " relay)") <= relayOffersBefore[0])
                            && deadline - System.nanoTime() > 0) {
                        Thread.sleep(200);
                    }
                    String after = alpha.log();
                    System.out.println("after the adoption: a relayed candidate and a new path "
                            + (System.nanoTime() - upAt[0]) / 1_000_000 + " ms after `ipop up` started; "
                            + after.lines().filter(l -> l.contains("TURN Refresh")).toList());
                    assertTrue(FaultFigures.count(after, " relay)") > relayOffersBefore[0],
                            "the adopting node signalled no relayed candidate of its own" + after + o.lab.turnLog());
                    assertTrue(FaultFigures.count(after, "RELAYED path") > pathsBefore[0],
                            "no new path with beta within 60 s of the adoption" + after + beta.log());
                });
                // The data plane forwarded throughout: at most a moment's loss (a path switch), never the outage of a
                // fresh start (the data plane kill above loses seconds' worth).
                assertTrue(cpKill.ping().lost() < MAX_LOST_TO_ADOPTION, cpKill.ping().lost() + " echo requests lost"
                        + " across the control plane's kill and the adoption" + alpha.log());
            }
        }
        StringBuilder body = new StringBuilder(figures.table(rounds));
        body.append(String.format(Locale.ROOT, "%nOverlay nodes behind symmetric NATs, linked through coturn (TURN,"
                + " ChannelData); ping every %d ms from alpha to beta, iperf3 TCP alpha to beta at %sbit/s; a stall of"
                + " 0 means the transfer never stopped; bound for recovery %,d ms.%n", PingProbe.INTERVAL_MS,
                IPERF_RATE, RECOVERY_BOUND_MS));
        ReliabilityReport.publish("overlay-faults", body.toString());
    }
}
