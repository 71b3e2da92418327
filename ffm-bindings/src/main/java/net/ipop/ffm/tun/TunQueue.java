package net.ipop.ffm.tun;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import net.ipop.ffm.libc.Errno;
import net.ipop.ffm.libc.ErrnoException;
import net.ipop.ffm.libc.Libc;

/**
 * One queue of a {@link TunDevice}: a file descriptor of {@code /dev/net/tun} attached to the
 * device. Each read returns one packet (or Ethernet frame for TAP), preceded by a
 * {@link VirtioNetHeader} when the device has one; each write injects one.
 *
 * <p>Threading: meant for one reader thread and at most one writer thread. {@link #awaitReadable}
 * uses memory of its own, so only the reader may call it. The owning {@link TunDevice} closes the
 * queue; close it only after the threads using it have stopped, because a closed descriptor number
 * may be reused by the process.
 *
 * <p>Buffers: every segment is borrowed for the duration of the call only and must be native
 * memory (not a heap array). A read stores the packet at the start of the segment, so to keep
 * headroom for an outer header, pass slices made once at setup. Reads truncate packets longer than
 * the segment: size buffers for the MTU plus the virtio-net header, or for 65535 + header when
 * segmentation offloads are active.
 *
 * <p>Errors: a would-block result is {@link Libc#WOULD_BLOCK} (or a short batch), never an
 * exception; other failures throw {@link ErrnoException} naming the device and queue. Nothing on the
 * success path allocates.
 */
public final class TunQueue {
    private static final int POLLFD_SIZE = 8;
    private static final int POLLFD_FD_OFFSET = 0;
    private static final int POLLFD_EVENTS_OFFSET = 4;
    private static final int POLLFD_REVENTS_OFFSET = 6;

    private final String label;
    private final int index;
    private final boolean blocking;
    private final MemorySegment pollFd;
    private int fd;
    private long rejectedWrites;

    TunQueue(String device, int index, int fd, boolean blocking, MemorySegment pollFd) {
        this.label = device + " queue " + index;
        this.index = index;
        this.fd = fd;
        this.blocking = blocking;
        this.pollFd = pollFd;
    }

    /** This queue's position in its device, 0-based. */
    public int index() {
        return index;
    }

    /** The descriptor, for callers that drive it through io_uring or poll; -1 once closed. */
    public int fd() {
        return fd;
    }

    /**
     * Reads one packet into {@code buf}.
     *
     * @return its length in bytes (header included), or {@link Libc#WOULD_BLOCK} when none is queued
     */
    public int read(MemorySegment buf) throws ErrnoException {
        int f = openFd("read");
        try {
            return Libc.read(f, buf, buf.byteSize());
        } catch (ErrnoException e) {
            throw new ErrnoException("read(" + label + ")", e.errno());
        }
    }

    /**
     * Writes the packet in {@code pkt[0, length)}.
     *
     * @return {@code length}, or {@link Libc#WOULD_BLOCK}
     * @throws ErrnoException also when the kernel rejects the packet as malformed (EINVAL)
     * @throws IndexOutOfBoundsException when {@code length} exceeds the segment
     */
    public int write(MemorySegment pkt, int length) throws ErrnoException {
        int f = openFd("write");
        checkLength(pkt, length);
        try {
            return Libc.write(f, pkt, length);
        } catch (ErrnoException e) {
            throw new ErrnoException("write(" + label + ", " + length + " bytes)", e.errno());
        }
    }

    /**
     * Reads up to {@code count} packets, {@code bufs[i]} receiving the i-th and {@code lengths[i]}
     * its length, stopping early when no more are queued. On a blocking queue it reads exactly one
     * (blocking for it), since a second read could block with a packet already in hand.
     *
     * <p>An error after at least one packet arrived returns those packets; a persistent error is
     * then thrown by the next call.
     *
     * @return the number of packets read, 0 when none was queued
     */
    public int readBatch(MemorySegment[] bufs, int[] lengths, int count) throws ErrnoException {
        int f = openFd("read");
        int limit = blocking ? Math.min(count, 1) : count;
        int n = 0;
        try {
            while (n < limit) {
                MemorySegment buf = bufs[n];
                int r = Libc.read(f, buf, buf.byteSize());
                if (r == Libc.WOULD_BLOCK) {
                    break;
                }
                lengths[n++] = r;
            }
        } catch (ErrnoException e) {
            if (n > 0) {
                // Hand over what arrived; the error repeats on the next call if it is persistent.
                return n;
            }
            throw new ErrnoException("read(" + label + ")", e.errno());
        }
        return n;
    }

    /**
     * Writes {@code pkts[i][0, lengths[i])} for i in [0, count), in order, stopping early only if
     * the queue would block. A packet the kernel rejects as malformed (EINVAL: bad length or
     * virtio-net header) is dropped, counted in {@link #rejectedWrites()}, and the batch goes on.
     *
     * @return the number of packets consumed from the front of the batch (written or rejected)
     * @throws ErrnoException for any other failure; packets before the failing one were consumed
     * @throws IndexOutOfBoundsException when a length exceeds its segment (earlier packets were consumed)
     */
    public int writeBatch(MemorySegment[] pkts, int[] lengths, int count) throws ErrnoException {
        int f = openFd("write");
        int n = 0;
        while (n < count) {
            checkLength(pkts[n], lengths[n]);
            int r;
            try {
                r = Libc.write(f, pkts[n], lengths[n]);
            } catch (ErrnoException e) {
                if (!e.is(Errno.EINVAL)) {
                    throw new ErrnoException("write(" + label + ", packet " + n + " of " + count + ")", e.errno());
                }
                rejectedWrites++;
                r = 0;
            }
            if (r == Libc.WOULD_BLOCK) {
                break;
            }
            n++;
        }
        return n;
    }

    /** Packets {@link #writeBatch} dropped because the kernel rejected them. Read by the writer thread. */
    public long rejectedWrites() {
        return rejectedWrites;
    }

    /**
     * Waits until a packet is queued, at most {@code timeoutMs} milliseconds (0 polls, negative
     * waits forever). Reader thread only.
     *
     * @return true when readable, or when an error is pending that the next read will report;
     *     false on timeout or signal
     */
    public boolean awaitReadable(int timeoutMs) throws ErrnoException {
        int f = openFd("poll");
        pollFd.set(ValueLayout.JAVA_INT, POLLFD_FD_OFFSET, f);
        pollFd.set(ValueLayout.JAVA_SHORT, POLLFD_EVENTS_OFFSET, Libc.POLLIN);
        pollFd.set(ValueLayout.JAVA_SHORT, POLLFD_REVENTS_OFFSET, (short) 0);
        return Libc.poll(pollFd, 1, timeoutMs) > 0;
    }

    static int pollFdSize() {
        return POLLFD_SIZE;
    }

    /** Closes the descriptor once; later calls on this queue fail with EBADF naming the device. */
    void close() throws ErrnoException {
        int f = fd;
        if (f >= 0) {
            fd = -1;
            Libc.close(f);
        }
    }

    /** The kernel would read past the segment otherwise: the length travels apart from it. */
    private void checkLength(MemorySegment pkt, int length) {
        if (length < 0 || length > pkt.byteSize()) {
            throw new IndexOutOfBoundsException("write(" + label + "): length " + length
                    + " outside a segment of " + pkt.byteSize() + " bytes");
        }
    }

    private int openFd(String call) throws ErrnoException {
        int f = fd;
        if (f < 0) {
            throw new ErrnoException(call + "(" + label + "): device is closed", Errno.EBADF);
        }
        return f;
    }
}
