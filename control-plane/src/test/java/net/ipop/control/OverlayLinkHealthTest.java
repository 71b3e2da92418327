package net.ipop.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import net.ipop.control.ice.NatLab;
import net.ipop.ffm.testing.Privileged;
import net.ipop.ffm.testing.TestNamespace;

/**
 * Link health in an overlay: two members behind endpoint-independent NATs connect directly, a ping runs between
 * them, and then the internet drops every UDP datagram between the two NATs' public addresses while the TURN server
 * stays reachable. The data plane declares the peer down ({@code dataplane.deadPeerAfterMs}, 2 s here), the nodes
 * restart ICE by themselves and come back over the relay: {@code ipop status} shows the path relayed, ping and
 * iperf3 pass again, and the time from the cut to the first ping answer is printed and bounded (generously: the
 * machine is shared). Then the direct path heals: the nodes' probes for a direct path ({@code ice.directProbeMs},
 * short here), which failed while it was cut without disturbing the relay, find it, and the link goes back to it
 * while a ping runs throughout; the time from the heal until both ends' {@code ipop status} show the path direct,
 * and the pings lost on the way, are printed, bounded and published.
 */
@Privileged
class OverlayLinkHealthTest {
    private static final int DEAD_PEER_AFTER_MS = 2_000;
    /** Detection (2 s) + gathering + checks + the relay's nomination wait + channel + handshake, with room to spare. */
    private static final long RECOVERY_BOUND_MS = 60_000;
    private static final Pattern RELAYED = Pattern.compile("\"path\"\\s*:\\s*\"relayed\"");
    private static final Pattern DIRECT = Pattern.compile("\"path\"\\s*:\\s*\"direct\"");
    /** Probes for a direct path while relayed: after 4 s, backing off to every 8 s (the default starts at 30 s). */
    private static final Map<String, String> PROBES = Map.of("directProbeMs", "4000", "directProbeMaxMs", "8000");
    /**
     * A probe under way when the path heals may still fail (ice4j gives up on a pair after ~6 s, the check list
     * later), then the next comes 8 s after, plus gathering, signalling and checks: ~20 s at worst on an idle
     * machine (13 s measured); over 4x that for a loaded one.
     */
    private static final long BACK_TO_DIRECT_BOUND_MS = 90_000;
    /** Pinging on past the switch: the relay's generation is freed 5 s after it (IceSession.LINGER_MS). */
    private static final long PING_AFTER_SWITCH_MS = 8_000;

    @TempDir
    Path temp;

