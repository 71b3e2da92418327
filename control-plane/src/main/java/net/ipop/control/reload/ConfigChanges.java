package net.ipop.control.reload;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

import net.ipop.control.config.DataPlaneConfig;
import net.ipop.control.config.IceServersConfig;
import net.ipop.control.config.MembershipConfig;
import net.ipop.control.config.NodeConfig;
import net.ipop.control.config.SignallingConfig;

/**
 * Which keys differ between the running config and a reloaded one, split into those a reload applies (peers,
 * {@code suite} through the peers it sets, {@code log}, {@code metrics}, and for an overlay node each overlay's
 * {@code crlFile} and {@code allowedGroups} and {@code ice.consentTimeoutMs}) and those that need a restart: the
 * interface, the listening socket, the node's identity and the data plane's settings are fixed when the data
 * plane starts, signalling accounts and the node's own certificate when their connections open and announce it,
 * and the STUN and TURN servers when ICE gathers (a TURN allocation lives on).
 */
final class ConfigChanges {
    private ConfigChanges() {
    }

    /** The keys whose change needs a restart, in file order; empty if none changed. */
    static List<String> needingRestart(NodeConfig running, NodeConfig fresh) {
        List<String> keys = new ArrayList<>();
        check(keys, "node.name", running.name(), fresh.name());
        check(keys, "node.privateKeyFile", running.privateKeyFile(), fresh.privateKeyFile());
        if (running.privateKeyFile().equals(fresh.privateKeyFile())) {
            check(keys, "node.privateKeyFile (its key)", running.publicKey(), fresh.publicKey());
        }
        check(keys, "interface.name", running.iface().name(), fresh.iface().name());
        check(keys, "interface.addresses", running.iface().addresses(), fresh.iface().addresses());
        check(keys, "interface.mtu", running.iface().mtu(), fresh.iface().mtu());
        check(keys, "interface.queues", running.iface().queues(), fresh.iface().queues());
        check(keys, "listen.port", running.listen().port(), fresh.listen().port());
        check(keys, "listen.address", running.listen().address(), fresh.listen().address());
        DataPlaneConfig a = running.dataPlane();
        DataPlaneConfig b = fresh.dataPlane();
        check(keys, "dataplane.idleStrategy", a.idleStrategy(), b.idleStrategy());
        check(keys, "dataplane.ioUring", a.ioUring(), b.ioUring());
        check(keys, "dataplane.offloads", a.offloads(), b.offloads());
        check(keys, "dataplane.countersFile", a.countersFile(), b.countersFile());
        check(keys, "dataplane.aeronDirectory", a.aeronDirectory(), b.aeronDirectory());
        check(keys, "dataplane.deadPeerAfterMs", a.deadPeerAfterMs(), b.deadPeerAfterMs());
        signallingNeedingRestart(keys, running.signalling(), fresh.signalling());
        check(keys, "ice.stunServers", running.ice().stunServers(), fresh.ice().stunServers());
        check(keys, "ice.turnServer", running.ice().turn(), fresh.ice().turn());
        check(keys, "ice.directProbeMs", running.ice().directProbeMs(), fresh.ice().directProbeMs());
        check(keys, "ice.directProbeMaxMs", running.ice().directProbeMaxMs(), fresh.ice().directProbeMaxMs());
        // Every node of an overlay plans with the same values: one node changing alone would break paths.
        check(keys, "topology", running.topology(), fresh.topology());
        return keys;
    }

    /**
     * The running config with the reloadable keys of {@code fresh}: what the node runs with after the reload,
     * and what a restarted data plane is given.
     */
    static NodeConfig applied(NodeConfig running, NodeConfig fresh) {
        IceServersConfig ice = new IceServersConfig(running.ice().stunServers(), running.ice().turn(),
                fresh.ice().consentTimeoutMs(), running.ice().directProbeMs(), running.ice().directProbeMaxMs());
        return new NodeConfig(running.name(), running.privateKeyFile(), running.publicKey(), running.iface(),
                running.listen(), fresh.suite(), running.dataPlane(), fresh.peers(),
                appliedSignalling(running.signalling(), fresh.signalling()), ice, running.topology(),
                fresh.metrics(), fresh.log());
    }

    /**
     * Each overlay's entry as it runs on: the running one, with the revocation list and allowed groups of the
     * fresh entry of the same overlay at the same index (an entry whose overlay moved or vanished keeps all).
     */
    private static List<SignallingConfig> appliedSignalling(List<SignallingConfig> running,
                                                            List<SignallingConfig> fresh) {
        List<SignallingConfig> out = new ArrayList<>(running.size());
        for (int i = 0; i < running.size(); i++) {
            SignallingConfig r = running.get(i);
            SignallingConfig f = i < fresh.size() && fresh.get(i).overlay().equals(r.overlay()) ? fresh.get(i) : r;
            if (r.membership().isPresent() && f.membership().isPresent()) {
                MembershipConfig rm = r.membership().get();
                MembershipConfig fm = f.membership().get();
                r = new SignallingConfig(r.overlay(), r.server(), r.port(), r.account(), r.passwordFile(), r.room(),
                        r.tls(), r.serverCertificateFile(), r.connectTimeoutMs(), Optional.of(
                                new MembershipConfig(rm.certificateFile(), rm.caFile(), fm.crlFile(),
                                        fm.allowedGroups())));
            }
            out.add(r);
        }
        return out;
    }

    /** Every signalling key but an overlay's {@code crlFile} and {@code allowedGroups}, named by overlay. */
    private static void signallingNeedingRestart(List<String> keys, List<SignallingConfig> running,
                                                 List<SignallingConfig> fresh) {
        if (running.size() != fresh.size()) {
            keys.add("signalling (overlays added or removed)");
            return;
        }
        for (int i = 0; i < running.size(); i++) {
            SignallingConfig a = running.get(i);
            SignallingConfig b = fresh.get(i);
            String at = "signalling[" + i + "].";
            if (!a.overlay().equals(b.overlay())) {
                keys.add(at + "overlay");
                continue;
            }
            check(keys, at + "server", a.server(), b.server());
            check(keys, at + "port", a.port(), b.port());
            check(keys, at + "account", a.account(), b.account());
            check(keys, at + "passwordFile", a.passwordFile(), b.passwordFile());
            check(keys, at + "room", a.room(), b.room());
            check(keys, at + "tls", a.tls(), b.tls());
            check(keys, at + "serverCertificateFile", a.serverCertificateFile(), b.serverCertificateFile());
            check(keys, at + "connectTimeoutMs", a.connectTimeoutMs(), b.connectTimeoutMs());
            check(keys, at + "certificateFile", a.membership().map(MembershipConfig::certificateFile),
                    b.membership().map(MembershipConfig::certificateFile));
            check(keys, at + "caFile", a.membership().map(MembershipConfig::caFile),
                    b.membership().map(MembershipConfig::caFile));
        }
    }

    private static void check(List<String> keys, String key, Object a, Object b) {
        if (!Objects.equals(a, b)) {
            keys.add(key);
        }
    }
}
