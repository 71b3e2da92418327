package net.ipop.dataplane.pipeline;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import net.ipop.crypto.aead.AeadScratch;
import net.ipop.dataplane.session.PeerTable;
import net.ipop.dataplane.session.PeerTableHolder;
import net.ipop.ffm.tun.VirtioNetHeader;
import net.ipop.ffm.udp.MessageBatch;
import org.agrona.concurrent.Agent;
import org.agrona.concurrent.NanoClock;
import org.agrona.concurrent.SystemNanoClock;

/**
 * One pipeline: TUN queue <i>i</i> and UDP socket <i>i</i>, both directions, on one thread. A
 * cycle loads the current {@link PeerTable} snapshot once (acquire), reads up to
 * {@code tunBatch} packets from the TUN and runs them through the {@link OutboundPath} (which sends),
 * then receives one batch from the socket and runs the {@link InboundPath} (whose {@link Forwarder}
 * relays packets routed to another peer through the same send batcher), then queues the
 * {@link Keepalives} that are due. It returns the number of packets and datagrams handled, so the
 * runner's idle strategy ({@link PollIdleStrategy}) can block in {@code poll} when there was
 * nothing; the idle timeout bounds how late a keepalive leaves. The clock is read once per cycle.
 *
 * <p>Sessions must be built with this pipeline's {@link #scratch()} among their sealing scratches,
 * at this pipeline's queue index, and, if this pipeline receives, as their opening scratch (see
 * {@link net.ipop.dataplane.session.Session}): each thread then has its own cipher contexts, the
 * sealers share the session's counter, and one thread opens.
 *
 * <p>Ownership: the agent owns its buffers and batches (freed in {@link #onClose()}, on the agent
 * thread when the runner stops); the {@link PipelineIo} and what it wraps are borrowed and closed
 * by their owner after the runner stopped. {@link #stats()} may be read after the runner stopped.
 */
public final class PipelineAgent implements Agent {
    private final String roleName;
    private final PeerTableHolder tables;
    private final PipelineIo io;
    /** Whether this pipeline receives from the UDP socket (one pipeline does; see {@link Settings}). */
    private final boolean receives;
    private final PathStats stats = new PathStats();
    private final AeadScratch scratch = new AeadScratch();
    private final Arena arena = Arena.ofShared();
    private final MemorySegment[] tunBuffers;
    private final int[] tunLengths;
    private final MessageBatch sendBatch;
    private final MessageBatch receiveBatch;
    private final OutboundPath outbound;
    private final InboundPath inbound;
    private final Keepalives keepalives;
    private final Forwarder forwarder;
    private final NanoClock clock;
    /** Inbound TCP (and UDP) coalescing into GSO super-packets; null without virtio-net headers. */
    private final TunCoalescer coalescer;

    /**
     * @param queue the queue index, for the role name
     * @param settings MTU, TUN header mode, batch sizes
     * @param punt where handshake and STUN datagrams go
     */
    public PipelineAgent(int queue, PeerTableHolder tables, PipelineIo io, Settings settings, Punt punt) {
        this(queue, tables, io, settings, punt, new SystemNanoClock());
    }