    @Test
    @Timeout(value = 420, unit = TimeUnit.SECONDS)
    void aCutDirectPathRecoversOverTheRelayByItself() throws Exception {
        try (OverlayLab o = OverlayLab.create(NatLab.Nat.ENDPOINT_INDEPENDENT, temp)) {
            TwoNodes.Node alpha = o.node(o.lab.siteA, "alpha", DEAD_PEER_AFTER_MS, PROBES);
            TwoNodes.Node beta = o.node(o.lab.siteB, "beta", DEAD_PEER_AFTER_MS, PROBES);
            OverlayLab.up(List.of(alpha, beta));
            String betaAddress = OverlayLab.address(1);
            OverlayNatTest.awaitPing(alpha.ns(), betaAddress, 90, alpha, beta);
            assertTrue(alpha.log().contains("link to beta (lab): DIRECT path"), "a direct path first" + alpha.log());

            Process traffic = alpha.ns().start("ping", "-n", "-q", "-i", "0.2", betaAddress);
            long recoveryMs;
            int alphaMark;
            int betaMark;
            try {
                Thread.sleep(1_000);
                long cut = System.nanoTime();
                cutDirectPath(o.lab.internet, true);
                long recovered = awaitPingAfter(alpha, beta, betaAddress, cut, o.lab::turnLog);
                // From here on the link is relayed and the probes run; none of it may look like a broken link.
                alphaMark = alpha.log().length();
                betaMark = beta.log().length();
                recoveryMs = TimeUnit.NANOSECONDS.toMillis(recovered - cut);
                System.out.printf("overlay link health: direct path cut, ping answered again over the relay %d ms"
                        + " later (dead peer after %d ms)%n", recoveryMs, DEAD_PEER_AFTER_MS);
                assertTrue(recoveryMs < RECOVERY_BOUND_MS, "recovered only after " + recoveryMs + " ms"
                        + alpha.log() + beta.log());

                for (TwoNodes.Node n : List.of(alpha, beta)) {
                    TestNamespace.Cmd.Result status = n.cli(60, "status", "--json", "--config",
                            n.config().toString());
                    assertEquals(0, status.exitCode(), status.output());
                    assertTrue(RELAYED.matcher(status.output()).find(), "status shows the path relayed: "
                            + status.output() + n.log());
                }
                String logs = alpha.log() + beta.log();
                for (String line : logs.split("\n")) {
                    if (line.contains("LinkHealth") || line.contains("ICE restart") || line.contains("is down")
                            || line.contains("ICE selected") || line.contains("session installed")
                            || line.contains("handshaking over it") || line.startsWith("log:")) {
                        System.out.println("  " + line);
                    }
                }
                assertTrue(logs.contains("the data plane declared it down"), "PEER_DOWN started it" + logs);
                assertTrue(Pattern.compile("link to (alpha|beta) \\(lab\\) restored \\d+ ms after it was lost, over a"
                        + " RELAYED path").matcher(logs).find(), logs);
            } finally {
                traffic.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
            double mbits = OverlayNatTest.iperf3(alpha, beta, betaAddress);
            System.out.printf("overlay link health: iperf3 TCP over the relay after recovery: %.1f Mbit/s%n", mbits);
            ReliabilityReport.publish("overlay-link-recovery", """
                    | fault | dead peer after | ping answered again | path after | iperf3 TCP over it (3 s) |
                    |---|---|---|---|---|
                    | UDP between the two NATs dropped | %d ms | %.1f s after the cut | relayed (TURN) | %.0f Mbit/s |
                    """.formatted(DEAD_PEER_AFTER_MS, recoveryMs / 1e3, mbits));

            // A probe fails while the path is cut (the first comes 4 s after the relayed path, its checks give up
            // within ~12 s), then the path heals.
            long cutSince = System.nanoTime();
            while (!(alpha.log().substring(alphaMark) + beta.log().substring(betaMark))
                    .contains("probe for a direct path ended (")) {
                assertTrue(System.nanoTime() - cutSince < TimeUnit.SECONDS.toNanos(60), "no probe ended while cut"
                        + alpha.log() + beta.log());
                Thread.sleep(200);
            }
            String relayedLogs = alpha.log() + beta.log();
            assertFalse(relayedLogs.contains("back on a direct path"), "no probe found the cut path" + relayedLogs);

            try (PingProbe ping = PingProbe.start(alpha.ns(), betaAddress)) {
                ping.awaitReplies(100, 30);
                long healedEpochMs = System.currentTimeMillis();
                long healed = System.nanoTime();
                cutDirectPath(o.lab.internet, false);
                long directMs = awaitBackToDirect(alpha, alphaMark, beta, betaMark, healed);
                long switched = System.nanoTime();
                for (TwoNodes.Node n : List.of(alpha, beta)) {
                    TestNamespace.Cmd.Result status = n.cli(60, "status", "--json", "--config",
                            n.config().toString());
                    assertEquals(0, status.exitCode(), status.output());
                    assertTrue(DIRECT.matcher(status.output()).find(), "status shows the path direct: "
                            + status.output() + n.log());
                }
                // The ping goes on past the old generation's release, the status calls' time included.
                Thread.sleep(Math.max(0, PING_AFTER_SWITCH_MS
                        - TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - switched)));
                PingProbe.Outcome out = ping.outcome(healedEpochMs);
                System.out.printf("overlay link health: direct path healed, both ends direct again %d ms later;"
                        + " ping every %d ms: %d of %d lost%n", directMs, PingProbe.INTERVAL_MS, out.lost(),
                        out.requests());
                String logs = alpha.log().substring(alphaMark) + beta.log().substring(betaMark);
                for (String line : logs.split("\n")) {
                    if (line.contains("probe") || line.contains("ICE selected") || line.contains("handshaking over")) {
                        System.out.println("  " + line);
                    }
                }
                assertFalse(logs.contains("reported down"), "a failed probe never reports the member down" + logs);
                // Not asserted: a LinkHealth restart of the relayed link for lost consent (ice4j answered the peer's
                // consent checks on the relayed generation with 403, an unknown pair) was seen in one of three runs
                // when this test was written, and once in CI since; printed so that it shows. A restart after the
                // heal selects the direct pair itself, so only without one must the probes take both ends back.
                long restarts = Pattern.compile("ICE restart now").matcher(logs).results().count();
                System.out.printf("overlay link health: LinkHealth restarts while relayed: %d%n", restarts);
                if (restarts == 0) {
                    assertTrue(alpha.log().substring(alphaMark).contains("back on a direct path")
                            && beta.log().substring(betaMark).contains("back on a direct path"),
                            "without a restart, the probes took both ends back" + logs);
                }
                assertTrue(out.requests() * PingProbe.INTERVAL_MS > directMs, "the ping ran throughout: "
                        + out.requests() + " requests");
                // The relay carries the pings until the direct pair is selected, and the old generation lingers
                // while the ends switch: 0 to 0.6 s of pings lost in four runs; 3 s at most, under the outage of a
                // restart (the dead-peer interval, 2 s, plus ICE and a handshake).
                assertTrue(out.lost() * PingProbe.INTERVAL_MS <= 3_000, out.lost() + " of " + out.requests()
                        + " pings lost while going back to direct" + logs);
                ReliabilityReport.publish("overlay-back-to-direct", """
                        | after | probes | both ends direct again | pings lost on the way (every %d ms) |
                        |---|---|---|---|
                        | the relayed link's direct path healed | every %s ms, backing off to %s ms | %.1f s after the heal | %d of %d |
                        """.formatted(PingProbe.INTERVAL_MS, PROBES.get("directProbeMs"),
                        PROBES.get("directProbeMaxMs"), directMs / 1e3, out.lost(), out.requests()));
            }
        }
    }

