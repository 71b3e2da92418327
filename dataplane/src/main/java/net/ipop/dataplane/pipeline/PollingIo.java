package net.ipop.dataplane.pipeline;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import net.ipop.dataplane.packet.PartialChecksum;
import net.ipop.ffm.libc.ErrnoException;
import net.ipop.ffm.libc.Libc;
import net.ipop.ffm.tun.TunQueue;
import net.ipop.ffm.tun.VirtioNetHeader;
import net.ipop.ffm.udp.MessageBatch;
import net.ipop.ffm.udp.UdpSocket;

/**
 * {@link PipelineIo} over plain non-blocking syscalls: {@code read}/{@code write} on the TUN
 * queue, {@code recvmmsg}/{@code sendmmsg} on the socket, {@code poll(2)} on both to idle. The
 * first, simplest I/O engine; io_uring replaces it later.
 *
 * <p>TUN writes go through one buffer of ours: the packet is copied behind a zeroed virtio-net
 * header (when the device has one), because a write starts at the segment's first byte and
 * slicing the caller's buffer per packet would allocate; {@link #writePartial} sets that header's
 * {@code F_NEEDS_CSUM} and checksum offsets for the one write. Frames from the inbound coalescer
 * ({@link #writeFrame}) already carry their header and go out as they are.
 *
 * <p>Sending: a slot the kernel refuses ({@code EMSGSIZE}, {@code ENETUNREACH}, ...) is dropped
 * and the rest of the batch goes on. When the socket buffer is full it waits for room once, up to
 * {@value #SEND_WAIT_MS} ms, then drops the remainder; the caller counts drops, per peer for the
 * slots {@link #refused} names. Segments a GSO fallback dropped part-way through a slot are in the
 * returned count but in no refused slot (the slot itself went out).
 *
 * <p>Ownership: the TUN queue and socket are borrowed (their owner closes them after the
 * pipeline stopped); this object owns its buffers, freed by {@link #close()}. Pipeline thread only.
 */
public final class PollingIo implements PipelineIo {
    static final int SEND_WAIT_MS = 5;
    /** struct pollfd (poll.h): int fd; short events; short revents. */
    private static final int POLLFD_SIZE = 8;
    private static final int POLLFD_FD_OFFSET = 0;
    private static final int POLLFD_EVENTS_OFFSET = 4;
    private static final int POLLFD_REVENTS_OFFSET = 6;

    private final TunQueue tun;
    private final UdpSocket socket;
    private final boolean receives;
    private final int headroom;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment writeBuffer;
    private final VirtioNetHeader writeHeader = new VirtioNetHeader();
    private final MemorySegment pollFds;
    private final MemorySegment sendPoll;
    private long tunWriteErrors;
    private long sendErrors;
    /** Which slots of the last {@link #send} were dropped: the caller counts their datagrams per peer. */
    private final boolean[] refused = new boolean[MessageBatch.MAX_CAPACITY];

    /** @param vnetHeader whether the TUN device was opened with a virtio-net header */
    public PollingIo(TunQueue tun, boolean vnetHeader, UdpSocket socket) {
        this(tun, vnetHeader, socket, true);
    }

    /**
     * @param receives whether the owner receives from the socket: if not, idling waits on the TUN
     *     queue alone (another pipeline receives from the shared socket)
     */
    public PollingIo(TunQueue tun, boolean vnetHeader, UdpSocket socket, boolean receives) {
        this.receives = receives;
        this.tun = tun;
        this.socket = socket;
        this.headroom = vnetHeader ? VirtioNetHeader.SIZE : 0;
        this.writeBuffer = arena.allocate(headroom + 65535L, 64); // zeroed: flags 0, GSO_NONE
        this.pollFds = arena.allocate(2L * POLLFD_SIZE, 8);
        this.sendPoll = arena.allocate(POLLFD_SIZE, 8);
        pollFds.set(ValueLayout.JAVA_INT, POLLFD_FD_OFFSET, tun.fd());
        pollFds.set(ValueLayout.JAVA_SHORT, POLLFD_EVENTS_OFFSET, Libc.POLLIN);
        pollFds.set(ValueLayout.JAVA_INT, POLLFD_SIZE + POLLFD_FD_OFFSET, socket.fd());
        pollFds.set(ValueLayout.JAVA_SHORT, POLLFD_SIZE + POLLFD_EVENTS_OFFSET, Libc.POLLIN);
        sendPoll.set(ValueLayout.JAVA_INT, POLLFD_FD_OFFSET, socket.fd());
        sendPoll.set(ValueLayout.JAVA_SHORT, POLLFD_EVENTS_OFFSET, Libc.POLLOUT);
    }

