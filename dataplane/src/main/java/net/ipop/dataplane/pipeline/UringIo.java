package net.ipop.dataplane.pipeline;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import net.ipop.ffm.libc.Errno;
import net.ipop.ffm.libc.ErrnoException;
import net.ipop.ffm.libc.Libc;
import net.ipop.ffm.tun.TunQueue;
import net.ipop.ffm.tun.VirtioNetHeader;
import net.ipop.ffm.udp.MessageBatch;
import net.ipop.ffm.udp.UdpSocket;
import net.ipop.ffm.uring.CompletionHandler;
import net.ipop.ffm.uring.IoUring;
import net.ipop.ffm.uring.IoUringUnavailableException;

/**
 * {@link PipelineIo} over one io_uring per pipeline. TUN reads: {@link #READS_IN_FLIGHT} READ
 * entries stay queued on the TUN fd, each into a buffer of ours; completed ones are lent to the
 * caller (their segments put into its array, no copy of the up to 64 KiB super-packet) and re-armed
 * together when it comes back, so a busy cycle costs one {@code io_uring_enter} for all its TUN
 * reads instead of one {@code read(2)} each (plus the one that finds the queue empty).
 * Idle: a POLL_ADD on the socket joins the pending reads and the thread sleeps in
 * {@code io_uring_enter} with a timeout until either completes; nothing spins.
 *
 * <p>What stays plain system calls, through a {@link PollingIo} this object owns: TUN writes (the
 * caller reuses its buffer as soon as the call returns, so an asynchronous write would need a copy
 * and a wait, i.e. a plain write), and the socket: {@code recvmmsg} takes the whole GRO batch in
 * one call, {@code sendmmsg} sends the GSO batch in one call. A RECVMSG entry left in flight would
 * lend the caller's {@link MessageBatch} to the kernel past {@link #receive}, which its ownership
 * contract does not allow.
 *
 * <p>Ordering: the READs complete in the order the kernel serves them, which on one TUN queue is
 * the order packets were queued; completions are handed out in CQE order.
 *
 * <p>Ownership: the TUN queue and socket are borrowed; the ring, the read buffers and the inner
 * {@link PollingIo} are owned and released by {@link #close()}, which the owner calls after the
 * pipeline thread stopped (closing the ring cancels the reads before their buffers are freed).
 * Threading: one thread at a time (the ring is opened without SINGLE_ISSUER, so it may be built on
 * another thread than the pipeline's). Nothing per packet allocates.
 */
public final class UringIo implements PipelineIo {
    /** TUN READ entries kept queued. */
    static final int READS_IN_FLIGHT = 16;
    private static final long POLL_TAG = -1L;
    private static final int RING_ENTRIES = 64;

    private final TunQueue tun;
    private final boolean receives;
    private final PollingIo plain;
    private final IoUring ring;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment[] readBuffers = new MemorySegment[READS_IN_FLIGHT];
    private final int readSize;
    /** Completed reads not yet handed out, in completion order: buffer index and result. */
    private final int[] ready = new int[READS_IN_FLIGHT];
    private final int[] readyResults = new int[READS_IN_FLIGHT];
    private int readyHead;
    private int readyCount;
    /** Buffers whose READ completed and was handed out, to be re-armed. */
    private final int[] idle = new int[READS_IN_FLIGHT];
    private int idleCount;
    /** Buffers lent to the caller by the last {@link #readTun}: re-armed when it calls again or idles. */
    private final int[] lent = new int[READS_IN_FLIGHT];
    private int lentCount;
    private boolean socketPollArmed;
    private int tunReadErrno;
    private long rearmedReads;
    private long tunReadErrors;
    private final CompletionHandler onCompletion = this::complete;

    /**
     * Opens a ring and queues the TUN reads.
     *
     * @param vnetHeader whether the TUN device was opened with a virtio-net header
     * @throws IoUringUnavailableException if this host refuses io_uring ({@link #open} falls back)
     * @throws ErrnoException if the ring cannot be set up or the reads not queued
     */
    public UringIo(TunQueue tun, boolean vnetHeader, UdpSocket socket)
            throws IoUringUnavailableException, ErrnoException {
        this(tun, vnetHeader, socket, true);
    }

    /**
     * As above; {@code receives} false: idling waits for TUN reads alone (another pipeline receives
     * from the shared socket).
     */
    public UringIo(TunQueue tun, boolean vnetHeader, UdpSocket socket, boolean receives)
            throws IoUringUnavailableException, ErrnoException {
        this.tun = tun;
        this.receives = receives;
        this.readSize = (vnetHeader ? VirtioNetHeader.SIZE : 0) + 65535;
        // COOP_TASKRUN: a completing TUN read need not interrupt the pipeline (an IPI, in a VM an exit)
        // to run its task work; it runs on the pipeline's next system call, and a busy pipeline makes
        // several per cycle (sendmmsg, recvmmsg, TUN writes). A pipeline asleep in io_uring_enter is
        // still woken. Kernels before 5.19 refuse the flag and get a plain ring (IoUring.open).
        this.ring = IoUring.open(RING_ENTRIES, 0, IoUring.SETUP_COOP_TASKRUN);
        try {
            this.plain = new PollingIo(tun, vnetHeader, socket, receives);
            for (int i = 0; i < READS_IN_FLIGHT; i++) {
                readBuffers[i] = arena.allocate(readSize, 64);
                idle[idleCount++] = i;
            }
            armReads();
            ring.submit();
        } catch (ErrnoException | RuntimeException e) {
            ring.close();
            arena.close();
            throw e;
        }
    }

