package net.ipop.dataplane.pipeline;

import java.lang.foreign.MemorySegment;

import net.ipop.ffm.libc.ErrnoException;
import net.ipop.ffm.udp.MessageBatch;

/**
 * The I/O one pipeline does: its TUN queue and its UDP socket. Behind an interface so the plain
 * non-blocking syscalls of {@link PollingIo} can be swapped for io_uring without touching the
 * packet paths or the agent.
 *
 * <p>Threading: the pipeline thread only. Per-packet methods must not allocate.
 */
public interface PipelineIo extends TunSink, TunFrameSink, DatagramSink, AutoCloseable {
    /**
     * Reads up to {@code count} TUN packets without blocking; packet {@code i} is in
     * {@code buffers[i]} (length in {@code lengths[i]}). An engine may either read into the
     * segments it finds in the array or put segments of its own there (io_uring lends the buffers
     * its reads completed into, to save a copy); either way the packets are borrowed by the caller
     * until its next {@code readTun} or {@link #awaitReadable} call.
     *
     * @return packets read, 0 if none was queued
     * @throws ErrnoException if the TUN queue failed (not for would-block)
     */
    int readTun(MemorySegment[] buffers, int[] lengths, int count) throws ErrnoException;

    /**
     * Receives a batch of datagrams without blocking.
     *
     * @return slots filled, 0 if none was queued
     * @throws ErrnoException if the socket failed
     */
    int receive(MessageBatch batch) throws ErrnoException;

    /** Blocks until the TUN or the socket is readable, at most {@code timeoutMs} milliseconds. */
    void awaitReadable(int timeoutMs) throws ErrnoException;

    /** Releases what this object owns (not the borrowed TUN queue and socket); after the pipeline stopped. */
    @Override
    void close();
}
