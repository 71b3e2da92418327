package net.ipop.ffm.uring;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Offsets of {@code struct io_uring_params} and its {@code io_sqring_offsets} /
 * {@code io_cqring_offsets} members, mirroring include/uapi/linux/io_uring.h (120 bytes).
 *
 * <p>The ring offsets are byte offsets into the ring mappings, filled by {@code io_uring_setup}.
 * Note that {@code ring_mask} and {@code ring_entries} are offsets too: the values live in the
 * mapping, not in this struct.
 */
final class UringParams {
    static final int SIZE = 120;

    static final long SQ_ENTRIES_OFFSET = 0;
    static final long CQ_ENTRIES_OFFSET = 4;
    static final long FLAGS_OFFSET = 8;
    static final long FEATURES_OFFSET = 20;
    static final long SQ_OFF_OFFSET = 40;
    static final long CQ_OFF_OFFSET = 80;

    // struct io_sqring_offsets, relative to SQ_OFF_OFFSET.
    static final long SQ_HEAD = 0;
    static final long SQ_TAIL = 4;
    static final long SQ_RING_MASK = 8;
    static final long SQ_RING_ENTRIES = 12;
    static final long SQ_FLAGS = 16;
    static final long SQ_DROPPED = 20;
    static final long SQ_ARRAY = 24;

    // struct io_cqring_offsets, relative to CQ_OFF_OFFSET.
    static final long CQ_HEAD = 0;
    static final long CQ_TAIL = 4;
    static final long CQ_RING_MASK = 8;
    static final long CQ_RING_ENTRIES = 12;
    static final long CQ_OVERFLOW = 16;
    static final long CQ_CQES = 20;

    private UringParams() {
    }

    /** A u32 field of the params struct (all fields the ring needs are u32; values fit in an int). */
    static int u32(MemorySegment params, long offset) {
        return params.get(ValueLayout.JAVA_INT, offset);
    }

    static int sqOff(MemorySegment params, long field) {
        return u32(params, SQ_OFF_OFFSET + field);
    }

    static int cqOff(MemorySegment params, long field) {
        return u32(params, CQ_OFF_OFFSET + field);
    }
}