    /**
     * A {@code UringIo} when io_uring works on this host ({@link IoUring#probe()}) and can wait with
     * a timeout (IORING_FEAT_EXT_ARG, Linux 5.11+), else a {@link PollingIo}: same contract, plain
     * system calls.
     */
    public static PipelineIo open(TunQueue tun, boolean vnetHeader, UdpSocket socket) throws ErrnoException {
        return open(tun, vnetHeader, socket, true);
    }

    /** As {@link #open(TunQueue, boolean, UdpSocket)}, for a pipeline that receives or not. */
    public static PipelineIo open(TunQueue tun, boolean vnetHeader, UdpSocket socket, boolean receives)
            throws ErrnoException {
        if (IoUring.probe().available()) {
            try {
                UringIo uring = new UringIo(tun, vnetHeader, socket, receives);
                if (uring.waitsWithTimeout()) {
                    return uring;
                }
                uring.close();
            } catch (IoUringUnavailableException e) {
                // Refused after all (e.g. a limit reached since the probe): plain syscalls still work.
            }
        }
        return new PollingIo(tun, vnetHeader, socket, receives);
    }

    /** Whether the kernel can bound a wait in io_uring_enter; without it {@link #awaitReadable} throws. */
    boolean waitsWithTimeout() {
        return (ring.features() & IoUring.FEAT_EXT_ARG) != 0;
    }

    private void complete(long userData, int res, int flags) {
        if (userData == POLL_TAG) {
            socketPollArmed = false;
            return;
        }
        int index = (int) userData;
        if (res < 0) {
            // The TUN fd is O_NONBLOCK and the driver does not claim FMODE_NOWAIT, so a READ woken
            // with others for one packet may lose the race and come back with EAGAIN: re-arm it.
            if (res != -Errno.EAGAIN) {
                tunReadErrno = -res;
                tunReadErrors++;
            } else {
                rearmedReads++;
            }
            idle[idleCount++] = index;
            return;
        }
        int at = (readyHead + readyCount) % READS_IN_FLIGHT;
        ready[at] = index;
        readyResults[at] = res;
        readyCount++;
    }

    private void armReads() {
        while (idleCount > 0) {
            int index = idle[idleCount - 1];
            if (!ring.prepRead(tun.fd(), readBuffers[index], readSize, -1, index)) {
                return;
            }
            idleCount--;
        }
    }

    /**
     * Lends completed reads: {@code buffers[i]} is replaced by one of this engine's read buffers
     * (the caller's own segments in the array are left alone otherwise). The lent buffers are
     * borrowed until the next {@code readTun} or {@link #awaitReadable}, which queue them again.
     */
    @Override
    public int readTun(MemorySegment[] buffers, int[] lengths, int count) throws ErrnoException {
        returnLent();
        ring.drain(onCompletion, RING_ENTRIES);
        int n = 0;
        while (n < count && readyCount > 0) {
            int index = ready[readyHead];
            int length = readyResults[readyHead];
            readyHead = (readyHead + 1) % READS_IN_FLIGHT;
            readyCount--;
            buffers[n] = readBuffers[index];
            lengths[n++] = length;
            lent[lentCount++] = index;
        }
        if (idleCount > 0) {
            armReads();
            ring.submit();
        }
        if (n == 0 && tunReadErrno != 0) {
            int errno = tunReadErrno;
            tunReadErrno = 0;
            throw new ErrnoException("io_uring read(tun)", errno);
        }
        return n;
    }

    private void returnLent() {
        for (int i = 0; i < lentCount; i++) {
            idle[idleCount++] = lent[i];
        }
        lentCount = 0;
    }

    @Override
    public boolean write(MemorySegment buffer, long offset, int length) {
        return plain.write(buffer, offset, length);
    }

    @Override
    public boolean writePartial(MemorySegment buffer, long offset, int length) {
        return plain.writePartial(buffer, offset, length);
    }

    @Override
    public boolean writeFrame(MemorySegment frame, int length) {
        return plain.writeFrame(frame, length);
    }

    @Override
    public int receive(MessageBatch batch) throws ErrnoException {
        return plain.receive(batch);
    }

    @Override
    public int send(MessageBatch batch, int count) {
        return plain.send(batch, count);
    }

    @Override
    public boolean refused(int slot) {
        return plain.refused(slot);
    }

    /**
     * Sleeps in {@code io_uring_enter} until a TUN read completes, the socket is readable, or
     * {@code timeoutMs} passed (negative: no limit); returns at once when completed reads are waiting.
     *
     * @throws UnsupportedOperationException with a timeout on a kernel before 5.11 ({@link #open} avoids it)
     */
    @Override
    public void awaitReadable(int timeoutMs) throws ErrnoException {
        returnLent();
        ring.drain(onCompletion, RING_ENTRIES);
        if (readyCount > 0) {
            return;
        }
        armReads();
        if (receives && !socketPollArmed && ring.prepPollAdd(plain.socketFd(), Libc.POLLIN, POLL_TAG)) {
            socketPollArmed = true;
        }
        if (timeoutMs < 0) {
            ring.submitAndWait(1);
        } else {
            ring.submitAndWait(1, timeoutMs * 1_000_000L);
        }
        ring.drain(onCompletion, RING_ENTRIES);
    }

    /** TUN reads that completed with an error; pipeline thread or after it stopped. */
    public long tunReadErrors() {
        return tunReadErrors;
    }

    /** READs that came back with EAGAIN and were queued again. */
    public long rearmedReads() {
        return rearmedReads;
    }

    /** io_uring_enter calls so far (a busy pipeline makes about one per cycle). */
    public long enterCalls() {
        return ring.enterCalls();
    }

    @Override
    public void close() {
        // The ring first: its teardown cancels the queued reads, then their buffers may go.
        try {
            ring.close();
        } catch (ErrnoException e) {
            throw new java.io.UncheckedIOException(e);
        } finally {
            plain.close();
            arena.close();
        }
    }
}
