package net.ipop.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
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
 * {@code ipop ping}, {@code status} and {@code peers} on two static nodes whose overlay addresses are IPv6 only
 * (2001:db8::1/64 and ::2, {@link TwoNodes#upIpv6}): the peer's address is found and shown in its short form,
 * the echo crosses the tunnel as ICMPv6.
 */
@Privileged
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class Ipv6VerbsTest {
    @TempDir
    Path temp;

    @Test
    void pingStatusAndPeersWorkOverIpv6OverlayAddresses() throws Exception {
        try (TwoNodes nodes = TwoNodes.upIpv6(temp, "v6")) {
            TwoNodes.Node a = nodes.a();
            TwoNodes.Node b = nodes.b();

            TestNamespace.Cmd.Result ping = a.cli(60, "ping", "beta", "-c", "2");
            assertEquals(0, ping.exitCode(), ping.output() + a.log());
            assertTrue(ping.output().contains("ping beta (2001:db8::2) over ipop0, 2 requests"), ping.output());
            assertTrue(ping.output().contains("reply from beta (2001:db8::2): seq 1 time "), ping.output());
            assertTrue(ping.output().contains("beta: 2 sent, 2 received, rtt min/avg/max "), ping.output());

            TestNamespace.Cmd.Result pingJson = b.cli(60, "ping", "alpha", "-c", "1", "--json");
            assertEquals(0, pingJson.exitCode(), pingJson.output() + b.log());
            Map<?, ?> pj = json(pingJson.output());
            assertEquals("2001:db8::1", pj.get("address"));
            assertEquals(1L, pj.get("received"));

            TestNamespace.Cmd.Result status = a.cli(60, "status");
            assertEquals(0, status.exitCode(), status.output());
            String table = status.output();
            System.out.println("ipop status (IPv6 overlay):\n" + table);
            assertTrue(table.contains("node alpha on ipop0 (2001:db8::1/64), listening on 0.0.0.0:51820"), table);
            assertTrue(table.matches("(?s).*\\nbeta +2001:db8::2/128 +direct +198\\.51\\.100\\.2:51820 +\\S+( ms)?"
                    + " +[0-9.]+ (B|KiB) +[0-9.]+ (B|KiB) +[0-9.]+ s ago +[0-9.]+ s\\n.*"), table);

            Map<?, ?> doc = json(a.cli(60, "status", "--json").output());
            Map<?, ?> beta = (Map<?, ?>) ((List<?>) doc.get("peers")).get(0);
            assertEquals(List.of("2001:db8::2/128"), beta.get("allowedAddresses"));
            assertEquals(List.of("2001:db8::1/64"), ((Map<?, ?>) doc.get("node")).get("addresses"));
            // Three ICMPv6 echoes and replies at least (the start-up probe and ping -c 2), 104 bytes each.
            assertTrue((Long) beta.get("txPackets") >= 3 && (Long) beta.get("txBytes") >= 3 * 104, beta.toString());

            TestNamespace.Cmd.Result peers = b.cli(60, "peers");
            assertEquals(0, peers.exitCode(), peers.output());
            assertTrue(peers.output().strip().matches("alpha +2001:db8::1/128 +direct +198\\.51\\.100\\.1:51820"
                    + " +rtt \\S+( ms)? +handshake [0-9.]+ s ago"), peers.output());
        }
    }

    /** The one JSON line of a CLI's output. */
    private static Map<?, ?> json(String output) {
        List<String> lines = output.lines().filter(l -> l.startsWith("{")).toList();
        assertEquals(1, lines.size(), output);
        return (Map<?, ?>) JsonText.parse(lines.get(0));
    }
}
