package net.ipop.dataplane.pipeline;

import java.lang.foreign.MemorySegment;

import net.ipop.dataplane.packet.ChannelData;
import net.ipop.dataplane.session.Peer;
import net.ipop.ffm.udp.MessageBatch;
import net.ipop.ffm.udp.UdpSocket;

/**
 * Packs sealed datagrams into the slots of a send batch, grouped per peer for UDP GSO: consecutive
 * datagrams to one peer share a slot while they have the slot's segment size; a shorter one is
 * added as the slot's last (GSO cuts every segment but the last at full size) and closes it. A
 * slot holds at most {@link UdpSocket#MAX_SEGMENTS} datagrams and {@link #MAX_SLOT_BYTES} bytes. A
 * full batch goes to the {@link DatagramSink} at once; {@link #flush} sends the rest.
 *
 * <p>No copy when the sender lays datagrams out back to back ({@link OutboundPath} seals them in
 * place in its sealing area): a slot whose datagrams each start where the previous one ended, in
 * the same segment, is sent straight from that memory ({@link MessageBatch#sendFrom}). A datagram
 * that does not continue the slot that way moves the slot into the batch's own buffer (one copy of
 * what it holds) and is copied after it.
 *
 * <p>A peer reached through a TURN server ({@link net.ipop.dataplane.session.PeerEndpoint#relayed()}) gets
 * each datagram framed as {@link ChannelData} and its slots go to the TURN server. With
 * {@link #addWithHeadroom} the caller lends the 4 bytes in front of the datagram and the header is written
 * there, so a sealing area laid out with that headroom is still sent in place, one GSO slot of equal-sized
 * framed datagrams (no padding over UDP, RFC 8656 section 12.5); with {@link #add} the header and the
 * datagram are copied into the batch's buffer.
 *
 * <p>Threading: the owning pipeline thread only. The batch is owned by the pipeline and borrowed
 * here. The memory passed to {@link #add} and {@link #addWithHeadroom} is borrowed until the slot holding it
 * has been sent: at the latest when the next {@link #flush} returns; it must not change before.
 * {@link #addKeepalive} and {@link #addCopy} copy instead. No allocation.
 */
final class GsoBatcher {
    /** Largest GSO payload we put in one slot: below the 64 KiB IP datagram limit with headers. */
    static final int MAX_SLOT_BYTES = 65000;

    private final PathStats stats;
    private final DatagramSink sender;
    private final MessageBatch batch;
    private final int slotLimit;
    /** Datagrams per slot: {@link UdpSocket#MAX_SEGMENTS}, or 1 without GSO. */
    private final int maxSegments;
    /** Slots complete and waiting for the sender. */
    private int slots;
    /** The slot being filled: its peer (null = none), datagram count, bytes, segment size. */
    private Peer peer;
    private int count;
    private int length;
    private int segment;
    /** Per closed slot: its peer and how many of its datagrams the sender counted as sent to that peer. */
    private final Peer[] slotPeers;
    private final int[] slotCounted;
    private int counted;
    /** Whether the slot's last datagram was short, so nothing more may follow it. */
    private boolean ended;
    /** Where the slot's datagrams lie when they are sent in place; null once copied into the batch. */
    private MemorySegment inPlace;
    private long inPlaceAt;

    GsoBatcher(PathStats stats, DatagramSink sender, MessageBatch batch) {
        this(stats, sender, batch, UdpSocket.MAX_SEGMENTS);
    }

    /** @param maxSegments datagrams per slot, 1..{@link UdpSocket#MAX_SEGMENTS}; 1 sends without GSO */
    GsoBatcher(PathStats stats, DatagramSink sender, MessageBatch batch, int maxSegments) {
        if (maxSegments < 1 || maxSegments > UdpSocket.MAX_SEGMENTS) {
            throw new IllegalArgumentException("maxSegments must be 1.." + UdpSocket.MAX_SEGMENTS + ": " + maxSegments);
        }
        this.maxSegments = maxSegments;
        this.stats = stats;
        this.sender = sender;
        this.batch = batch;
        this.slotLimit = Math.min(MAX_SLOT_BYTES, batch.bufferSize());
        this.slotPeers = new Peer[batch.capacity()];
        this.slotCounted = new int[batch.capacity()];
    }

    /**
     * Adds the datagram {@code from[at, at + datagramLength)} for {@code to}. For a relayed peer it is
     * copied behind a ChannelData header; the memory before {@code at} is not touched.
     */
    void add(Peer to, MemorySegment from, long at, int datagramLength) {
        add(to, from, at, datagramLength, false, true, false);
    }

