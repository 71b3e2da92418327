package net.ipop.crypto.aead;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import net.ipop.crypto.Suite;

/**
 * The sending half of a session key: turns payloads into transport data messages in place.
 *
 * <p>Packet region: the caller leaves {@link TransportHeader#LENGTH} bytes of headroom at
 * {@code offset}, puts the payload right after it, and leaves {@link TransportHeader#TAG_LENGTH}
 * bytes after the payload. {@link #seal} writes the header into the headroom, replaces the payload
 * with ciphertext and appends the tag; the message is then {@code payloadLength + OVERHEAD} bytes at
 * {@code offset}. Segments are borrowed for the call only.
 *
 * <p>Each message takes the next counter, starting at 0. Once the counter reaches
 * {@link MessageLimits#REKEY_AFTER_MESSAGES} {@link #needsRekey()} turns true; at
 * {@link MessageLimits#REJECT_AFTER_MESSAGES} sealing stops with {@link PacketResult#KEY_EXHAUSTED}.
 *
 * <p>Threading: owned by one thread, the same one that owns its {@link AeadScratch}; retire it
 * ({@link #close()}) on that thread or after that thread stopped using it. Results, not exceptions,
 * report per-packet outcomes. With OpenSSL ({@link AeadImplementation}) nothing on the sealing path
 * allocates and a native packet is encrypted where it lies; on the JDK fallback the cipher init
 * allocates inside the JDK (docs/performance.md) and the payload is copied through the scratch.
 */
public final class PacketSealer implements AutoCloseable {
    private final Suite suite;
    private final int type;
    private final int receiverIndex;
    private final JceAead aead;
    private final OpenSslAead openSsl;
    private final AeadScratch scratch;
    private final TransportHeader header = new TransportHeader();
    private long nextCounter;
    private boolean retired;

    /**
     * @param suite the session's suite
     * @param key the 32-byte sending key; copied, so the caller should wipe its array
     * @param receiverIndex the index the peer assigned to this session (written in every header)
     * @param scratch the owning thread's scratch
     */
    public PacketSealer(Suite suite, byte[] key, int receiverIndex, AeadScratch scratch) {
        this(suite, key, receiverIndex, scratch, OpenSslAead.available());
    }

    /** As the public constructor, with the implementation chosen by the caller (tests run both). */
    PacketSealer(Suite suite, byte[] key, int receiverIndex, AeadScratch scratch, boolean useOpenSsl) {
        this.suite = suite;
        this.type = TransportHeader.dataType(suite);
        this.receiverIndex = receiverIndex;
        this.aead = useOpenSsl ? null : new JceAead(suite, key);
        this.openSsl = useOpenSsl ? new OpenSslAead(suite, key, true) : null;
        if (useOpenSsl) {
            scratch.nativeBuffer();
        }
        this.scratch = scratch;
    }

    /**
     * Seals one packet in place (see the class comment for the region).
     *
     * @param packet segment holding the region
     * @param offset where the header goes; the payload starts at {@code offset + 16}
     * @param payloadLength plaintext bytes
     * @return the message length ({@code payloadLength + 32}), or {@link PacketResult#RETIRED},
     *     {@link PacketResult#KEY_EXHAUSTED}, {@link PacketResult#TOO_LARGE}
     */
    public int seal(MemorySegment packet, long offset, int payloadLength) {
        if (retired) {
            return PacketResult.RETIRED;
        }
        if (payloadLength < 0 || payloadLength > scratch.maxPayload() || offset < 0
                || packet.byteSize() - offset < (long) payloadLength + TransportHeader.OVERHEAD) {
            return PacketResult.TOO_LARGE;
        }
        long counter = nextCounter;
        if (MessageLimits.mustReject(counter)) {
            return PacketResult.KEY_EXHAUSTED;
        }
        nextCounter = counter + 1;
        long payloadAt = offset + TransportHeader.LENGTH;
        if (openSsl != null) {
            sealOpenSsl(counter, packet, payloadAt, payloadLength);
        } else {
            sealJdk(counter, packet, payloadAt, payloadLength);
        }
        header.wrap(packet, offset).type(type).receiverIndex(receiverIndex).counter(counter);
        return payloadLength + TransportHeader.OVERHEAD;
    }

    private void sealOpenSsl(long counter, MemorySegment packet, long payloadAt, int payloadLength) {
        if (packet.isNative()) {
            openSsl.seal(counter, packet, payloadAt, payloadLength);
        } else {
            // Heap packets (tests, tools) bounce through the scratch: OpenSSL needs an address.
            MemorySegment bounce = scratch.nativeBuffer();
            MemorySegment.copy(packet, payloadAt, bounce, 0, payloadLength);
            openSsl.seal(counter, bounce, 0, payloadLength);
            MemorySegment.copy(bounce, 0, packet, payloadAt, payloadLength + TransportHeader.TAG_LENGTH);
        }
    }

    private void sealJdk(long counter, MemorySegment packet, long payloadAt, int payloadLength) {
        // In place in one array: encryption has no in-place penalty, and one array touches less cache.
        byte[] buf = scratch.in;
        MemorySegment.copy(packet, ValueLayout.JAVA_BYTE, payloadAt, buf, 0, payloadLength);
        aead.seal(counter, buf, 0, payloadLength, buf, 0);
        MemorySegment.copy(buf, 0, packet, ValueLayout.JAVA_BYTE, payloadAt,
                payloadLength + TransportHeader.TAG_LENGTH);
    }

    /**
     * Seals {@code count} packets; packet {@code i} is {@code packets[i]} at {@code offsets[i]} with
     * {@code payloadLengths[i]} bytes of payload, and its outcome (as {@link #seal}) lands in
     * {@code results[i]}. Counters are assigned in array order. The arrays are borrowed for the call.
     *
     * @return how many packets were sealed
     */
    public int sealBatch(MemorySegment[] packets, long[] offsets, int[] payloadLengths, int count, int[] results) {
        int sealed = 0;
        for (int i = 0; i < count; i++) {
            int r = seal(packets[i], offsets[i], payloadLengths[i]);
            results[i] = r;
            if (r >= 0) {
                sealed++;
            }
        }
        return sealed;
    }

    public Suite suite() {
        return suite;
    }

    /** The counter the next message will carry (unsigned). */
    public long nextCounter() {
        return nextCounter;
    }

    /** True once this key has sent enough messages that a new handshake should start. */
    public boolean needsRekey() {
        return MessageLimits.needsRekey(nextCounter);
    }

    /** True once this key may send nothing more. */
    public boolean exhausted() {
        return MessageLimits.mustReject(nextCounter);
    }

    public boolean isRetired() {
        return retired;
    }

    /** Retires the key: zeroes it (and the JDK's copies); every later seal returns RETIRED. Idempotent. */
    @Override
    public void close() {
        if (!retired) {
            retired = true;
            if (openSsl != null) {
                openSsl.wipe();
            } else {
                aead.wipe();
            }
        }
    }

    /** Test hook: jump the counter to exercise the limits without sending 2^60 messages. */
    void nextCounter(long counter) {
        this.nextCounter = counter;
    }

    boolean keyZeroed() {
        return openSsl != null ? openSsl.keyZeroed() : aead.keyZeroed();
    }
}
