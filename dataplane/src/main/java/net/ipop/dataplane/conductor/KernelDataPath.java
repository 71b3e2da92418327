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
import net.ipop.dataplane.pipeline.PipelineIdle;
import net.ipop.dataplane.pipeline.PipelineIo;
import net.ipop.dataplane.pipeline.PollingIo;
import net.ipop.dataplane.pipeline.UringIo;
import net.ipop.dataplane.stats.CountersFileWriter;
import net.ipop.dataplane.stats.PipelineCounters;
import net.ipop.dataplane.session.PeerTableHolder;
import net.ipop.dataplane.session.Session;
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
 * The real {@link DataPath}: one TUN device with {@code queues} queues (by default with virtio-net headers and
 * offloads, the socket with UDP GSO and GRO), one UDP socket bound to the listen address, and one
 * {@link PipelineAgent} per TUN queue, each on its own thread, idling as {@link PipelineIdle} says: by default in
 * {@code io_uring_enter} (or {@code poll(2)} where io_uring is refused or turned off).
 *
 * <p>Several queues: the kernel spreads the flows leaving through the TUN device over its queues by flow hash,
 * so one peer's flows may reach several pipelines; it also moves a flow to the queue its packets in the other
 * direction are written on, which is pipeline 0's (docs/architecture.md, "Several queues"). Each pipeline seals with its own sealer of the peer's session
 * (its own cipher context), and the sealers share the session's counter, reserved per TUN read with one atomic
 * update ({@link Session}): no nonce repeats. All pipelines send on the one socket (the kernel serialises sends
 * on it; a socket per queue with {@code SO_REUSEPORT} would spread the replies over sockets by 4-tuple, and an
 * attacker's replay from another source port would reach another thread's replay window). Pipeline 0 alone
 * receives and opens: a session's replay window has one thread. So more queues add sealing threads, not
 * receiving ones.
 *
 * <p>Interface setup goes through rtnetlink ({@link RtnetlinkClient}), never through {@code ip}. Everything
 * is made in the calling thread's network namespace. Threading: the conductor thread only.
 */
public final class KernelDataPath implements DataPath {
    static final int SOCKET_BUFFER_BYTES = 4 << 20;

    /** TUN reads per pipeline cycle and UDP slots per batch. */
    static final int TUN_BATCH = 16;
    static final int UDP_BATCH = 64;

    private final String interfaceName;
    private final int queues;
    private final PipelineIdle idle;
    private final boolean ioUring;
    private final boolean offloads;
    private final InetSocketAddress listen;
    private final PeerTableHolder tables;
    private final CountersFileWriter counters;
    private final Publication events;
    private final ErrorHandler errors;
    private RtnetlinkClient netlink;
    private TunDevice tun;
    private UdpSocket socket;
    private PipelineIo[] ios = new PipelineIo[0];
    private PipelineAgent[] pipelines;
    private AeadScratch[] sealScratches;
    private AgentRunner[] runners = new AgentRunner[0];
    private MessageBatch injectBatch;
    private int mtu;
    private final Set<IpPrefix> routes = new LinkedHashSet<>();

    /**
     * @param events the event publication punts go out on (shared, thread-safe)
     * @param errors receives what the pipeline thread throws
     */
    public KernelDataPath(String interfaceName, InetSocketAddress listen, PeerTableHolder tables,
            CountersFileWriter counters, Publication events, ErrorHandler errors) {
        this(interfaceName, 1, PipelineIdle.POLL, true, true, listen, tables, counters, events, errors);
    }

    /**
     * @param queues TUN queues, one pipeline each (1..the counters file's pipelines); fewer run if the kernel
     *     refuses a multi-queue device
     * @param idle what a pipeline thread does after a cycle without packets
     * @param ioUring whether the pipelines batch TUN reads through io_uring where the kernel allows it (false:
     *     plain {@code readv}, {@link PollingIo})
     * @param offloads whether the TUN device has virtio-net headers and offloads and the socket uses UDP GSO and
     *     GRO (false: one packet per TUN read or write and one datagram per send slot and received slot)
     * @param events the event publication punts go out on (shared, thread-safe)
     * @param errors receives what the pipeline threads throw
     */
    public KernelDataPath(String interfaceName, int queues, PipelineIdle idle, boolean ioUring, boolean offloads,
            InetSocketAddress listen, PeerTableHolder tables, CountersFileWriter counters, Publication events,
            ErrorHandler errors) {
        if (queues < 1 || queues > counters.queues()) {
            throw new IllegalArgumentException("queues must be 1.." + counters.queues() + " (the counters file's "
                    + "pipelines): " + queues);
        }
        this.queues = queues;
        this.idle = idle;
        this.ioUring = ioUring;
        this.offloads = offloads;
        this.interfaceName = interfaceName;
        this.listen = listen;
        this.tables = tables;
        this.counters = counters;
        this.events = events;
        this.errors = errors;
    }

