package net.ipop.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import net.ipop.control.status.JsonText;
import net.ipop.ffm.testing.Privileged;
import net.ipop.ffm.testing.TestNamespace;

/**
 * {@code ipop status}, {@code peers} and {@code ping} against two real nodes ({@code ipop up} in two namespaces,
 * {@link TwoNodes}), each verb a CLI JVM in the node's namespace asking the node through its status socket.
 */
@Privileged
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class StatusVerbsTest {
    @TempDir
    Path temp;

    @Test
    void statusPeersAndPingShowTheOverlayAndFailClearlyWhenItIsGone() throws Exception {
        try (TwoNodes nodes = TwoNodes.up(temp, "sv")) {
            TwoNodes.Node a = nodes.a();
            TwoNodes.Node b = nodes.b();
            Path socket = a.runDir().resolve("ipop0.sock");
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(socket)));
            assertEquals("root", Files.getOwner(socket).getName());

            // Ping by name: the node resolves beta to its overlay address; the echo crosses the tunnel.
            TestNamespace.Cmd.Result ping = a.cli(60, "ping", "beta", "-c", "2");
            assertEquals(0, ping.exitCode(), ping.output() + a.log());
            assertTrue(ping.output().contains("ping beta (192.0.2.2) over ipop0, 2 requests"), ping.output());
            assertTrue(ping.output().contains("reply from beta (192.0.2.2): seq 1 time "), ping.output());
            assertTrue(ping.output().contains("beta: 2 sent, 2 received, rtt min/avg/max "), ping.output());

            TestNamespace.Cmd.Result pingJson = a.cli(60, "ping", "beta", "-c", "1", "--json", "--interface",
                    "ipop0");
            assertEquals(0, pingJson.exitCode(), pingJson.output());
            Map<?, ?> pj = json(pingJson.output());
            assertEquals("192.0.2.2", pj.get("address"));
            assertEquals(1L, pj.get("received"));
            assertEquals(1, ((List<?>) pj.get("rttMs")).size());

            TestNamespace.Cmd.Result status = a.cli(60, "status");
            assertEquals(0, status.exitCode(), status.output());
            String table = status.output();
            System.out.println("ipop status:\n" + table);
            assertTrue(table.contains("node alpha on ipop0 (192.0.2.1/24), listening on 0.0.0.0:51820, pid "
                    + a.pid() + ", data plane pid " + a.dataPlane().pid() + " (alive)"), table);
            assertTrue(table.matches("(?s).*\\nPEER +OVERLAY ADDRESSES +PATH +ENDPOINT +RTT +RECEIVED +SENT +LAST"
                    + " HANDSHAKE +SESSION AGE\\n.*"), table);
            assertTrue(table.matches("(?s).*\\nbeta +192\\.0\\.2\\.2/32 +direct +198\\.51\\.100\\.2:51820 +\\S+( ms)?"
                    + " +[0-9.]+ (B|KiB) +[0-9.]+ (B|KiB) +[0-9.]+ s ago +[0-9.]+ s\\n.*"), table);

            // Both ends as JSON: traffic after the pings, the handshake, and the RTT on the initiator's side.
            Map<?, ?> docA = json(ok(a.cli(60, "status", "--json", "--config", a.config().toString())));
            Map<?, ?> docB = json(ok(b.cli(60, "status", "--json", "--interface", "ipop0")));
            assertEquals(1L, docA.get("version"));
            assertEquals("alive", ((Map<?, ?>) ((Map<?, ?>) docA.get("node")).get("dataPlane")).get("liveness"));
            Map<?, ?> beta = (Map<?, ?>) ((List<?>) docA.get("peers")).get(0);
            assertEquals("beta", beta.get("name"));
            assertEquals(List.of("192.0.2.2/32"), beta.get("allowedAddresses"));
            assertEquals("direct", beta.get("path"));
            assertEquals("198.51.100.2:51820", beta.get("endpoint"));
            assertNotNull(beta.get("lastHandshake"));
            assertNotNull(beta.get("sessionAgeMs"));
            // Three echo requests and their replies at least, each more than 84 bytes of IPv4 ICMP.
            assertTrue((Long) beta.get("txPackets") >= 3 && (Long) beta.get("txBytes") >= 3 * 84, beta.toString());
            assertTrue((Long) beta.get("rxPackets") >= 3 && (Long) beta.get("rxBytes") >= 3 * 84, beta.toString());
            Map<?, ?> alpha = (Map<?, ?>) ((List<?>) docB.get("peers")).get(0);
            assertEquals("198.51.100.1:51820", alpha.get("endpoint"));
            // Whichever node initiated the handshake measured its round trip.
            Object rtt = beta.get("rttMs") != null ? beta.get("rttMs") : alpha.get("rttMs");
            assertTrue(rtt instanceof Double d && d > 0 && d < 30_000, "rtt " + beta + " " + alpha);

            TestNamespace.Cmd.Result peers = b.cli(60, "peers");
            assertEquals(0, peers.exitCode(), peers.output());
            List<String> lines = peers.output().lines().toList();
            System.out.println("ipop peers:\n" + peers.output());
            assertEquals(1, lines.size(), peers.output());
            assertTrue(lines.get(0).matches("alpha +192\\.0\\.2\\.1/32 +direct +198\\.51\\.100\\.1:51820 +rtt \\S+"
                    + "( ms)? +handshake [0-9.]+ s ago"), lines.get(0));
            Map<?, ?> peersJson = json(ok(b.cli(60, "peers", "--json")));
            assertEquals("alpha", ((Map<?, ?>) ((List<?>) peersJson.get("peers")).get(0)).get("name"));

            TestNamespace.Cmd.Result unknown = a.cli(60, "ping", "delta");
            assertEquals(2, unknown.exitCode(), unknown.output());
            assertTrue(unknown.output().contains("ipop ping: no peer named delta on ipop0; its peers: beta"),
                    unknown.output());

            // The underlay goes down under B: no reply, exit 1.
            b.ns().exec("ip", "link", "set", "veth-b", "down");
            TestNamespace.Cmd.Result lost = a.cli(60, "ping", "beta", "-c", "1");
            assertEquals(1, lost.exitCode(), lost.output());
            assertTrue(lost.output().contains("beta: 1 sent, 0 received"), lost.output());
            assertTrue(lost.output().contains("ipop ping: no reply from beta (192.0.2.2)"), lost.output());

            TestNamespace.Cmd.Result down = a.cli(60, "down", "--config", a.config().toString());
            assertEquals(0, down.exitCode(), down.output() + a.log());
            assertFalse(Files.exists(socket), "the socket outlived its node");
            for (String verb : List.of("status", "peers")) {
                TestNamespace.Cmd.Result gone = a.cli(60, verb);
                assertEquals(3, gone.exitCode(), gone.output());
                assertEquals("ipop " + verb + ": no IPOP node is running (no status socket in " + a.runDir()
                        + "); start one with ipop up --config FILE", gone.output().strip());
            }
            TestNamespace.Cmd.Result goneNamed = a.cli(60, "ping", "beta", "--interface", "ipop0");
            assertEquals(3, goneNamed.exitCode(), goneNamed.output());
            assertTrue(goneNamed.output().contains("no IPOP node is running on ipop0"), goneNamed.output());
            assertFalse(goneNamed.output().contains("\tat "), goneNamed.output());
        }
    }

    private static String ok(TestNamespace.Cmd.Result r) {
        assertEquals(0, r.exitCode(), r.output());
        return r.output();
    }

    /** The one JSON line of a CLI's output. */
    private static Map<?, ?> json(String output) {
        List<String> lines = output.lines().filter(l -> l.startsWith("{")).toList();
        assertEquals(1, lines.size(), output);
        return (Map<?, ?>) JsonText.parse(lines.get(0));
    }
}
