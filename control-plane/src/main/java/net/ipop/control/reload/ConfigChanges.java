package net.ipop.control.reload;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

import net.ipop.control.config.DataPlaneConfig;
import net.ipop.control.config.NodeConfig;

/**
 * Which keys differ between the running config and a reloaded one, split into those a reload applies (peers,
 * {@code suite} through the peers it sets, {@code log}, {@code metrics}) and those that need a restart: the
 * interface, the listening socket, the node's identity and the data plane's settings are fixed when the data
 * plane starts, and signalling accounts when their connections open.
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
        check(keys, "dataplane.threading", a.threading(), b.threading());
        check(keys, "dataplane.ioUring", a.ioUring(), b.ioUring());
        check(keys, "dataplane.offloads", a.offloads(), b.offloads());
        check(keys, "dataplane.countersFile", a.countersFile(), b.countersFile());
        check(keys, "dataplane.aeronDirectory", a.aeronDirectory(), b.aeronDirectory());
        check(keys, "dataplane.deadPeerAfterMs", a.deadPeerAfterMs(), b.deadPeerAfterMs());
        check(keys, "signalling", running.signalling(), fresh.signalling());
        check(keys, "ice", running.ice(), fresh.ice());
        // Every node of an overlay plans with the same values: one node changing alone would break paths.
        check(keys, "topology", running.topology(), fresh.topology());
        return keys;
    }

    /**
     * The running config with the reloadable keys of {@code fresh}: what the node runs with after the reload,
     * and what a restarted data plane is given.
     */
    static NodeConfig applied(NodeConfig running, NodeConfig fresh) {
        return new NodeConfig(running.name(), running.privateKeyFile(), running.publicKey(), running.iface(),
                running.listen(), fresh.suite(), running.dataPlane(), fresh.peers(), running.signalling(),
                running.ice(), running.topology(), fresh.metrics(), fresh.log());
    }

    private static void check(List<String> keys, String key, Object a, Object b) {
        if (!Objects.equals(a, b)) {
            keys.add(key);
        }
    }
}
