package net.ipop.dataplane.ipc;

import net.ipop.ipc.sbe.AddPeerDecoder;
import net.ipop.ipc.sbe.AddRouteDecoder;
import net.ipop.ipc.sbe.ConfigureInterfaceDecoder;
import net.ipop.ipc.sbe.InjectPacketDecoder;
import net.ipop.ipc.sbe.InstallSessionDecoder;
import net.ipop.ipc.sbe.QueryStateDecoder;
import net.ipop.ipc.sbe.RemovePeerDecoder;
import net.ipop.ipc.sbe.RemoveRouteDecoder;
import net.ipop.ipc.sbe.RetireSessionDecoder;
import net.ipop.ipc.sbe.SetEndpointDecoder;
import net.ipop.ipc.sbe.SetTrafficReportDecoder;

/**
 * What the data plane does with each command from the control plane; called by {@link CommandAdapter}.
 *
 * <p>Buffer ownership: every decoder is a flyweight <em>borrowed</em> for the duration of the call only. It
 * points into Aeron's term buffer (or the reassembly buffer), and is rewrapped for the next message; copy out
 * whatever must outlive the call (keys, names, payload bytes). Var-length fields must be read in schema order.
 *
 * <p>Threading: called on the thread that polls the command subscription (the {@link CommandAgent}'s).
 * Every command carries a {@code correlationId}; the data plane answers each with one
 * {@link EventProxy#commandResult} (and {@link QueryStateDecoder QueryState} first with its
 * {@link EventProxy#peerState PeerState}s and {@link EventProxy#stateDone StateDone}).
 */
public interface CommandListener {
    void onConfigureInterface(ConfigureInterfaceDecoder command);

    void onAddPeer(AddPeerDecoder command);

    void onRemovePeer(RemovePeerDecoder command);

    void onSetEndpoint(SetEndpointDecoder command);

    void onInstallSession(InstallSessionDecoder command);

    void onRetireSession(RetireSessionDecoder command);

    void onAddRoute(AddRouteDecoder command);

    void onRemoveRoute(RemoveRouteDecoder command);

    void onInjectPacket(InjectPacketDecoder command);

    void onQueryState(QueryStateDecoder command);

    /**
     * Turns traffic reports for on-demand links on or off (schema version 3). The default ignores the command
     * (listeners that only watch commands, in tests); the {@code Conductor} answers it like every other.
     */
    default void onSetTrafficReport(SetTrafficReportDecoder command) {
    }
}
