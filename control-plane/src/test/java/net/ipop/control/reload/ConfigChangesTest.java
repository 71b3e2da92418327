package net.ipop.control.reload;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

import org.junit.jupiter.api.Test;

import net.ipop.control.config.DataPlaneConfig;
import net.ipop.control.config.IceServersConfig;
import net.ipop.control.config.InterfaceConfig;
import net.ipop.control.config.ListenConfig;
import net.ipop.control.config.LogConfig;
import net.ipop.control.config.MembershipConfig;
import net.ipop.control.config.MetricsConfig;
import net.ipop.control.config.NodeConfig;
import net.ipop.control.config.SignallingConfig;
import net.ipop.control.config.StaticPublicKey;
import net.ipop.control.config.TopologyConfig;
import net.ipop.crypto.Suite;
import net.ipop.crypto.cert.IpPrefix;

/** Which keys of an overlay node's config a reload applies and which it refuses. */
class ConfigChangesTest {
    private static final StaticPublicKey KEY = StaticPublicKey.of(new byte[32]);

    @Test
    void revocationListAllowedGroupsAndConsentTimeoutReloadTheRestNeedsARestart() {
        NodeConfig running = config(signalling("lab", "xmpp.example.org", Optional.of(Path.of("/etc/ipop/a.crl")),
                List.of("lab")), ice(List.of(), 15_000));
        NodeConfig fresh = config(signalling("lab", "xmpp.example.org", Optional.of(Path.of("/etc/ipop/b.crl")),
                List.of("ops")), ice(List.of(), 5_000));
        assertEquals(List.of(), ConfigChanges.needingRestart(running, fresh));
        NodeConfig applied = ConfigChanges.applied(running, fresh);
        assertEquals(fresh.signalling(), applied.signalling());
        assertEquals(5_000, applied.ice().consentTimeoutMs());

        NodeConfig moved = config(signalling("lab", "xmpp2.example.org", Optional.empty(), List.of()),
                ice(List.of(new InetSocketAddress("203.0.113.10", 3478)), 15_000));
        assertEquals(List.of("signalling[0].server", "ice.stunServers"), ConfigChanges.needingRestart(running, moved));
        NodeConfig kept = ConfigChanges.applied(running, moved);
        assertEquals("xmpp.example.org", kept.signalling().get(0).server(), "the server keeps its running value");
        assertEquals(Optional.empty(), kept.signalling().get(0).membership().orElseThrow().crlFile(),
                "the revocation list still reloads");
        assertEquals(List.of(), kept.ice().stunServers());

        NodeConfig other = config(signalling("lab2", "xmpp.example.org", Optional.empty(), List.of()),
                ice(List.of(), 15_000));
        assertEquals(List.of("signalling[0].overlay"), ConfigChanges.needingRestart(running, other));
        assertEquals(running.signalling(), ConfigChanges.applied(running, other).signalling());
    }

    @Test
    void directProbeIntervalsNeedARestart() {
        NodeConfig running = config(signalling("lab", "xmpp.example.org", Optional.empty(), List.of()),
                ice(List.of(), 15_000));
        NodeConfig fresh = config(signalling("lab", "xmpp.example.org", Optional.empty(), List.of()),
                new IceServersConfig(List.of(), Optional.empty(), 15_000, 5_000, 60_000));
        assertEquals(List.of("ice.directProbeMs", "ice.directProbeMaxMs"), ConfigChanges.needingRestart(running, fresh));
        NodeConfig kept = ConfigChanges.applied(running, fresh);
        assertEquals(IceServersConfig.DEFAULT_DIRECT_PROBE_MS, kept.ice().directProbeMs());
        assertEquals(IceServersConfig.DEFAULT_DIRECT_PROBE_MAX_MS, kept.ice().directProbeMaxMs());
    }

    private static SignallingConfig signalling(String overlay, String server, Optional<Path> crl, List<String> groups) {
        return new SignallingConfig(overlay, server, 5222, "alpha@example.org", Path.of("/etc/ipop/pw"),
                overlay + "@conference.example.org", SignallingConfig.TlsMode.REQUIRED, Optional.empty(), 10_000,
                Optional.of(new MembershipConfig(Path.of("/etc/ipop/alpha.pem"), Path.of("/etc/ipop/ca.pem"), crl,
                        groups)));
    }

    private static IceServersConfig ice(List<InetSocketAddress> stun, int consentMs) {
        return new IceServersConfig(stun, Optional.empty(), consentMs);
    }

    private static NodeConfig config(SignallingConfig s, IceServersConfig ice) {
        return new NodeConfig("alpha", Path.of("/etc/ipop/alpha.key"), KEY,
                new InterfaceConfig("ipop0", List.of(IpPrefix.parse("192.0.2.1/24")), 1420, 1),
                new ListenConfig(51820, Optional.empty()), Suite.AES256GCM,
                new DataPlaneConfig(DataPlaneConfig.IdleStrategy.BACKOFF, true, true,
                        Path.of("/run/ipop/ipop0.counters"), Path.of("/dev/shm/ipop-ipop0"),
                        DataPlaneConfig.DEFAULT_DEAD_PEER_AFTER_MS),
                List.of(), List.of(s), ice, TopologyConfig.DEFAULT, MetricsConfig.OFF, LogConfig.DEFAULT);
    }
}
