package net.ipop.crypto.aead;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import net.ipop.crypto.Suite;
import net.ipop.crypto.replay.ReplayWindow;

/**
 * The receiving half of a session key: checks and decrypts transport data messages in place.
 *
 * <p>Order of checks, cheapest first: length, type (must be this suite's), receiver index (must be
 * this key's local index), replay window (a counter already seen or too old is dropped before any
 * crypto), tag. Only after the tag verifies is the counter marked seen, so a forged packet cannot
 * burn a counter. The plaintext then replaces the ciphertext at {@code offset + 16}; on any failure
 * the packet region's payload bytes are unchanged.
 *
 * <p>No associated data, as in WireGuard: every header field is still bound. The counter is the
 * nonce (altering it fails the tag), the receiver index and type must equal this opener's (altering
 * them gives {@link PacketResult#MALFORMED}, or routes the packet to a key that fails the tag).
 *
 * <p>Threading: owned by one thread, the one owning its {@link AeadScratch}; retire it
 * ({@link #close()}) on that thread or after it stopped using it. Segments and arrays are borrowed
 * for the call only. Per-packet outcomes are results, never exceptions. With OpenSSL
 * ({@link AeadImplementation}) nothing allocates, forged packets included; on the JDK fallback the
 * cipher init allocates and a failed tag costs an {@code AEADBadTagException}.
 */
public final class PacketOpener implements AutoCloseable {
    private final Suite suite;
    private final int type;
    private final int localIndex;
    private final JceAead aead;
    private final NativeAead nativeAead;
    private final AeadScratch scratch;
    private final ReplayWindow window = new ReplayWindow(MessageLimits.REJECT_AFTER_MESSAGES);
    private final TransportHeader header = new TransportHeader();
    /** OpenSSL decrypts in the packet itself (see {@link #decryptingInPlace}). */
    private final boolean inPlace;
    private boolean retired;

    /**
     * @param suite the session's suite
     * @param key the 32-byte receiving key; copied, so the caller should wipe its array
     * @param localIndex the index this side assigned to the session (expected in every header)
     * @param scratch the owning thread's scratch
     */
    public PacketOpener(Suite suite, byte[] key, int localIndex, AeadScratch scratch) {
        this(suite, key, localIndex, scratch, OpenSslAead.available());
    }

    /** As the public constructor, with the implementation chosen by the caller (tests run both). */
    PacketOpener(Suite suite, byte[] key, int localIndex, AeadScratch scratch, boolean useOpenSsl) {
        this(suite, key, localIndex, scratch, useOpenSsl, false);
    }

    /**
     * An opener for a caller that drops whatever fails: with OpenSSL it decrypts where the
     * ciphertext lies, saving the copy through the scratch, so a message that fails its tag is left
     * with garbage in its payload bytes (its header and the replay window are untouched, as always).
     * The JDK fallback behaves as {@link #PacketOpener(Suite, byte[], int, AeadScratch)}.
     */
    public static PacketOpener decryptingInPlace(Suite suite, byte[] key, int localIndex, AeadScratch scratch) {
        return new PacketOpener(suite, key, localIndex, scratch, OpenSslAead.available(), true);
    }

    /** Test hook: {@link #decryptingInPlace} with the implementation chosen by the caller. */
    static PacketOpener decryptingInPlace(Suite suite, byte[] key, int localIndex, AeadScratch scratch,
                                          boolean useOpenSsl) {
        return new PacketOpener(suite, key, localIndex, scratch, useOpenSsl, true);
    }

    private PacketOpener(Suite suite, byte[] key, int localIndex, AeadScratch scratch, boolean useOpenSsl,
                         boolean inPlace) {
        this.inPlace = inPlace && useOpenSsl;
        this.suite = suite;
        this.type = TransportHeader.dataType(suite);
        this.localIndex = localIndex;
        this.aead = useOpenSsl ? null : new JceAead(suite, key);
        this.nativeAead = useOpenSsl ? NativeAead.of(suite, key, false) : null;
        if (useOpenSsl) {
            scratch.nativeBuffer();
        }
        this.scratch = scratch;
    }

