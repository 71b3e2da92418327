package net.ipop.control.node;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.BooleanSupplier;

import net.ipop.control.config.DataPlaneConfig;
import net.ipop.control.config.InterfaceConfig;
import net.ipop.control.config.ListenConfig;
import net.ipop.control.config.NodeConfig;
import net.ipop.control.config.PeerConfig;
import net.ipop.control.config.StaticPublicKey;
import net.ipop.crypto.Suite;
import net.ipop.crypto.cert.IpPrefix;
import net.ipop.crypto.noise.NoiseKeyPair;

/** Builds test nodes: configurations in the documentation ranges, keys, fake ports. */
final class Nodes {
    static final SecureRandom RANDOM = new SecureRandom();

    private Nodes() {
    }

    /**
     * Two fresh key pairs, the one with the smaller public key first: that side initiates at once at
     * start, the other defers ({@link StaticNode#START_DEFER_NANOS}), so tests know who goes first.
     */
    static NoiseKeyPair[] orderedPair() {
        NoiseKeyPair x = NoiseKeyPair.generate(RANDOM);
        NoiseKeyPair y = NoiseKeyPair.generate(RANDOM);
        return java.util.Arrays.compareUnsigned(x.publicKey(), y.publicKey()) < 0
                ? new NoiseKeyPair[] {x, y} : new NoiseKeyPair[] {y, x};
    }

    static InetSocketAddress endpoint(String address, int port) {
        try {
            return new InetSocketAddress(InetAddress.getByName(address), port);
        } catch (UnknownHostException e) {
            throw new AssertionError(e);
        }
    }

    /** A peer entry naming {@code key}, routed {@code allowed}, with an endpoint or none. */
    static PeerConfig peer(String name, NoiseKeyPair key, InetSocketAddress endpoint, String allowed, Suite suite) {
        return new PeerConfig(name, StaticPublicKey.of(key.publicKey()), Optional.ofNullable(endpoint),
                List.of(IpPrefix.parse(allowed)), 0, suite);
    }

    static NodeConfig config(String name, NoiseKeyPair key, String address, Suite suite, PeerConfig... peers) {
        InterfaceConfig iface = new InterfaceConfig("ipopt0", List.of(IpPrefix.parse(address)), 1420, 1);
        DataPlaneConfig dp = new DataPlaneConfig(DataPlaneConfig.IdleStrategy.BACKOFF, false, false,
                Path.of("/run/ipop/ipopt0.counters"),
                Path.of("/dev/shm/ipop-ipopt0"), DataPlaneConfig.DEFAULT_DEAD_PEER_AFTER_MS);
        return new NodeConfig(name, Path.of("/etc/ipop/" + name + ".key"), StaticPublicKey.of(key.publicKey()), iface,
                new ListenConfig(51820, Optional.empty()), suite, dp, new ArrayList<>(List.of(peers)));
    }

    /**
     * A topology that only says whether it wants links, the same for every peer, as {@code wants} says at each
     * ask; routes, rekeys and members are not the test's concern.
     */
    static LinkPolicy wanting(BooleanSupplier wants) {
        return new LinkPolicy() {
            @Override
            public void start(long nowNanos) {
            }

            @Override
            public boolean wantsLink(int peerId) {
                return wants.getAsBoolean();
            }

            @Override
            public void sessionInstalled(int peerId, long nowNanos) {
            }

            @Override
            public void rekeyDue(int peerId, long nowNanos) {
            }

            @Override
            public void memberChanged(int peerId, byte[] publicKey, List<IpPrefix> prefixes, long nowNanos) {
            }

            @Override
            public void memberRemoved(int peerId, long nowNanos) {
            }

            @Override
            public int doWork(long nowNanos) {
                return 0;
            }
        };
    }
}