    @Override
    public int readTun(MemorySegment[] buffers, int[] lengths, int count) throws ErrnoException {
        return tun.readBatch(buffers, lengths, count);
    }

    @Override
    public boolean write(MemorySegment buffer, long offset, int length) {
        MemorySegment.copy(buffer, offset, writeBuffer, headroom, length);
        try {
            return tun.write(writeBuffer, headroom + length) != Libc.WOULD_BLOCK;
        } catch (ErrnoException e) {
            tunWriteErrors++;
            return false;
        }
    }

    @Override
    public boolean writePartial(MemorySegment buffer, long offset, int length) {
        int start = PartialChecksum.start(buffer, offset, length);
        if (headroom == 0 || start == PartialChecksum.NOT_COVERED) {
            return PipelineIo.super.writePartial(buffer, offset, length);
        }
        // The kernel trusts a partial checksum on local delivery and completes it when it forwards.
        writeHeader.wrap(writeBuffer, 0).flags(VirtioNetHeader.F_NEEDS_CSUM).csumStart(start)
                .csumOffset(PartialChecksum.field(buffer, offset));
        boolean written = write(buffer, offset, length);
        writeHeader.clear();
        return written;
    }

    @Override
    public boolean writeFrame(MemorySegment frame, int length) {
        try {
            return tun.write(frame, length) != Libc.WOULD_BLOCK;
        } catch (ErrnoException e) {
            tunWriteErrors++;
            return false;
        }
    }

    @Override
    public int receive(MessageBatch batch) throws ErrnoException {
        int n = socket.receive(batch);
        return n == Libc.WOULD_BLOCK ? 0 : n;
    }

    @Override
    public int send(MessageBatch batch, int count) {
        int first = 0;
        int dropped = 0;
        boolean waited = false;
        for (int i = 0; i < count; i++) {
            refused[i] = false;
        }
        // After a GSO fallback the socket may send part of a slot and drop its other segments: those count too.
        long splitDropped = socket.droppedSegments();
        while (first < count) {
            int sent;
            try {
                sent = socket.send(batch, first, count - first);
            } catch (ErrnoException e) {
                sendErrors++;
                dropped += datagrams(batch, first);
                refused[first] = true;
                first++;
                continue;
            }
            if (sent == Libc.WOULD_BLOCK) {
                if (!waited && awaitWritable()) {
                    waited = true;
                    continue;
                }
                for (int i = first; i < count; i++) {
                    dropped += datagrams(batch, i);
                    refused[i] = true;
                }
                break;
            }
            first += sent;
        }
        return dropped + (int) (socket.droppedSegments() - splitDropped);
    }

    @Override
    public boolean refused(int slot) {
        return refused[slot];
    }

    private boolean awaitWritable() {
        sendPoll.set(ValueLayout.JAVA_SHORT, POLLFD_REVENTS_OFFSET, (short) 0);
        try {
            return Libc.poll(sendPoll, 1, SEND_WAIT_MS) > 0;
        } catch (ErrnoException e) {
            return false;
        }
    }

    private static int datagrams(MessageBatch batch, int slot) {
        int segment = batch.segmentSize(slot);
        return segment == 0 ? 1 : (batch.length(slot) + segment - 1) / segment;
    }

    @Override
    public void awaitReadable(int timeoutMs) throws ErrnoException {
        pollFds.set(ValueLayout.JAVA_SHORT, POLLFD_REVENTS_OFFSET, (short) 0);
        pollFds.set(ValueLayout.JAVA_SHORT, POLLFD_SIZE + POLLFD_REVENTS_OFFSET, (short) 0);
        Libc.poll(pollFds, receives ? 2 : 1, timeoutMs);
    }

    /** The socket's fd, for an engine that waits on it elsewhere (io_uring). */
    int socketFd() {
        return socket.fd();
    }

    /** TUN writes that failed with an error (not would-block); pipeline thread or after it stopped. */
    public long tunWriteErrors() {
        return tunWriteErrors;
    }

    /** Slots the socket refused with an error; pipeline thread or after it stopped. */
    public long sendErrors() {
        return sendErrors;
    }

    @Override
    public void close() {
        arena.close();
    }
}
