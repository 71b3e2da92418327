package net.ipop.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import net.ipop.control.ice.NatLab;
import net.ipop.ffm.testing.Privileged;

/**
 * SIGHUP to an overlay node ({@code ipop up} with signalling, two members on one LAN): the overlay CA revokes
 * beta's certificate in the revocation list file alpha reads, alpha is reloaded and disconnects beta (its log says
 * why, ping stops both ways); a changed listen port, reloaded with {@code ipop reload}, is refused naming the key
 * (the verb shows the line and exits 1), and alpha keeps running.
 */
@Privileged
class OverlayReloadTest {
    @TempDir
    Path temp;

    @Test
    @Timeout(value = 300, unit = TimeUnit.SECONDS)
    void sighupDisconnectsARevokedMemberAndRefusesARestartOnlyKey() throws Exception {
        try (OverlayLab o = OverlayLab.create(NatLab.Nat.ENDPOINT_INDEPENDENT, temp)) {
            TwoNodes.Node alpha = o.node(o.onInternet("lana", "203.0.113.10"), "alpha");
            TwoNodes.Node beta = o.node(o.onInternet("lanb", "203.0.113.11"), "beta");
            OverlayLab.up(List.of(alpha, beta));
            OverlayNatTest.awaitPing(alpha.ns(), OverlayLab.address(1), 90, alpha, beta);

            o.revoke("beta");
            alpha.ns().exec("kill", "-HUP", Long.toString(alpha.pid()));
            String log = await(alpha, "reload: member beta (lab) disconnected");
            assertTrue(log.lines().anyMatch(l -> l.contains("reload: member beta (lab) disconnected")
                    && l.contains("is revoked") && l.contains("REVOKED")), "the line names why" + log);
            assertTrue(log.contains("peer beta (lab) removed: refused since the reload"), log);
            assertNotEquals(0, alpha.ns().execAllowingFailure(10, "ping", "-c", "2", "-W", "1",
                    OverlayLab.address(1)).exitCode(), "alpha no longer reaches beta" + log);
            assertNotEquals(0, beta.ns().execAllowingFailure(10, "ping", "-c", "2", "-W", "1",
                    OverlayLab.address(0)).exitCode(), "beta no longer reaches alpha" + beta.log());

            String config = Files.readString(alpha.config());
            Files.writeString(alpha.config(), config.replace("listen:\n  port: 51820", "listen:\n  port: 51821"));
            // This time through the verb, which signals the node and shows the reload's lines from its log.
            var reload = alpha.cli(60, "reload", "--interface", "ipop0");
            log = await(alpha, "reload: listen.port changed: restart needed");
            assertEquals(1, reload.exitCode(), reload.output() + log);
            assertTrue(reload.output().contains("reload: listen.port changed: restart needed"), reload.output());
            assertTrue(reload.output().contains("ipop reload: some changes need a restart"), reload.output());
            assertTrue(ProcessHandle.of(alpha.pid()).map(ProcessHandle::isAlive).orElse(false), "alpha runs on");
            var status = alpha.cli(30, "status", "--interface", "ipop0");
            assertEquals(0, status.exitCode(), status.output() + log);
            assertTrue(status.output().contains("listening on 0.0.0.0:51820"), status.output());
        }
    }

    /** Polls the node's log until it holds {@code text} (30 s); returns the log. */
    private static String await(TwoNodes.Node n, String text) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (true) {
            String log = n.log();
            if (log.contains(text)) {
                return log;
            }
            assertTrue(System.nanoTime() - deadline < 0, "no '" + text + "' in 30 s" + log);
            Thread.sleep(200);
        }
    }
}