    /**
     * As {@link #add}, and for a relayed peer the ChannelData header is written into
     * {@code from[at - ChannelData.HEADER_LENGTH, at)}, which the caller lends for that (it belongs to no
     * other datagram still waiting to be sent); for a direct peer those bytes are not touched.
     */
    void addWithHeadroom(Peer to, MemorySegment from, long at, int datagramLength) {
        add(to, from, at, datagramLength, true, true, false);
    }

    /**
     * As {@link #addWithHeadroom} for a datagram the caller did not count as an inner packet sent to the peer
     * (a keepalive): if its send fails it is counted per reason only, not for the peer. The datagram is copied
     * into the batch, so {@code from} may be sealed again for the next peer at once: it is not borrowed.
     */
    void addKeepalive(Peer to, MemorySegment from, long at, int datagramLength) {
        add(to, from, at, datagramLength, true, false, true);
    }

    /**
     * As {@link #add}, but the datagram is copied into the batch: {@code from} is not borrowed, so a caller that
     * builds each of its datagrams in one scratch buffer (ICMP errors) may reuse it at once.
     */
    void addCopy(Peer to, MemorySegment from, long at, int datagramLength) {
        add(to, from, at, datagramLength, false, true, true);
    }

    /**
     * @param peerCounted whether the caller counted the datagram as sent to {@code to} ({@link PathStats#peerSent}):
     *     then a failed send is counted as that peer's drop too, so the peer's sent = its delivered + its drops
     * @param copy whether the datagram goes into the batch's buffer now instead of being sent from {@code from}
     */
    private void add(Peer to, MemorySegment from, long at, int datagramLength, boolean headroom,
                     boolean peerCounted, boolean copy) {
        int channel = to.endpoint().channel();
        int framing = channel == 0 ? 0 : ChannelData.HEADER_LENGTH;
        int wire = datagramLength + framing;
        long start = at;
        // Without headroom the header can only be put in front in the batch's own buffer.
        boolean copyFramed = framing != 0 && !headroom;
        boolean copied = copyFramed || copy;
        if (framing != 0 && headroom) {
            start = at - framing;
            ChannelData.writeHeader(from, start, channel, datagramLength);
        }
        boolean fits = peer == to && !ended && wire <= segment
                && length + wire <= slotLimit && count < maxSegments;
        if (!fits) {
            closeSlot();
            if (slots == batch.capacity()) {
                send();
            }
            peer = to;
            count = 0;
            counted = 0;
            length = 0;
            segment = wire;
            inPlace = copied ? null : from;
            inPlaceAt = start;
        } else if (inPlace != null && (copied || inPlace != from || inPlaceAt + length != start)) {
            MemorySegment.copy(inPlace, inPlaceAt, batch.buffer(slots), 0, length);
            inPlace = null;
        }
        if (inPlace == null) {
            MemorySegment slot = batch.buffer(slots);
            if (copyFramed) {
                ChannelData.writeHeader(slot, length, channel, datagramLength);
                MemorySegment.copy(from, at, slot, length + framing, datagramLength);
            } else {
                MemorySegment.copy(from, start, slot, length, wire);
            }
        }
        length += wire;
        count++;
        if (peerCounted) {
            counted++;
        }
        ended = wire < segment;
        stats.datagramsSent++;
        stats.bytesSent += wire;
    }

    /** Sends every slot filled so far; at the end of each pipeline cycle. */
    void flush() {
        closeSlot();
        if (slots > 0) {
            send();
        }
    }

    private void closeSlot() {
        if (peer == null) {
            return;
        }
        if (inPlace != null) {
            batch.sendFrom(slots, inPlace, inPlaceAt, length);
            inPlace = null;
        } else {
            batch.setLength(slots, length);
        }
        batch.setSegmentSize(slots, count > 1 ? segment : 0);
        batch.remote(slots).copyFrom(peer.endpoint().destination());
        batch.local(slots).clear();
        slotPeers[slots] = peer;
        slotCounted[slots] = counted;
        slots++;
        stats.slotsSent++;
        peer = null;
    }

    private void send() {
        int dropped = sender.send(batch, slots);
        if (dropped > 0) {
            stats.datagramsSent -= dropped;
            // The peer's sent counter already has these datagrams (counted when sealed): count them as its drops
            // too, or its sent would exceed what the far end received plus every drop anyone counted.
            int unattributed = dropped;
            for (int i = 0; i < slots; i++) {
                if (sender.refused(i)) {
                    int peerSlot = slotPeers[i].slot();
                    for (int d = 0; d < slotCounted[i]; d++) {
                        stats.peerDrop(peerSlot, DropReason.SEND_FAILED);
                    }
                    unattributed -= slotCounted[i];
                }
            }
            stats.drop(DropReason.SEND_FAILED, unattributed);
        }
        for (int i = 0; i < slots; i++) {
            slotPeers[i] = null; // no reference to a removed peer outlives the send
        }
        slots = 0;
    }
}
