package net.ipop.control.ipc;

import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import org.agrona.concurrent.AgentRunner;
import org.agrona.concurrent.SleepingMillisIdleStrategy;
import org.agrona.concurrent.UnsafeBuffer;

import io.aeron.Publication;
import io.aeron.Subscription;
import net.ipop.dataplane.ipc.CommandAgent;
import net.ipop.dataplane.ipc.CommandListener;
import net.ipop.dataplane.ipc.DataPlaneDriver;
import net.ipop.dataplane.ipc.EventProxy;
import net.ipop.ipc.sbe.AddPeerDecoder;
import net.ipop.ipc.sbe.AddRouteDecoder;
import net.ipop.ipc.sbe.AddressFamily;
import net.ipop.ipc.sbe.ConfigureInterfaceDecoder;
import net.ipop.ipc.sbe.InjectPacketDecoder;
import net.ipop.ipc.sbe.InstallSessionDecoder;
import net.ipop.ipc.sbe.PathKind;
import net.ipop.ipc.sbe.QueryStateDecoder;
import net.ipop.ipc.sbe.RemovePeerDecoder;
import net.ipop.ipc.sbe.RemoveRouteDecoder;
import net.ipop.ipc.sbe.Result;
import net.ipop.ipc.sbe.RetireSessionDecoder;
import net.ipop.ipc.sbe.SetEndpointDecoder;

/**
 * A stand-in data plane for tests: the real driver, command agent and event proxy, answering every command
 * with OK and a text description of every field it decoded, and QueryState with {@link #PEERS} PeerStates.
 * {@link #main} runs it in a child JVM until killed.
 */
final class EchoDataPlane implements AutoCloseable {
    static final int PEERS = 3;
    static final String READY = "READY";

    private final DataPlaneDriver driver;
    private final Subscription commands;
    private final Publication events;
    private final AgentRunner runner;

    EchoDataPlane(Path directory) {
        driver = DataPlaneDriver.launch(directory);
        commands = driver.addCommandSubscription();
        events = driver.addEventPublication();
        CommandAgent agent = new CommandAgent(commands, new Echo(new EventProxy(events, 100)));
        runner = new AgentRunner(new SleepingMillisIdleStrategy(1), Throwable::printStackTrace, null, agent);
        AgentRunner.startOnThread(runner);
    }

    /** The event publication, for tests that send events themselves (through their own EventProxy). */
    Publication events() {
        return events;
    }

    @Override
    public void close() {
        runner.close();
        commands.close();
        events.close();
        driver.close();
    }

    /** Runs until killed: args[0] is the driver directory. */
    public static void main(String[] args) throws InterruptedException {
        EchoDataPlane echo = new EchoDataPlane(Path.of(args[0]));
        System.out.println(READY);
        System.out.flush();
        Thread.sleep(TimeUnit.MINUTES.toMillis(5)); // a safety net: the test kills it long before
        echo.close();
    }

    private static final class Echo implements CommandListener {
        private final EventProxy proxy;

        Echo(EventProxy proxy) {
            this.proxy = proxy;
        }

        @Override
        public void onConfigureInterface(ConfigureInterfaceDecoder command) {
            StringBuilder text = new StringBuilder("ConfigureInterface mtu ").append(command.mtu());
            byte[] address = new byte[16];
            for (ConfigureInterfaceDecoder.AddressesDecoder a : command.addresses()) {
                a.getAddress(address, 0, 16);
                text.append(' ').append(Describe.address(a.family(), address)).append('/').append(a.prefixLength());
            }
            ok(command.correlationId(), text.toString());
        }

        @Override
        public void onAddPeer(AddPeerDecoder command) {
            byte[] key = new byte[32];
            command.getStaticPublicKey(key, 0, 32);
            ok(command.correlationId(), "AddPeer " + command.peerId() + " " + command.suite() + " keepalive "
                    + command.keepaliveIntervalMs() + " key " + Describe.hex(key) + " name " + command.name());
        }

        @Override
        public void onRemovePeer(RemovePeerDecoder command) {
            ok(command.correlationId(), "RemovePeer " + command.peerId());
        }

        @Override
        public void onSetEndpoint(SetEndpointDecoder command) {
            int channel = command.channel();
            ok(command.correlationId(), "SetEndpoint " + command.peerId() + " " + Describe.endpoint(command.endpoint())
                    + " " + command.path() + (channel == 0 ? "" : " via " + Describe.endpoint(command.relayServer())
                    + " channel 0x" + Integer.toHexString(channel)));
        }

        @Override
        public void onInstallSession(InstallSessionDecoder command) {
            byte[] send = new byte[32];
            byte[] receive = new byte[32];
            command.getSendKey(send, 0, 32);
            command.getReceiveKey(receive, 0, 32);
            ok(command.correlationId(), "InstallSession " + command.peerId() + " local " + command.localIndex()
                    + " remote " + command.remoteIndex() + " " + command.suite() + " initiator " + command.initiator()
                    + " created " + command.createdAtNanos() + " send " + Describe.hex(send) + " receive "
                    + Describe.hex(receive));
        }

        @Override
        public void onRetireSession(RetireSessionDecoder command) {
            ok(command.correlationId(), "RetireSession " + command.peerId() + " local " + command.localIndex());
        }

        @Override
        public void onAddRoute(AddRouteDecoder command) {
            byte[] address = new byte[16];
            command.getAddress(address, 0, 16);
            ok(command.correlationId(), "AddRoute " + Describe.address(command.family(), address) + "/"
                    + command.prefixLength() + " via " + command.peerId());
        }

        @Override
        public void onRemoveRoute(RemoveRouteDecoder command) {
            byte[] address = new byte[16];
            command.getAddress(address, 0, 16);
            ok(command.correlationId(), "RemoveRoute " + Describe.address(command.family(), address) + "/"
                    + command.prefixLength());
        }

        @Override
        public void onInjectPacket(InjectPacketDecoder command) {
            long id = command.correlationId();
            String endpoint = Describe.endpoint(command.endpoint());
            UnsafeBuffer payload = new UnsafeBuffer(new byte[0]);
            command.wrapPayload(payload);
            ok(id, "InjectPacket " + endpoint + " payload " + Describe.payload(payload, 0, payload.capacity()));
        }

        @Override
        public void onQueryState(QueryStateDecoder command) {
            long id = command.correlationId();
            UnsafeBuffer address = new UnsafeBuffer(new byte[] {(byte) 198, 51, 100, 0});
            for (int peer = 1; peer <= PEERS; peer++) {
                address.putByte(3, (byte) peer);
                proxy.peerState(id, peer, AddressFamily.IPV4, address, 0, 51820 + peer, PathKind.DIRECT, 100 + peer,
                        1_000 * peer, 10 * peer, 20 * peer, peer, 2 * peer, 5_000 * peer);
            }
            proxy.stateDone(id, PEERS);
            ok(id, "QueryState");
        }

        private void ok(long correlationId, String detail) {
            proxy.commandResult(correlationId, Result.OK, detail);
        }
    }
}
