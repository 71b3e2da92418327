package net.ipop.crypto.aead;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import net.ipop.crypto.MessageTypes;
import net.ipop.crypto.Suite;

/**
 * Flyweight over the 16-byte header of a transport data message, the layout of WireGuard's
 * {@code message_data} (type, receiver index, counter; all little-endian), followed on the wire by
 * the ciphertext and a {@value #TAG_LENGTH}-byte tag:
 *
 * <pre>
 *   0       4                8                16            16+n       16+n+16
 *   | type  | receiver index | counter        | ciphertext  | tag        |
 * </pre>
 *
 * <p>The type field tells the suites apart ({@link MessageTypes#data(Suite)}): WireGuard's data
 * type for ChaCha20-Poly1305 and IPOP's own for AES-256-GCM, so a packet of one suite is never fed
 * to the other. {@link MessageTypes} is the one place the type values are defined.
 *
 * <p>Usage: {@link #wrap} then read or write; the flyweight borrows the segment until the next
 * {@code wrap} and holds no other state. Not thread-safe; one per thread. Never allocates.
 */
public final class TransportHeader {
    public static final int TYPE_OFFSET = 0;
    public static final int RECEIVER_INDEX_OFFSET = 4;
    public static final int COUNTER_OFFSET = 8;
    /** Header bytes before the ciphertext: the headroom a sender must leave before the payload. */
    public static final int LENGTH = 16;
    /** AEAD tag bytes after the ciphertext (both suites). */
    public static final int TAG_LENGTH = 16;
    /** Header plus tag: a transport message is this much longer than its payload. */
    public static final int OVERHEAD = LENGTH + TAG_LENGTH;

    private static final ValueLayout.OfInt INT_LE =
            ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong LONG_LE =
            ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private MemorySegment segment = MemorySegment.NULL;
    private long offset;

    /** The data message type carrying packets of this suite. */
    public static int dataType(Suite suite) {
        return MessageTypes.data(suite);
    }

    /**
     * Points this flyweight at a header; the caller guarantees {@code LENGTH} bytes at
     * {@code offset} (accessors throw {@link IndexOutOfBoundsException} otherwise).
     */
    public TransportHeader wrap(MemorySegment segment, long offset) {
        this.segment = segment;
        this.offset = offset;
        return this;
    }

    public int type() {
        return segment.get(INT_LE, offset + TYPE_OFFSET);
    }

    public TransportHeader type(int type) {
        segment.set(INT_LE, offset + TYPE_OFFSET, type);
        return this;
    }

    /** The index the receiver chose for this session (it names the key to use). */
    public int receiverIndex() {
        return segment.get(INT_LE, offset + RECEIVER_INDEX_OFFSET);
    }

    public TransportHeader receiverIndex(int index) {
        segment.set(INT_LE, offset + RECEIVER_INDEX_OFFSET, index);
        return this;
    }

    /** The message counter (unsigned 64-bit); it is also the AEAD nonce. */
    public long counter() {
        return segment.get(LONG_LE, offset + COUNTER_OFFSET);
    }

    public TransportHeader counter(long counter) {
        segment.set(LONG_LE, offset + COUNTER_OFFSET, counter);
        return this;
    }
}