    /**
     * Waits until both nodes' latest path since their marks is direct (a probe's selection, or a restart's; {@code
     * ipop status} shows it as well); returns the time since {@code healed}, ms. On failure the message ends with
     * both nodes' link events, so that a truncated report still shows them.
     */
    private static long awaitBackToDirect(TwoNodes.Node a, int aMark, TwoNodes.Node b, int bMark, long healed)
            throws Exception {
        while (true) {
            if (direct(a.log().substring(aMark)) && direct(b.log().substring(bMark))) {
                return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - healed);
            }
            if (System.nanoTime() - healed > TimeUnit.MILLISECONDS.toNanos(BACK_TO_DIRECT_BOUND_MS)) {
                throw new AssertionError("not back on a direct path within " + BACK_TO_DIRECT_BOUND_MS
                        + " ms of the heal" + a.log() + b.log() + "\nlink events of alpha:\n"
                        + linkEvents(a.log().substring(aMark)) + "link events of beta:\n"
                        + linkEvents(b.log().substring(bMark)));
            }
            Thread.sleep(200);
        }
    }

    /** Whether the last path the node selected in {@code log} is direct (the overlay node logs each selection). */
    private static boolean direct(String log) {
        int direct = log.lastIndexOf(": DIRECT path ");
        return direct >= 0 && direct > log.lastIndexOf(": RELAYED path ");
    }

    /** The lines of {@code log} that tell what happened to the link: losses, restarts, probes, selections. */
    private static String linkEvents(String log) {
        StringBuilder out = new StringBuilder();
        for (String line : log.split("\n")) {
            if (line.contains("LinkHealth") || line.contains("DirectProbes") || line.contains("ICE session failed")
                    || line.contains(" path ") || line.contains("offered") || line.contains("answered")
                    || line.contains("is down") || line.contains("unknown candidate pair")) {
                out.append("  ").append(line).append('\n');
            }
        }
        return out.toString();
    }

    /**
     * Drops (or stops dropping) UDP between the NATs' public addresses on the internet's bridge; the TURN server's
     * traffic passes. The table is removed with the internet's namespace in any case.
     */
    private static void cutDirectPath(TestNamespace internet, boolean cut) throws Exception {
        if (!cut) {
            internet.exec("nft", "delete", "table", "bridge", "ipopcut");
            return;
        }
        Path rules = Files.createTempFile("ipopcut-", ".nft");
        try {
            Files.writeString(rules, """
                    table bridge ipopcut {
                      chain forward {
                        type filter hook forward priority filter; policy accept;
                        ip saddr 203.0.113.2 ip daddr 203.0.113.6 meta l4proto udp drop
                        ip saddr 203.0.113.6 ip daddr 203.0.113.2 meta l4proto udp drop
                      }
                    }
                    """);
            internet.exec("nft", "-f", rules.toString());
        } finally {
            Files.deleteIfExists(rules);
        }
    }

    /** Pings (1 s timeout each) until one is answered after {@code since}; returns when. */
    private static long awaitPingAfter(TwoNodes.Node a, TwoNodes.Node b, String to, long since,
            java.util.function.Supplier<String> turnLog) throws Exception {
        long deadline = since + TimeUnit.SECONDS.toNanos(120);
        while (true) {
            long sent = System.nanoTime();
            if (a.ns().execAllowingFailure(5, "ping", "-c", "1", "-W", "1", to).exitCode() == 0 && sent > since) {
                return System.nanoTime();
            }
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("no ping answer within 120 s of the cut" + a.log() + b.log() + "\nturn log:\n"
                        + turnLog.get());
            }
        }
    }
}