    /**
     * Opens one message in place.
     *
     * @param packet segment holding the message
     * @param offset where the header starts
     * @param packetLength message bytes (header, ciphertext, tag)
     * @return the payload length (plaintext at {@code offset + 16}), or {@link PacketResult#RETIRED},
     *     {@link PacketResult#MALFORMED}, {@link PacketResult#TOO_LARGE},
     *     {@link PacketResult#KEY_EXHAUSTED}, {@link PacketResult#REPLAYED},
     *     {@link PacketResult#AUTH_FAILED}
     */
    public int open(MemorySegment packet, long offset, int packetLength) {
        if (retired) {
            return PacketResult.RETIRED;
        }
        if (packetLength < TransportHeader.OVERHEAD || offset < 0 || packet.byteSize() - offset < packetLength) {
            return PacketResult.MALFORMED;
        }
        int payloadLength = packetLength - TransportHeader.OVERHEAD;
        if (payloadLength > scratch.maxPayload()) {
            return PacketResult.TOO_LARGE;
        }
        header.wrap(packet, offset);
        if (header.type() != type || header.receiverIndex() != localIndex) {
            return PacketResult.MALFORMED;
        }
        long counter = header.counter();
        if (MessageLimits.mustReject(counter)) {
            return PacketResult.KEY_EXHAUSTED;
        }
        if (!window.check(counter)) {
            return PacketResult.REPLAYED;
        }
        long payloadAt = offset + TransportHeader.LENGTH;
        if (nativeAead != null ? !openOpenSsl(counter, packet, payloadAt, payloadLength)
                : !openJdk(counter, packet, payloadAt, payloadLength)) {
            return PacketResult.AUTH_FAILED;
        }
        if (!window.accept(counter)) {
            return PacketResult.REPLAYED;
        }
        if (nativeAead != null) {
            if (!inPlace || !packet.isNative()) {
                MemorySegment.copy(scratch.nativeBuffer(), 0, packet, payloadAt, payloadLength);
            }
        } else {
            MemorySegment.copy(scratch.out, 0, packet, ValueLayout.JAVA_BYTE, payloadAt, payloadLength);
        }
        return payloadLength;
    }

    /** Decrypts into the scratch's native buffer (the packet is untouched), or in place. */
    private boolean openOpenSsl(long counter, MemorySegment packet, long payloadAt, int payloadLength) {
        MemorySegment plain = scratch.nativeBuffer();
        if (packet.isNative()) {
            return inPlace ? nativeAead.openInPlace(counter, packet, payloadAt, payloadLength)
                    : nativeAead.open(counter, packet, payloadAt, payloadLength, plain);
        }
        // Heap packets (tests, tools): OpenSSL needs an address, so decrypt a copy in place.
        MemorySegment.copy(packet, payloadAt, plain, 0, payloadLength + TransportHeader.TAG_LENGTH);
        return nativeAead.open(counter, plain, 0, payloadLength, plain);
    }

    /** Decrypts into {@code scratch.out}; the packet is untouched. */
    private boolean openJdk(long counter, MemorySegment packet, long payloadAt, int payloadLength) {
        int sealedLength = payloadLength + TransportHeader.TAG_LENGTH;
        byte[] in = scratch.in;
        byte[] out = scratch.out;
        MemorySegment.copy(packet, ValueLayout.JAVA_BYTE, payloadAt, in, 0, sealedLength);
        return aead.open(counter, in, 0, sealedLength, out, 0);
    }

    /**
     * Opens {@code count} messages; message {@code i} is {@code packets[i]} at {@code offsets[i]},
     * {@code packetLengths[i]} bytes long, and its outcome (as {@link #open}) lands in
     * {@code results[i]}. A counter repeated within the batch is delivered once. The arrays are
     * borrowed for the call.
     *
     * @return how many messages were opened (results {@code >= 0})
     */
    public int openBatch(MemorySegment[] packets, long[] offsets, int[] packetLengths, int count, int[] results) {
        int opened = 0;
        for (int i = 0; i < count; i++) {
            int r = open(packets[i], offsets[i], packetLengths[i]);
            results[i] = r;
            if (r >= 0) {
                opened++;
            }
        }
        return opened;
    }

    public Suite suite() {
        return suite;
    }

    /** The highest counter accepted so far (unsigned). */
    public long highestCounter() {
        return window.highest();
    }

    public boolean isRetired() {
        return retired;
    }

    /** Retires the key: zeroes it (and the JDK's copies); every later open returns RETIRED. Idempotent. */
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

    boolean keyZeroed() {
        return nativeAead != null ? nativeAead.keyZeroed() : aead.keyZeroed();
    }
}
