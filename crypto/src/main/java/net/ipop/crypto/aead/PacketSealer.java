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
 * <p>Several sealers may share one key's {@link SendCounter} (one sealer per pipeline thread, each
 * with its own cipher context and scratch): a batch of messages then reserves its counters with
 * one atomic add ({@link #reserve}) and seals with them ({@link #sealWith}); no counter is used
 * twice across the sealers.
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
    private final NativeAead nativeAead;
    private final AeadScratch scratch;
    private final TransportHeader header = new TransportHeader();
    private final SendCounter counter;
    private boolean retired;

    /**
     * @param suite the session's suite
     * @param key the 32-byte sending key; copied, so the caller should wipe its array
     * @param receiverIndex the index the peer assigned to this session (written in every header)
     * @param scratch the owning thread's scratch
     */
    public PacketSealer(Suite suite, byte[] key, int receiverIndex, AeadScratch scratch) {
        this(suite, key, receiverIndex, scratch, new SendCounter());
    }

    /**
     * A sealer sharing {@code counter} with the key's other sealers (see the class comment).
     *
     * @param counter the key's counter, shared by every sealer of this key
     */
    public PacketSealer(Suite suite, byte[] key, int receiverIndex, AeadScratch scratch, SendCounter counter) {
        this(suite, key, receiverIndex, scratch, OpenSslAead.available(), counter);
    }

    /** As the public constructor, with the implementation chosen by the caller (tests run both). */
    PacketSealer(Suite suite, byte[] key, int receiverIndex, AeadScratch scratch, boolean useOpenSsl) {
        this(suite, key, receiverIndex, scratch, useOpenSsl, new SendCounter());
    }

    private PacketSealer(Suite suite, byte[] key, int receiverIndex, AeadScratch scratch, boolean useOpenSsl,
                         SendCounter counter) {
        this.counter = counter;
        this.suite = suite;
        this.type = TransportHeader.dataType(suite);
        this.receiverIndex = receiverIndex;
        this.aead = useOpenSsl ? null : new JceAead(suite, key);
        this.nativeAead = useOpenSsl ? NativeAead.of(suite, key, true) : null;
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
        if (!fits(packet, offset, payloadLength)) {
            return PacketResult.TOO_LARGE;
        }
        long reserved = counter.reserve(1);
        if (reserved == -1) {
            return PacketResult.KEY_EXHAUSTED;
        }
        return sealAt(reserved, packet, offset, payloadLength);
    }

    /**
     * Reserves {@code count} consecutive counters for {@link #sealWith}, with one atomic add on the
     * shared counter. Use them right away (a reservation held back while other sealers of the key go
     * on would land behind the receiver's replay window); counters left unused are simply skipped.
     *
     * @param count 1..{@link SendCounter#MAX_RESERVATION}
     * @return the first counter, or -1 when the key is exhausted ({@link #exhausted()})
     */
    public long reserve(int count) {
        return counter.reserve(count);
    }

    /**
     * Seals one packet in place, as {@link #seal}, with {@code reservedCounter}, a value from
     * {@link #reserve} that was not used before.
     *
     * @return the message length, or {@link PacketResult#RETIRED}, {@link PacketResult#TOO_LARGE}
     */
    public int sealWith(long reservedCounter, MemorySegment packet, long offset, int payloadLength) {
        if (retired) {
            return PacketResult.RETIRED;
        }
        if (!fits(packet, offset, payloadLength)) {
            return PacketResult.TOO_LARGE;
        }
        if (MessageLimits.mustReject(reservedCounter)) {
            return PacketResult.KEY_EXHAUSTED;
        }
        return sealAt(reservedCounter, packet, offset, payloadLength);
    }

    private boolean fits(MemorySegment packet, long offset, int payloadLength) {
        return payloadLength >= 0 && payloadLength <= scratch.maxPayload() && offset >= 0
                && packet.byteSize() - offset >= (long) payloadLength + TransportHeader.OVERHEAD;
    }

    private int sealAt(long counter, MemorySegment packet, long offset, int payloadLength) {
        long payloadAt = offset + TransportHeader.LENGTH;
        if (nativeAead != null) {
            sealOpenSsl(counter, packet, payloadAt, payloadLength);
        } else {
            sealJdk(counter, packet, payloadAt, payloadLength);
        }
        header.wrap(packet, offset).type(type).receiverIndex(receiverIndex).counter(counter);
        return payloadLength + TransportHeader.OVERHEAD;
    }

    private void sealOpenSsl(long counter, MemorySegment packet, long payloadAt, int payloadLength) {
        if (packet.isNative()) {
            nativeAead.seal(counter, packet, payloadAt, payloadLength);
        } else {
            // Heap packets (tests, tools) bounce through the scratch: OpenSSL needs an address.
            MemorySegment bounce = scratch.nativeBuffer();
            MemorySegment.copy(packet, payloadAt, bounce, 0, payloadLength);
            nativeAead.seal(counter, bounce, 0, payloadLength);
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

    /** The counter the next message will carry (unsigned); with a shared counter, a racy snapshot. */
    public long nextCounter() {
        return counter.next();
    }

    /** True once this key has sent enough messages that a new handshake should start. */
    public boolean needsRekey() {
        return MessageLimits.needsRekey(counter.next());
    }

    /** True once this key may send nothing more. */
    public boolean exhausted() {
        return MessageLimits.mustReject(counter.next());
    }

    public boolean isRetired() {
        return retired;
    }

    /** Retires the key: zeroes it (and the JDK's copies); every later seal returns RETIRED. Idempotent. */
    @Override
    public void close() {
        if (!retired) {
            retired = true;
            if (nativeAead != null) {
                nativeAead.wipe();
            } else {
                aead.wipe();
            }
        }
    }

    /** Test hook: jump the counter to exercise the limits without sending 2^60 messages. */
    void nextCounter(long value) {
        counter.next(value);
    }

    boolean keyZeroed() {
        return nativeAead != null ? nativeAead.keyZeroed() : aead.keyZeroed();
    }
}
