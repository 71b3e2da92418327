package net.ipop.ffm.udp;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

import net.ipop.ffm.libc.Sockets;

/**
 * Preallocated slots for one {@code recvmmsg(2)} or {@code sendmmsg(2)} call: per slot a
 * {@code struct mmsghdr}, one {@code struct iovec}, a data buffer, a remote and a local socket
 * address and a control-message buffer, all allocated once from this batch's own {@link Arena}.
 *
 * <p>Slot fields:
 * <ul>
 *   <li>{@link #buffer(int)}: {@link #bufferSize()} bytes of payload space.</li>
 *   <li>{@link #length(int)}: bytes received, or bytes to send (set with {@link #setLength}).</li>
 *   <li>{@link #remote(int)}: the source on receive, the destination on send.</li>
 *   <li>{@link #local(int)}: on receive the packet's destination address from {@code IP_PKTINFO}/
 *       {@code IPV6_PKTINFO} (port 0; empty when packet info is off); on send the source address
 *       to use, or empty ({@code AF_UNSPEC}) to let routing choose. Receiving into a slot and then
 *       sending from it therefore replies from the address the request came to (and re-sends a
 *       coalesced GRO read as the same segments, since the segment size carries over too).</li>
 *   <li>{@link #segmentSize(int)}: on receive the GRO segment size of a coalesced datagram (0 if the
 *       datagram is a single segment); on send the GSO segment size (0 = one datagram).</li>
 * </ul>
 *
 * <p>Buffer ownership: every slot and everything returned for it (buffer segment, address
 * flyweights) belongs to this batch and is borrowed by the caller until the next
 * {@link UdpSocket#receive}/{@link UdpSocket#send} with this batch, which overwrites it. The
 * returned segments and flyweights are preallocated: reuse them, do not keep them past
 * {@link #close()}.
 *
 * <p>Sizing: with {@code UDP_GRO} enabled a coalesced datagram can be up to 64 KiB; a smaller
 * buffer truncates it ({@link #truncated(int)}) and the rest is lost. A GSO send slot holds at most
 * {@link UdpSocket#MAX_SEGMENTS} segments.
 *
 * <p>Threading: one thread at a time. The arena is shared so a batch may be built on a setup thread
 * and handed to its I/O thread.
 */
public final class MessageBatch implements AutoCloseable {
    /** {@code UIO_MAXIOV}: the kernel's limit on messages per {@code sendmmsg}/{@code recvmmsg}. */
    public static final int MAX_CAPACITY = 1024;
    /** Largest slot buffer: a full 64 KiB GSO or GRO super-datagram. */
    public static final int MAX_BUFFER_SIZE = 65536;
    /**
     * Control space per slot. Receive: UDP_GRO (24) + IPV6_PKTINFO (40) = 64; send: pktinfo (40) +
     * UDP_SEGMENT (24) = 64. Twice that leaves room for a cmsg we did not ask for instead of MSG_CTRUNC.
     */
    static final int CONTROL_SIZE = 128;
    /** Address slot stride: {@link SockAddr#MAX_SIZE} rounded up to keep slots 8-aligned. */
    static final int ADDRESS_STRIDE = 32;

