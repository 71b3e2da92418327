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

/** A listener that fails on every command; tests override the ones they expect. */
class NoCommands implements CommandListener {
    private static void unexpected(String command) {
        throw new AssertionError("unexpected command " + command);
    }

    @Override
    public void onConfigureInterface(ConfigureInterfaceDecoder command) {
        unexpected("ConfigureInterface");
    }

    @Override
    public void onAddPeer(AddPeerDecoder command) {
        unexpected("AddPeer");
    }

    @Override
    public void onRemovePeer(RemovePeerDecoder command) {
        unexpected("RemovePeer");
    }

    @Override
    public void onSetEndpoint(SetEndpointDecoder command) {
        unexpected("SetEndpoint");
    }

    @Override
    public void onInstallSession(InstallSessionDecoder command) {
        unexpected("InstallSession");
    }

    @Override
    public void onRetireSession(RetireSessionDecoder command) {
        unexpected("RetireSession");
    }

    @Override
    public void onAddRoute(AddRouteDecoder command) {
        unexpected("AddRoute");
    }

    @Override
    public void onRemoveRoute(RemoveRouteDecoder command) {
        unexpected("RemoveRoute");
    }

    @Override
    public void onInjectPacket(InjectPacketDecoder command) {
        unexpected("InjectPacket");
    }

    @Override
    public void onQueryState(QueryStateDecoder command) {
        unexpected("QueryState");
    }
}