    @Override
    public void configure(int mtu, List<IpPrefix> addresses) throws Exception {
        if (pipelines != null && mtu != this.mtu) {
            throw new IllegalArgumentException("the MTU is fixed while the pipelines run (" + this.mtu
                    + "); restart the data plane to change it to " + mtu);
        }
        if (pipelines == null) {
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
        if (pipelines != null) {
            install(prefix);
        }
        routes.add(prefix);
    }

    @Override
    public void removeRoute(IpPrefix prefix) throws ErrnoException {
        if (routes.remove(prefix) && pipelines != null) {
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
            tun = TunDevice.tun().name(interfaceName).vnetHeader(offloads).offloads(offloads ? TunOffload.ALL : 0)
                    .queues(queues).open();
            netlink.setMtu(interfaceName, newMtu);
            noKernelIpv6Addresses();
            socket = UdpSocket.open(listen.getAddress() instanceof Inet6Address
                    ? StandardProtocolFamily.INET6 : StandardProtocolFamily.INET);
            socket.setGro(offloads);
            socket.setBufferSizes(SOCKET_BUFFER_BYTES, SOCKET_BUFFER_BYTES);
            socket.bind(listen);
            injectBatch = new MessageBatch(1, MessageBatch.MAX_BUFFER_SIZE);
            boolean vnet = tun.vnetHeader();
            // UDP super-packets into the TUN: a kernel that grants USO (6.2+) also takes GSO_UDP_L4 frames.
            boolean udpCoalescing = vnet && tun.hasOffloads(TunOffload.USO4 | TunOffload.USO6);
            int n = tun.queueCount();
            ios = new PipelineIo[n];
            PipelineAgent[] agents = new PipelineAgent[n];
            runners = new AgentRunner[n];
            sealScratches = new AeadScratch[n];
            for (int q = 0; q < n; q++) {
                boolean receives = q == 0;
                // io_uring when asked and the kernel allows it; UringIo.open falls back to poll(2) otherwise.
                ios[q] = ioUring ? UringIo.open(tun.queue(q), vnet, socket, receives)
                        : new PollingIo(tun.queue(q), vnet, socket, receives);
                PipelineCounters queueCounters = counters.pipeline(q);
                PuntPublisher punt = new PuntPublisher(events, queueCounters, socket.localPort());
                agents[q] = new PipelineAgent(q, tables, ios[q],
                        new PipelineAgent.Settings(newMtu, vnet, TUN_BATCH, UDP_BATCH, receives, offloads,
                                udpCoalescing), punt);
                agents[q].stats().countPeersInto(new PeerCounting(queueCounters));
                sealScratches[q] = agents[q].scratch();
                runners[q] = new AgentRunner(idle.create(ios[q]), errors, null,
                        new CountedPipeline(agents[q], queueCounters));
            }
            mtu = newMtu;
            pipelines = agents;
            for (AgentRunner r : runners) {
                AgentRunner.startOnThread(r);
            }
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
        return pipelines != null;
    }

    /** Pipeline 0's: it alone receives, so it opens every session. */
    @Override
    public AeadScratch scratch(int peerSlot) {
        if (pipelines == null) {
            throw new IllegalStateException("no pipeline before ConfigureInterface");
        }
        return pipelines[0].scratch();
    }

    /** Every pipeline's, in queue order: each seals with its own sealer of every session. */
    @Override
    public AeadScratch[] sealScratches(int peerSlot) {
        if (pipelines == null) {
            throw new IllegalStateException("no pipeline before ConfigureInterface");
        }
        return sealScratches.clone();
    }

    /** Pipelines running (TUN queues the kernel gave), 0 before ConfigureInterface. */
    public int pipelines() {
        return pipelines == null ? 0 : pipelines.length;
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
        for (AgentRunner r : runners) {
            if (r != null) {
                r.close();
            }
        }
        runners = new AgentRunner[0];
        pipelines = null;
        for (PipelineIo io : ios) {
            if (io != null) {
                io.close();
            }
        }
        ios = new PipelineIo[0];
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

    /** Per-peer traffic and drops into a pipeline's counters file records; that pipeline's thread. */
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
