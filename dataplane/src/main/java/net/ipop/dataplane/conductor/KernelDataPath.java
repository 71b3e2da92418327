package net.ipop.dataplane.conductor;

import java.net.Inet6Address;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

import org.agrona.DirectBuffer;
import org.agrona.ErrorHandler;
import org.agrona.concurrent.AgentRunner;

import io.aeron.Publication;
import net.ipop.crypto.aead.AeadScratch;
import net.ipop.dataplane.pipeline.DropReason;
import net.ipop.dataplane.pipeline.PathStats;
import net.ipop.dataplane.pipeline.PipelineAgent;
import net.ipop.dataplane.pipeline.PollIdleStrategy;
import net.ipop.dataplane.pipeline.PipelineIo;
import net.ipop.dataplane.pipeline.UringIo;
import net.ipop.dataplane.stats.CountersFileWriter;
import net.ipop.dataplane.stats.PipelineCounters;
import net.ipop.dataplane.session.PeerTableHolder;
import net.ipop.ffm.libc.Errno;
import net.ipop.ffm.libc.ErrnoException;
import net.ipop.ffm.netlink.IpPrefix;
import net.ipop.ffm.netlink.Route;
import net.ipop.ffm.netlink.RtnetlinkClient;
import net.ipop.ffm.tun.TunDevice;
import net.ipop.ffm.tun.TunOffload;
import net.ipop.ffm.udp.MessageBatch;
import net.ipop.ffm.udp.UdpSocket;

/**
 * The real {@link DataPath}: one TUN device with virtio-net headers and offloads, one UDP socket bound to the
 * listen address, and one {@link PipelineAgent} on its own thread, idling in {@code poll(2)}.
 *
 * <p>One queue: sealers keep their nonce counter in a plain field, so a peer's sessions must belong to one
 * pipeline thread; with several queues the TUN would spread one peer's flows over queues and each would need
 * its own counter range in the sealer, which the crypto module does not offer yet. So every peer is served
 * by pipeline 0.
 *
 * <p>Interface setup goes through rtnetlink ({@link RtnetlinkClient}), never through {@code ip}. Everything
 * is made in the calling thread's network namespace. Threading: the conductor thread only.
 */
public final class KernelDataPath implements DataPath {
    /** How long an idle pipeline blocks in poll before it looks at its stop flag again. */
    static final int POLL_TIMEOUT_MS = 10;
    static final int SOCKET_BUFFER_BYTES = 4 << 20;

    private final String interfaceName;
    private final InetSocketAddress listen;
    private final PeerTableHolder tables;
    private final CountersFileWriter counters;
    private final Publication events;
    private final ErrorHandler errors;
    private RtnetlinkClient netlink;
    private TunDevice tun;
    private UdpSocket socket;
    private PipelineIo io;
    private PipelineAgent pipeline;
    private AgentRunner runner;
    private MessageBatch injectBatch;
    private int mtu;
    private final Set<IpPrefix> routes = new LinkedHashSet<>();

    /**
     * @param events the event publication punts go out on (shared, thread-safe)
     * @param errors receives what the pipeline thread throws
     */
    public KernelDataPath(String interfaceName, InetSocketAddress listen, PeerTableHolder tables,
            CountersFileWriter counters, Publication events, ErrorHandler errors) {
        this.interfaceName = interfaceName;
        this.listen = listen;
        this.tables = tables;
        this.counters = counters;
        this.events = events;
        this.errors = errors;
    }

    @Override
    public void configure(int mtu, List<IpPrefix> addresses) throws Exception {
        if (pipeline != null && mtu != this.mtu) {
            throw new IllegalArgumentException("the MTU is fixed while the pipelines run (" + this.mtu
                    + "); restart the data plane to change it to " + mtu);
        }
        if (pipeline == null) {
            start(mtu);
        }
        reconcile(addresses);
        netlink.linkUp(interfaceName);
        for (IpPrefix p : routes) {
            install(p);
        }
    }

    @Override
    public void addRoute(IpPrefix prefix) throws ErrnoException {
        if (pipeline != null) {
            install(prefix);
        }
        routes.add(prefix);
    }

    @Override
    public void removeRoute(IpPrefix prefix) throws ErrnoException {
        if (routes.remove(prefix) && pipeline != null) {
            try {
                netlink.removeRoute(prefix, interfaceName, null, Route.PROTO_IPOP);
            } catch (ErrnoException e) {
                if (!e.is(Errno.ESRCH)) {
                    throw e;
                }
            }
        }
    }

    private void install(IpPrefix prefix) throws ErrnoException {
        try {
            netlink.addRoute(prefix, interfaceName, null, Route.PROTO_IPOP);
        } catch (ErrnoException e) {
            if (!e.is(Errno.EEXIST)) {
                throw e;
            }
        }
    }

