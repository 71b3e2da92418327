package net.ipop.dataplane.pipeline;

import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import net.ipop.crypto.Suite;
import net.ipop.dataplane.session.PeerEndpoint;
import net.ipop.dataplane.session.PeerTable;
import net.ipop.dataplane.session.PeerTableHolder;
import net.ipop.ffm.testing.TestNamespace;
import net.ipop.ffm.tun.TunDevice;
import net.ipop.ffm.tun.TunOffload;
import net.ipop.ffm.udp.UdpSocket;
import net.ipop.ffm.uring.IoUring;
import net.ipop.ffm.uring.UringAvailability;
import org.agrona.concurrent.AgentRunner;
import org.junit.jupiter.api.Assumptions;

/**
 * One end of the test tunnel inside a namespace: TUN "ipop0" with the overlay addresses, a UDP
 * socket on the underlay, static session keys and a {@link PipelineAgent} on an
 * {@link AgentRunner} whose thread is started from inside the namespace.
 */
final class TunnelNode implements AutoCloseable {
    static final int MTU = 1420;
    static final int PORT = 51820;

    /** Which {@link PipelineIo} the pipeline runs on. */
    enum Engine {
        POLLING, URING
    }

    final TestNamespace ns;
    final List<Throwable> errors = new CopyOnWriteArrayList<>();
    private final TunDevice tun;
    private final UdpSocket socket;
    private final PipelineIo io;
    private final PeerEndpoint endpoint = new PeerEndpoint();
    final PipelineAgent agent;
    private final AgentRunner runner;
    private boolean stopped;
    /** The peer's inner bytes as the counters file would show them; read after {@link #stop()}. */
    final PeerBytes peerTraffic = new PeerBytes();

    /** Inner bytes sent to and received from the one peer (slot 0), counted on the pipeline thread. */
    static final class PeerBytes implements PathStats.PeerTraffic {
        long sent;
        long received;

        @Override
        public void sent(int peerSlot, int bytes) {
            sent += bytes;
        }

        @Override
        public void received(int peerSlot, int bytes) {
            received += bytes;
        }
    }

    /**
     * @param isA side A (overlay .1) or B (.2)
     */
    TunnelNode(TestNamespace ns, Engine engine, boolean isA, String underlay, String peerUnderlay) throws Exception {
        this(ns, engine, isA, underlay, peerUnderlay, MTU, MTU);
    }

    /**
     * @param tunMtu the TUN interface's MTU
     * @param pathMtu the pipeline's tunnel MTU; below {@code tunMtu} it makes the pipeline answer
     *                larger packets with ICMP errors
     */
    TunnelNode(TestNamespace ns, Engine engine, boolean isA, String underlay, String peerUnderlay, int tunMtu,
            int pathMtu) throws Exception {
        this(ns, engine, isA, underlay, new InetSocketAddress(peerUnderlay, PORT), null, tunMtu, pathMtu);
    }

    /** Through a TURN server: the peer is {@code peer} as the server sees it, reached on the server's channel. */
    record Relay(InetSocketAddress server, int channel) {
    }

    /**
     * @param peer  the peer's endpoint (with a {@code relay}: its address as the TURN server sees it)
     * @param relay how this node reaches the peer through its TURN allocation, or null for directly
     */
    TunnelNode(TestNamespace ns, Engine engine, boolean isA, String underlay, InetSocketAddress peer, Relay relay,
            int tunMtu, int pathMtu) throws Exception {
        if (engine == Engine.URING) {
            UringAvailability uring = IoUring.probe();
            Assumptions.assumeTrue(uring.available(), uring::reason);
        }
        this.ns = ns;
        String self = isA ? "1" : "2";
        String other = isA ? "2" : "1";
        tun = ns.call(() -> TunDevice.tun().name("ipop0").vnetHeader(true).offloads(TunOffload.ALL).open());
        try {
            ns.exec("ip", "link", "set", "ipop0", "mtu", Integer.toString(tunMtu));
            // No link-local address: keeps router solicitations and MLD off the tunnel (no route for them).
            ns.exec("ip", "link", "set", "ipop0", "addrgenmode", "none");
            ns.exec("ip", "addr", "add", "192.0.2." + self + "/24", "dev", "ipop0");
            ns.exec("ip", "-6", "addr", "add", "2001:db8::" + self + "/64", "dev", "ipop0", "nodad");
            ns.exec("ip", "link", "set", "ipop0", "up");
            socket = ns.call(() -> {
                UdpSocket s = UdpSocket.open(StandardProtocolFamily.INET);
                s.setGro(true);
                s.setBufferSizes(4 << 20, 4 << 20);
                s.bind(new InetSocketAddress(underlay, PORT));
                return s;
            });
            io = engine == Engine.URING ? new UringIo(tun.queue(0), true, socket)
                    : new PollingIo(tun.queue(0), true, socket);
            PeerTableHolder tables = new PeerTableHolder();
            PipelineAgent.Settings settings = new PipelineAgent.Settings(pathMtu, true, 16, 64);
            agent = new PipelineAgent(0, tables, io, settings, (b, o, l, s) -> { });
            List<String> peerNets = List.of("192.0.2." + other + "/32", "2001:db8::" + other + "/128");
            PeerTable table = StaticSessions.side(isA, Suite.AES256GCM, agent.scratch(), endpoint, peer, peerNets,
                    peerNets);
            if (relay != null) {
                endpoint.setRelayed(peer, relay.server(), relay.channel());
                table = new PeerTable.Builder(table).build();
            }
            tables.publish(table);
            agent.stats().countPeersInto(peerTraffic);
            runner = new AgentRunner(new PollIdleStrategy(io, 10), errors::add, null, agent);
            ns.call(() -> AgentRunner.startOnThread(runner));
        } catch (Exception | Error e) {
            close();
            throw e;
        }
    }

    /** io_uring_enter calls of the pipeline's ring; -1 when it runs on plain syscalls. */
    long uringEnters() {
        return io instanceof UringIo u ? u.enterCalls() : -1;
    }

    /** The I/O engine's own counters, for the test output. */
    String ioCounters() {
        return io instanceof UringIo u
                ? " io_uring_enter=" + u.enterCalls() + " readsRearmed=" + u.rearmedReads() + " readErrors="
                        + u.tunReadErrors()
                : "";
    }

    /** CPU time the pipeline thread has used so far, in nanoseconds. */
    long pipelineCpuNanos() {
        return ((com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean())
                .getThreadCpuTime(runner.thread().threadId());
    }

    /** Stops the pipeline thread (idempotent); afterwards the agent's stats are stable. */
    void stop() {
        if (!stopped && runner != null) {
            stopped = true;
            runner.close();
        }
    }

    @Override
    public void close() throws java.io.IOException {
        stop();
        if (io != null) {
            io.close();
        }
        if (socket != null) {
            socket.close();
        }
        tun.close();
        endpoint.close();
    }
}
