package net.ipop.ffm.udp;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import net.ipop.ffm.libc.Errno;
import net.ipop.ffm.libc.ErrnoException;
import net.ipop.ffm.libc.Libc;
import net.ipop.ffm.libc.Sockets;

/**
 * Sends GSO slots without GSO: each slot's super-buffer is cut into one message per segment, all
 * pointing into the slot's own buffer (no copy), and the messages of as many slots as fit go out in
 * one {@code sendmmsg}. Used by {@link UdpSocket} once the kernel has refused GSO on that socket.
 *
 * <p>Partial sends: when the socket buffer fills part-way through a slot, the slot still counts as
 * sent and its remaining segments are dropped and counted ({@link #droppedSegments()}); resending
 * them would duplicate the segments already out, and a tunnel tolerates loss better than a
 * retransmission storm of duplicates.
 *
 * <p>Threading: used only by the socket's sending thread; counters are single-writer volatiles.
 */
final class GsoSplitter {
    private static final ValueLayout.OfLong SIZE_T = ValueLayout.JAVA_LONG;
    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT;

    private final int capacity;
    private final MemorySegment headers;
    private final MemorySegment iovecs;
    private final int[] slotOf;
    private volatile long splitSlots;
    private volatile long droppedSegments;

    /** Scratch for {@code capacity} single-segment messages, allocated from the socket's arena. */
    GsoSplitter(Arena arena, int capacity) {
        this.capacity = capacity;
        this.headers = arena.allocate((long) capacity * MsgHdr.MMSGHDR_SIZE, 64);
        this.iovecs = arena.allocate((long) capacity * MsgHdr.IOVEC_SIZE, 16);
        this.slotOf = new int[capacity];
        for (int m = 0; m < capacity; m++) {
            long h = (long) m * MsgHdr.MMSGHDR_SIZE;
            headers.set(ValueLayout.ADDRESS, h + MsgHdr.IOV_OFFSET, iovecs.asSlice((long) m * MsgHdr.IOVEC_SIZE));
            headers.set(SIZE_T, h + MsgHdr.IOVLEN_OFFSET, 1L);
        }
    }

    /**
     * Sends slots {@code [first, first + count)}, already prepared by
     * {@link MessageBatch#prepareSend}, as individual datagrams. Returns how many slots were sent
     * (at least one, possibly fewer than {@code count} when the scratch or the socket buffer filled),
     * or {@link Libc#WOULD_BLOCK}.
     *
     * @throws ErrnoException for slot {@code first}: the kernel's error for its first segment, or
     *                        {@code EINVAL} when it has more segments than {@link UdpSocket#MAX_SEGMENTS}
     */
    int send(int fd, MessageBatch batch, int first, int count) throws ErrnoException {
        int messages = 0;
        int slots = 0;
        for (int s = first; s < first + count; s++) {
            int length = batch.length(s);
            int gso = batch.segmentSize(s);
            int segments = gso > 0 && length > gso ? (length + gso - 1) / gso : 1;
            if (messages + segments > capacity) {
                if (messages == 0) {
                    throw new ErrnoException("sendmmsg(GSO fallback, fd " + fd + ", slot " + s + ": " + segments
                            + " segments of " + gso + " B exceed " + capacity + ")", Errno.EINVAL);
                }
                break; // the next call starts with this slot
            }
            int step = segments == 1 ? length : gso;
            long name = batch.remoteAddress(s);
            int nameLength = batch.remote(s).length();
            long control = batch.controlAddress(s);
            int controlLength = batch.packetInfoLength(s);
            long buffer = batch.bufferAddress(s);
            for (int k = 0; k < segments; k++) {
                long h = (long) messages * MsgHdr.MMSGHDR_SIZE;
                long iov = (long) messages * MsgHdr.IOVEC_SIZE;
                // Raw addresses (LP64) rather than MemorySegment slices: slicing per segment would allocate.
                headers.set(SIZE_T, h + MsgHdr.NAME_OFFSET, name);
                headers.set(INT, h + MsgHdr.NAMELEN_OFFSET, nameLength);
                headers.set(SIZE_T, h + MsgHdr.CONTROL_OFFSET, controlLength == 0 ? 0L : control);
                headers.set(SIZE_T, h + MsgHdr.CONTROLLEN_OFFSET, controlLength);
                headers.set(INT, h + MsgHdr.FLAGS_OFFSET, 0);
                iovecs.set(SIZE_T, iov + MsgHdr.IOV_BASE_OFFSET, buffer + (long) k * step);
                iovecs.set(SIZE_T, iov + MsgHdr.IOV_LEN_OFFSET, Math.min(step, length - k * step));
                slotOf[messages] = s;
                messages++;
            }
            slots++;
        }
        int sent = Sockets.sendmmsg(fd, headers, messages, 0);
        if (sent == Libc.WOULD_BLOCK) {
            return Libc.WOULD_BLOCK;
        }
        if (sent == messages) {
            splitSlots += slots;
            return slots;
        }
        int lastSlot = slotOf[sent - 1];
        int dropped = 0;
        for (int m = sent; m < messages && slotOf[m] == lastSlot; m++) {
            dropped++;
        }
        droppedSegments += dropped;
        splitSlots += lastSlot - first + 1;
        return lastSlot - first + 1;
    }

    /** Slots sent split into single datagrams. */
    long splitSlots() {
        return splitSlots;
    }

    /** Segments dropped because the socket buffer filled part-way through a split slot. */
    long droppedSegments() {
        return droppedSegments;
    }
}