    private void start(int newMtu) throws Exception {
        try {
            netlink = RtnetlinkClient.open();
            tun = TunDevice.tun().name(interfaceName).vnetHeader(true).offloads(TunOffload.ALL).open();
            netlink.setMtu(interfaceName, newMtu);
            noKernelIpv6Addresses();
            socket = UdpSocket.open(listen.getAddress() instanceof Inet6Address
                    ? StandardProtocolFamily.INET6 : StandardProtocolFamily.INET);
            socket.setGro(true);
            socket.setBufferSizes(SOCKET_BUFFER_BYTES, SOCKET_BUFFER_BYTES);
            socket.bind(listen);
            injectBatch = new MessageBatch(1, MessageBatch.MAX_BUFFER_SIZE);
            boolean vnet = tun.vnetHeader();
            // io_uring when the kernel allows it; UringIo.open falls back to poll(2) otherwise.
            io = UringIo.open(tun.queue(0), vnet, socket);
            PipelineCounters queueCounters = counters.pipeline(0);
            PuntPublisher punt = new PuntPublisher(events, queueCounters, socket.localPort());
            pipeline = new PipelineAgent(0, tables, io, new PipelineAgent.Settings(newMtu, vnet, 16, 64), punt);
            pipeline.stats().countPeersInto(new PeerCounting(queueCounters));
            runner = new AgentRunner(new PollIdleStrategy(io, POLL_TIMEOUT_MS), errors, null,
                    new CountedPipeline(pipeline, queueCounters));
            mtu = newMtu;
            AgentRunner.startOnThread(runner);
        } catch (Exception | Error e) {
            close();
            throw e;
        }
    }

    /**
     * Before the link first goes up: no kernel-made IPv6 link-local address, so the kernel sends no router
     * solicitations, MLD reports or DAD probes into the overlay, which the pipeline would only count as NO_ROUTE
     * drops. Overlay IPv6 addresses from the configuration are added explicitly and still work. A link
     * without IPv6 (MTU below 1280) has nothing to stop.
     */
    private void noKernelIpv6Addresses() throws ErrnoException {
        try {
            netlink.setIpv6AddressGeneration(interfaceName, false);
        } catch (ErrnoException e) {
            if (!e.is(Errno.EAFNOSUPPORT)) {
                throw e;
            }
        }
    }

    /** Makes the interface's global addresses exactly {@code wanted}; kernel-made link-local ones stay. */
    private void reconcile(List<IpPrefix> wanted) throws ErrnoException {
        Set<IpPrefix> present = new HashSet<>(netlink.addresses(interfaceName));
        for (IpPrefix p : present) {
            if (!p.address().isLinkLocalAddress() && !wanted.contains(p)) {
                netlink.removeAddress(interfaceName, p);
            }
        }
        for (IpPrefix p : wanted) {
            if (!present.contains(p)) {
                netlink.addAddress(interfaceName, p, true);
            }
        }
    }

    @Override
    public boolean configured() {
        return pipeline != null;
    }

    @Override
    public AeadScratch scratch(int peerSlot) {
        if (pipeline == null) {
            throw new IllegalStateException("no pipeline before ConfigureInterface");
        }
        return pipeline.scratch();
    }

    @Override
    public void inject(InetSocketAddress to, DirectBuffer payload, int offset, int length) throws Exception {
        if (socket == null) {
            throw new IllegalStateException("no socket before ConfigureInterface");
        }
        if (length > injectBatch.bufferSize()) {
            throw new IllegalArgumentException("payload of " + length + " bytes exceeds " + injectBatch.bufferSize());
        }
        payload.getBytes(offset, injectBatch.buffer(0).asByteBuffer(), 0, length);
        injectBatch.setLength(0, length);
        injectBatch.setSegmentSize(0, 0);
        injectBatch.remote(0).set(to);
        injectBatch.local(0).clear();
        // sendmmsg on the pipeline's socket from this thread is safe: the kernel serialises sends per socket.
        socket.send(injectBatch, 0, 1);
    }

    @Override
    public void close() {
        if (runner != null) {
            runner.close();
            runner = null;
        }
        pipeline = null;
        if (io != null) {
            io.close();
            io = null;
        }
        if (injectBatch != null) {
            injectBatch.close();
            injectBatch = null;
        }
        try {
            if (socket != null) {
                socket.close();
            }
            if (tun != null) {
                tun.close();
            }
            if (netlink != null) {
                netlink.close();
            }
        } catch (ErrnoException e) {
            errors.onError(e);
        } finally {
            socket = null;
            tun = null;
            netlink = null;
        }
    }

    /** Per-peer traffic and drops into this pipeline's counters file records; pipeline thread. */
    private static final class PeerCounting implements PathStats.PeerTraffic {
        /** Pipeline drop reason (by ordinal) to the counters file's; a shared immutable table. */
        private static final net.ipop.ipc.counters.DropReason[] FILE_REASON = CountedPipeline.mapReasons();

        private final PipelineCounters counters;

        PeerCounting(PipelineCounters counters) {
            this.counters = counters;
        }

        @Override
        public void sent(int peerSlot, int bytes) {
            counters.peerSent(peerSlot, bytes);
        }

        @Override
        public void received(int peerSlot, int bytes) {
            counters.peerReceived(peerSlot, bytes);
        }

        @Override
        public void dropped(int peerSlot, DropReason reason) {
            counters.peerDropped(peerSlot, FILE_REASON[reason.ordinal()]);
        }
    }
}
