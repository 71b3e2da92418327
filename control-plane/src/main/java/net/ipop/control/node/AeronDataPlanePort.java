package net.ipop.control.node;

import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;

import org.agrona.concurrent.UnsafeBuffer;

import net.ipop.control.ipc.CommandProxy;
import net.ipop.control.ipc.OverlayAddress;
import net.ipop.crypto.Suite;
import net.ipop.crypto.cert.IpPrefix;
import net.ipop.crypto.noise.SessionKeys;
import net.ipop.ipc.Offers;
import net.ipop.ipc.sbe.PathKind;
import net.ipop.ipc.sbe.RouteKind;

/**
 * The data plane as a {@link StaticNode} sees it in production: every call becomes one SBE command
 * sent through a {@link CommandProxy} (usually {@code DataPlaneConnection.commands()}) without
 * waiting for its CommandResult. A command that could not be delivered (the proxy's bounded retries
 * ran out) is counted in {@link #notDelivered()} and logged on the first failure after a success,
 * not per command.
 *
 * <p>Events travel the other way through {@link NodeEvents}. Threading: the proxy's thread only.
 */
public final class AeronDataPlanePort implements DataPlanePort {
    private static final Logger LOG = System.getLogger(AeronDataPlanePort.class.getName());

    private final CommandProxy commands;
    private final UnsafeBuffer payload = new UnsafeBuffer(new byte[0]);
    private long notDelivered;
    private boolean failing;

    public AeronDataPlanePort(CommandProxy commands) {
        this.commands = commands;
    }

    @Override
    public void configureInterface(int mtu, List<IpPrefix> addresses) {
        List<OverlayAddress> list = new ArrayList<>(addresses.size());
        for (IpPrefix a : addresses) {
            list.add(new OverlayAddress(a.inetAddress(), a.prefixLength()));
        }
        sent(commands.configureInterface(mtu, list), "ConfigureInterface");
    }

    @Override
    public void addPeer(int peerId, String name, Suite suite, int keepaliveMs, byte[] staticKey) {
        sent(commands.addPeer(Integer.toUnsignedLong(peerId), suite(suite), Integer.toUnsignedLong(keepaliveMs),
                staticKey, name), "AddPeer");
    }

    @Override
    public void removePeer(int peerId) {
        sent(commands.removePeer(Integer.toUnsignedLong(peerId)), "RemovePeer");
    }

    @Override
    public void setEndpoint(int peerId, InetSocketAddress endpoint) {
        sent(commands.setEndpoint(Integer.toUnsignedLong(peerId), endpoint, PathKind.DIRECT), "SetEndpoint");
    }

    @Override
    public void setRelayedEndpoint(int peerId, InetSocketAddress turnServer, int channel,
            InetSocketAddress peerRelayed) {
        sent(commands.setEndpoint(Integer.toUnsignedLong(peerId), peerRelayed, PathKind.RELAYED, turnServer,
                channel), "SetEndpoint");
    }

    @Override
    public void addRoute(IpPrefix prefix, int peerId) {
        sent(commands.addRoute(prefix.inetAddress(), prefix.prefixLength(), Integer.toUnsignedLong(peerId)),
                "AddRoute");
    }

    @Override
    public void addRoute(IpPrefix prefix, int peerId, RouteKind kind) {
        sent(commands.addRoute(prefix.inetAddress(), prefix.prefixLength(), Integer.toUnsignedLong(peerId), kind),
                "AddRoute");
    }

    @Override
    public void removeRoute(IpPrefix prefix, RouteKind kind, int peerId) {
        sent(commands.removeRoute(prefix.inetAddress(), prefix.prefixLength(), kind, Integer.toUnsignedLong(peerId)),
                "RemoveRoute");
    }

    @Override
    public void removeRoute(IpPrefix prefix) {
        sent(commands.removeRoute(prefix.inetAddress(), prefix.prefixLength()), "RemoveRoute");
    }

    @Override
    public void installSession(int peerId, SessionKeys keys) {
        sent(commands.installSession(Integer.toUnsignedLong(peerId), Integer.toUnsignedLong(keys.localIndex()),
                Integer.toUnsignedLong(keys.remoteIndex()), suite(keys.suite()), keys.initiator(),
                keys.createdNanos(), keys.sendKey(), keys.receiveKey()), "InstallSession");
    }

    @Override
    public void retireSession(int peerId, int localIndex) {
        sent(commands.retireSession(Integer.toUnsignedLong(peerId), Integer.toUnsignedLong(localIndex)),
                "RetireSession");
    }

    @Override
    public void inject(InetSocketAddress to, byte[] bytes, int off, int len) {
        payload.wrap(bytes, off, len);
        sent(commands.injectPacket(to, payload, 0, len), "InjectPacket");
    }

    @Override
    public void setTrafficReport(long thresholdBytes, int intervalMs) {
        sent(commands.setTrafficReport(thresholdBytes, intervalMs), "SetTrafficReport");
    }

    /** Commands this port could not deliver so far. */
    public long notDelivered() {
        return notDelivered;
    }

    /** The IPC schema's suite for a crypto suite (the two enums are kept apart so crypto needs no IPC). */
    static net.ipop.ipc.sbe.Suite suite(Suite suite) {
        return switch (suite) {
            case AES256GCM -> net.ipop.ipc.sbe.Suite.AES256GCM;
            case CHACHA20POLY1305 -> net.ipop.ipc.sbe.Suite.CHACHA20POLY1305;
        };
    }

    private void sent(long correlationId, String command) {
        if (correlationId != CommandProxy.NOT_SENT) {
            failing = false;
            return;
        }
        notDelivered++;
        if (!failing) {
            failing = true;
            LOG.log(Level.WARNING, "{0} not delivered to the data plane: {1} (further failures are counted)",
                    command, Offers.describe(commands.lastFailure()));
        }
    }
}