    private static final ValueLayout.OfLong SIZE_T = ValueLayout.JAVA_LONG;
    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT;
    private static final ValueLayout.OfInt BE32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    private static final ValueLayout.OfLong BE64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);

    private final Arena arena;
    private final int capacity;
    private final int bufferSize;
    private final MemorySegment headers;
    private final MemorySegment iovecs;
    private final MemorySegment controls;
    private final MemorySegment[] headerAt;
    private final MemorySegment[] buffers;
    private final SockAddr[] remotes;
    private final SockAddr[] locals;
    private final int[] lengths;
    private final int[] segmentSizes;
    private final int[] interfaces;
    private final int[] msgFlags;
    /** Per slot, bytes of control data written before the UDP_SEGMENT message (the pktinfo only). */
    private final int[] packetInfoLengths;
    /** Per slot: the address a {@link #sendFrom} slot sends from, 0 when it uses its own buffer. */
    private final long[] externalAddresses;
    /** Per slot: the segment and offset a {@link #sendFrom} slot sends from (null: its own buffer). */
    private final MemorySegment[] externalSegments;
    private final long[] externalOffsets;

    /**
     * Allocates {@code capacity} slots of {@code bufferSize} bytes each.
     *
     * @throws IllegalArgumentException if {@code capacity} is not in 1..{@value #MAX_CAPACITY} or
     *                                  {@code bufferSize} not in 1..{@value #MAX_BUFFER_SIZE}
     */
    public MessageBatch(int capacity, int bufferSize) {
        if (capacity < 1 || capacity > MAX_CAPACITY) {
            throw new IllegalArgumentException("capacity must be 1.." + MAX_CAPACITY + ": " + capacity);
        }
        if (bufferSize < 1 || bufferSize > MAX_BUFFER_SIZE) {
            throw new IllegalArgumentException("bufferSize must be 1.." + MAX_BUFFER_SIZE + ": " + bufferSize);
        }
        this.capacity = capacity;
        this.bufferSize = bufferSize;
        this.arena = Arena.ofShared();
        this.headers = arena.allocate((long) capacity * MsgHdr.MMSGHDR_SIZE, 64);
        this.iovecs = arena.allocate((long) capacity * MsgHdr.IOVEC_SIZE, 16);
        MemorySegment names = arena.allocate((long) capacity * ADDRESS_STRIDE, 8);
        MemorySegment localNames = arena.allocate((long) capacity * ADDRESS_STRIDE, 8);
        this.controls = arena.allocate((long) capacity * CONTROL_SIZE, 8);
        MemorySegment data = arena.allocate((long) capacity * bufferSize, 64);
        this.headerAt = new MemorySegment[capacity];
        this.buffers = new MemorySegment[capacity];
        this.remotes = new SockAddr[capacity];
        this.locals = new SockAddr[capacity];
        this.lengths = new int[capacity];
        this.segmentSizes = new int[capacity];
        this.interfaces = new int[capacity];
        this.msgFlags = new int[capacity];
        this.packetInfoLengths = new int[capacity];
        this.externalAddresses = new long[capacity];
        this.externalSegments = new MemorySegment[capacity];
        this.externalOffsets = new long[capacity];
        for (int i = 0; i < capacity; i++) {
            long h = (long) i * MsgHdr.MMSGHDR_SIZE;
            long iov = (long) i * MsgHdr.IOVEC_SIZE;
            buffers[i] = data.asSlice((long) i * bufferSize, bufferSize);
            remotes[i] = new SockAddr(names, (long) i * ADDRESS_STRIDE);
            locals[i] = new SockAddr(localNames, (long) i * ADDRESS_STRIDE);
            headerAt[i] = headers.asSlice(h);
            iovecs.set(ValueLayout.ADDRESS, iov + MsgHdr.IOV_BASE_OFFSET, buffers[i]);
            iovecs.set(SIZE_T, iov + MsgHdr.IOV_LEN_OFFSET, bufferSize);
            // Pointers never change: only lengths are rewritten per call.
            headers.set(ValueLayout.ADDRESS, h + MsgHdr.NAME_OFFSET, names.asSlice((long) i * ADDRESS_STRIDE));
            headers.set(ValueLayout.ADDRESS, h + MsgHdr.IOV_OFFSET, iovecs.asSlice(iov));
            headers.set(SIZE_T, h + MsgHdr.IOVLEN_OFFSET, 1L);
            headers.set(ValueLayout.ADDRESS, h + MsgHdr.CONTROL_OFFSET, controls.asSlice((long) i * CONTROL_SIZE));
        }
    }

    public int capacity() {
        return capacity;
    }

    public int bufferSize() {
        return bufferSize;
    }

    /** The slot's payload buffer, {@link #bufferSize()} bytes; borrowed (see class comment). */
    public MemorySegment buffer(int slot) {
        return buffers[slot];
    }

    /** Bytes received into the slot, or the bytes it will send. */
    public int length(int slot) {
        return lengths[slot];
    }

    /**
     * Sets how many bytes of {@link #buffer(int)} the slot sends; a slot that was sending from
     * elsewhere ({@link #sendFrom}) sends from its own buffer again.
     */
    public void setLength(int slot, int length) {
        if (length < 0 || length > bufferSize) {
            throw new IllegalArgumentException("length must be 0.." + bufferSize + ": " + length);
        }
        useOwnBuffer(slot);
        lengths[slot] = length;
    }

    /**
     * Makes the slot send {@code data[offset, offset + length)} instead of its own buffer: a sender
     * whose datagrams already lie back to back in memory of its own (sealed in place) saves the copy.
     * The memory is borrowed until the next send with this batch returns and must stay valid and
     * unchanged until then. The slot goes back to its own buffer with {@link #setLength} or the
     * next receive into it. {@link #buffer(int)} still returns the slot's own buffer.
     *
     * @throws IllegalArgumentException if {@code data} is not native memory, the range is outside it,
     *                                  or {@code length} exceeds {@link #MAX_BUFFER_SIZE}
     */
    public void sendFrom(int slot, MemorySegment data, long offset, int length) {
        if (!data.isNative() || offset < 0 || length < 0 || length > MAX_BUFFER_SIZE
                || offset + length > data.byteSize()) {
            throw new IllegalArgumentException("sendFrom needs " + length + " bytes of native memory at "
                    + offset + " (at most " + MAX_BUFFER_SIZE + "), segment of " + data.byteSize());
        }
        long address = data.address() + offset;
        externalAddresses[slot] = address;
        externalSegments[slot] = data;
        externalOffsets[slot] = offset;
        iovecs.set(SIZE_T, (long) slot * MsgHdr.IOVEC_SIZE + MsgHdr.IOV_BASE_OFFSET, address);
        lengths[slot] = length;
    }

    /**
     * The segment the slot's {@link #length} bytes are sent from, at {@link #sendOffset}: its own
     * buffer, or the memory given to {@link #sendFrom}. For senders that do not go through a socket
     * (in-memory test links). Borrowed like the slot.
     */
    public MemorySegment sendSegment(int slot) {
        MemorySegment external = externalSegments[slot];
        return external != null ? external : buffers[slot];
    }

    /** Where in {@link #sendSegment} the slot's bytes start. */
    public long sendOffset(int slot) {
        return externalSegments[slot] != null ? externalOffsets[slot] : 0;
    }

    private void useOwnBuffer(int slot) {
        if (externalAddresses[slot] != 0) {
            externalAddresses[slot] = 0;
            externalSegments[slot] = null;
            iovecs.set(ValueLayout.ADDRESS, (long) slot * MsgHdr.IOVEC_SIZE + MsgHdr.IOV_BASE_OFFSET, buffers[slot]);
        }
    }

    /** Receive: GRO segment size (0 = not coalesced). Send: GSO segment size (0 = no GSO). */
    public int segmentSize(int slot) {
        return segmentSizes[slot];
    }

    /**
     * Makes the slot one GSO send of {@code ceil(length / segmentSize)} datagrams of
     * {@code segmentSize} bytes (the last may be shorter); 0 sends the slot as one datagram.
     */
    public void setSegmentSize(int slot, int segmentSize) {
        if (segmentSize < 0 || segmentSize > 0xffff) {
            throw new IllegalArgumentException("segmentSize must be 0..65535: " + segmentSize);
        }
        segmentSizes[slot] = segmentSize;
    }

    /** Source on receive, destination on send; a preallocated flyweight borrowed from the batch. */
    public SockAddr remote(int slot) {
        return remotes[slot];
    }

    /** Our address the packet arrived at on receive, the source to send from (or empty) on send. */
    public SockAddr local(int slot) {
        return locals[slot];
    }

    /** Receive: index of the interface the packet arrived on (from pktinfo), 0 if unknown. */
    public int interfaceIndex(int slot) {
        return interfaces[slot];
    }

    /** Receive: whether the datagram was longer than the buffer and was cut. */
    public boolean truncated(int slot) {
        return (msgFlags[slot] & MsgHdr.MSG_TRUNC) != 0;
    }

    /** Frees every slot; nothing borrowed from this batch may be used afterwards. */
    @Override
    public void close() {
        arena.close();
    }

    /** The mmsghdr array starting at {@code slot}, for a call covering slots from there on. */
    MemorySegment headers(int slot) {
        return headerAt[slot];
    }

    /** Bytes of pktinfo control data at the start of the slot's control buffer (0 if none). */
    int packetInfoLength(int slot) {
        return packetInfoLengths[slot];
    }

    /** The slot's control buffer address, for headers built elsewhere (GSO fallback). */
    long controlAddress(int slot) {
        return controls.address() + (long) slot * CONTROL_SIZE;
    }

    /** Resets the in/out lengths the kernel overwrote for slots {@code [0, count)}. */
    void prepareReceive(int count) {
        for (int i = 0; i < count; i++) {
            long h = (long) i * MsgHdr.MMSGHDR_SIZE;
            useOwnBuffer(i);
            headers.set(INT, h + MsgHdr.NAMELEN_OFFSET, SockAddr.MAX_SIZE);
            headers.set(SIZE_T, h + MsgHdr.CONTROLLEN_OFFSET, CONTROL_SIZE);
            headers.set(INT, h + MsgHdr.FLAGS_OFFSET, 0);
            iovecs.set(SIZE_T, (long) i * MsgHdr.IOVEC_SIZE + MsgHdr.IOV_LEN_OFFSET, bufferSize);
        }
    }

    /** Reads lengths, flags and control messages of the {@code count} slots the kernel filled. */
    void completeReceive(int count) {
        for (int i = 0; i < count; i++) {
            long h = (long) i * MsgHdr.MMSGHDR_SIZE;
            lengths[i] = headers.get(INT, h + MsgHdr.MSG_LEN_OFFSET);
            msgFlags[i] = headers.get(INT, h + MsgHdr.FLAGS_OFFSET);
            if (headers.get(INT, h + MsgHdr.NAMELEN_OFFSET) == 0) {
                remotes[i].clear();
            }
            segmentSizes[i] = 0;
            interfaces[i] = 0;
            locals[i].clear();
            parseControl(i, headers.get(SIZE_T, h + MsgHdr.CONTROLLEN_OFFSET));
        }
    }

    private void parseControl(int slot, long used) {
        long base = (long) slot * CONTROL_SIZE;
        long end = base + Math.min(used, CONTROL_SIZE);
        long at = base;
        while (at + Cmsg.HEADER_SIZE <= end) {
            long len = Cmsg.length(controls, at);
            if (len < Cmsg.HEADER_SIZE || at + len > end) {
                return; // malformed or cut by MSG_CTRUNC: stop rather than read garbage
            }
            int level = Cmsg.level(controls, at);
            int type = Cmsg.type(controls, at);
            long data = at + Cmsg.DATA_OFFSET;
            if (level == Cmsg.SOL_UDP && type == Cmsg.UDP_GRO) {
                segmentSizes[slot] = controls.get(ValueLayout.JAVA_INT_UNALIGNED, data);
            } else if (level == Cmsg.SOL_IP && type == Cmsg.IP_PKTINFO) {
                interfaces[slot] = controls.get(ValueLayout.JAVA_INT_UNALIGNED, data + Cmsg.IN_PKTINFO_IFINDEX_OFFSET);
                int addr = controls.get(BE32, data + Cmsg.IN_PKTINFO_ADDR_OFFSET);
                locals[slot].setIpv4(addr, 0);
            } else if (level == Cmsg.SOL_IPV6 && type == Cmsg.IPV6_PKTINFO) {
                int ifindex = controls.get(ValueLayout.JAVA_INT_UNALIGNED, data + Cmsg.IN6_PKTINFO_IFINDEX_OFFSET);
                interfaces[slot] = ifindex;
                long high = controls.get(BE64, data + Cmsg.IN6_PKTINFO_ADDR_OFFSET);
                long low = controls.get(BE64, data + Cmsg.IN6_PKTINFO_ADDR_OFFSET + 8);
                // Only a link-local address needs its interface to be usable as a source again.
                boolean linkLocal = (high >>> 54) == (0xfe80L >>> 6);
                locals[slot].setIpv6(high, low, 0, linkLocal ? ifindex : 0);
            }
            at += Cmsg.align((int) len);
        }
    }

    /**
     * Fills the headers of slots {@code [first, first + count)} for {@code sendmmsg}: destination
     * length, iovec length and control messages (pktinfo first, then UDP_SEGMENT, so the GSO
     * fallback can reuse the pktinfo alone).
     *
     * @throws IllegalArgumentException if a slot has no destination (setup bug, not a packet error)
     */
    void prepareSend(int first, int count) {
        for (int i = first; i < first + count; i++) {
            long h = (long) i * MsgHdr.MMSGHDR_SIZE;
            int nameLength = remotes[i].length();
            if (nameLength == 0) {
                throw new IllegalArgumentException("send slot " + i + " has no destination address");
            }
            headers.set(INT, h + MsgHdr.NAMELEN_OFFSET, nameLength);
            iovecs.set(SIZE_T, (long) i * MsgHdr.IOVEC_SIZE + MsgHdr.IOV_LEN_OFFSET, lengths[i]);
            long control = (long) i * CONTROL_SIZE;
            int used = 0;
            SockAddr source = locals[i];
            int family = source.family();
            if (family == Sockets.AF_INET) {
                used += Cmsg.writeIpv4PacketInfo(controls, control, source);
            } else if (family == Sockets.AF_INET6) {
                used += Cmsg.writeIpv6PacketInfo(controls, control, source);
            }
            packetInfoLengths[i] = used;
            int gso = segmentSizes[i];
            if (gso > 0 && lengths[i] > gso) {
                used += Cmsg.writeUdpSegment(controls, control + used, gso);
            }
            headers.set(SIZE_T, h + MsgHdr.CONTROLLEN_OFFSET, used);
            headers.set(INT, h + MsgHdr.FLAGS_OFFSET, 0);
        }
    }

    /** Address of the slot's destination sockaddr, for headers built elsewhere (GSO fallback). */
    long remoteAddress(int slot) {
        return remotes[slot].segment().address() + remotes[slot].offset();
    }

    /** Address of the bytes the slot sends: its own buffer, or where {@link #sendFrom} pointed it. */
    long bufferAddress(int slot) {
        long external = externalAddresses[slot];
        return external != 0 ? external : buffers[slot].address();
    }
}