    /** As the other constructor, with the clock that stamps liveness and times keepalives (tests: a fake). */
    public PipelineAgent(int queue, PeerTableHolder tables, PipelineIo io, Settings settings, Punt punt,
                         NanoClock clock) {
        this.clock = clock;
        this.roleName = "pipeline-" + queue;
        this.tables = tables;
        this.io = io;
        int readSize = (settings.vnetHeader() ? VirtioNetHeader.SIZE : 0) + 65535;
        this.tunBuffers = new MemorySegment[settings.tunBatch()];
        this.tunLengths = new int[settings.tunBatch()];
        for (int i = 0; i < tunBuffers.length; i++) {
            tunBuffers[i] = arena.allocate(readSize, 64);
        }
        this.receives = settings.receives();
        this.sendBatch = new MessageBatch(settings.udpBatch(), MessageBatch.MAX_BUFFER_SIZE);
        // A pipeline that does not receive keeps a token batch: 64 x 64 KiB is not worth holding idle.
        this.receiveBatch = receives ? new MessageBatch(settings.udpBatch(), MessageBatch.MAX_BUFFER_SIZE)
                : new MessageBatch(1, 1);
        this.outbound = new OutboundPath(queue, stats, settings.mtu(), settings.vnetHeader(), io, io, sendBatch,
                settings.gso());
        this.coalescer = settings.vnetHeader() ? new TunCoalescer(io, stats, settings.udpCoalescing()) : null;
        this.forwarder = new Forwarder(stats, outbound.batcher());
        this.inbound = new InboundPath(stats, coalescer != null ? coalescer : io, punt, forwarder);
        this.keepalives = new Keepalives(stats, outbound.batcher(), scratch);
    }

    /**
     * Pipeline settings.
     *
     * @param mtu tunnel MTU in bytes
     * @param vnetHeader whether the TUN device has virtio-net headers
     * @param tunBatch TUN reads per cycle
     * @param udpBatch slots per send and receive batch
     * @param receives whether this pipeline receives from the UDP socket and runs the inbound path.
     *     With several queues only pipeline 0 does: every session's opener (its replay window) then
     *     has one thread; the others read their TUN queue and send on the shared socket.
     * @param gso whether datagrams to one peer leave grouped in UDP GSO sends (false: one per slot)
     * @param udpCoalescing whether received UDP datagrams of one flow go to the TUN as UDP super-packets
     *     ({@link TunCoalescer}): only when the device granted USO, i.e. the kernel takes them
     */
    public record Settings(int mtu, boolean vnetHeader, int tunBatch, int udpBatch, boolean receives, boolean gso,
                           boolean udpCoalescing) {
        public Settings {
            if (tunBatch < 1 || udpBatch < 1 || udpBatch > MessageBatch.MAX_CAPACITY) {
                throw new IllegalArgumentException("tunBatch must be >= 1 and udpBatch 1.."
                        + MessageBatch.MAX_CAPACITY + ": " + tunBatch + ", " + udpBatch);
            }
        }

        /**
         * A pipeline that receives (the only one, or pipeline 0), sending with UDP GSO; with virtio-net headers
         * it coalesces UDP too (the device must have USO).
         */
        public Settings(int mtu, boolean vnetHeader, int tunBatch, int udpBatch) {
            this(mtu, vnetHeader, tunBatch, udpBatch, true, true, vnetHeader);
        }
    }

    @Override
    public int doWork() throws Exception {
        PeerTable table = tables.acquire();
        long now = clock.nanoTime();
        int read = io.readTun(tunBuffers, tunLengths, tunBuffers.length);
        if (read > 0) {
            outbound.begin(table, now);
            for (int i = 0; i < read; i++) {
                outbound.process(tunBuffers[i], tunLengths[i]);
            }
            outbound.flush();
        }
        int received = receives ? io.receive(receiveBatch) : 0;
        if (received > 0) {
            inbound.process(table, receiveBatch, received, now);
        }
        int sentKeepalives = keepalives.run(table, now);
        if (sentKeepalives > 0) {
            outbound.flush();
        }
        return read + received + sentKeepalives;
    }

    /**
     * The crypto scratch of this pipeline's thread: the conductor builds the sessions this pipeline
     * serves with it (construction only stores the reference; the pipeline thread does the work).
     */
    public AeadScratch scratch() {
        return scratch;
    }

    /** The pipeline's counters: read them after the runner stopped (plain fields). */
    public PathStats stats() {
        return stats;
    }

    @Override
    public void onClose() {
        keepalives.close();
        forwarder.close();
        outbound.close();
        if (coalescer != null) {
            coalescer.close();
        }
        sendBatch.close();
        receiveBatch.close();
        arena.close();
        scratch.wipe();
    }

    @Override
    public String roleName() {
        return roleName;
    }
}
