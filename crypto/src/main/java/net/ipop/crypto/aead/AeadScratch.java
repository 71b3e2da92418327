package net.ipop.crypto.aead;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;

/**
 * The buffers a thread's sealers and openers copy packets through. JDK path: heap arrays, because
 * the JDK ciphers are fastest on heap arrays and packets live off-heap. OpenSSL path
 * ({@link AeadImplementation}): one off-heap buffer that openers decrypt into, so a forged packet
 * never changes the caller's bytes. Decryption uses separate input and output arrays because
 * the JDK's in-place GCM decryption skips its fastest (AVX-512) path (half the speed at 64 KiB,
 * docs/performance.md); encryption works in place in {@code in}.
 *
 * <p>Owned by one thread: every {@link PacketSealer} and {@link PacketOpener} built on it must be
 * used only by that thread. Contents between calls are meaningless (they hold the last plaintext;
 * {@link #wipe()} clears it when the thread stops).
 */
public final class AeadScratch {
    /** Largest payload any transport message can carry (a 64 KiB offloaded super-packet). */
    public static final int MAX_PAYLOAD = 65535;

    final byte[] in;
    final byte[] out;
    private final int maxPayload;
    private MemorySegment nativeBuffer;

    /** Scratch for payloads up to {@link #MAX_PAYLOAD} bytes. */
    public AeadScratch() {
        this(MAX_PAYLOAD);
    }

    /** Scratch for payloads up to {@code maxPayload} bytes (uses about twice that in heap). */
    public AeadScratch(int maxPayload) {
        if (maxPayload < 0 || maxPayload > MAX_PAYLOAD) {
            throw new IllegalArgumentException("maxPayload must be 0.." + MAX_PAYLOAD + ", got " + maxPayload);
        }
        this.maxPayload = maxPayload;
        this.in = new byte[maxPayload + TransportHeader.TAG_LENGTH];
        this.out = new byte[maxPayload + TransportHeader.TAG_LENGTH];
    }

    /** Largest payload, in bytes, this scratch can carry. */
    public int maxPayload() {
        return maxPayload;
    }

    /**
     * The off-heap buffer the OpenSSL path decrypts into (and bounces heap packets through), made on
     * first use by a sealer or opener constructor, never per packet. Freed when this scratch is
     * collected.
     */
    MemorySegment nativeBuffer() {
        if (nativeBuffer == null) {
            nativeBuffer = Arena.ofAuto().allocate(maxPayload + TransportHeader.TAG_LENGTH, 64);
        }
        return nativeBuffer;
    }

    /** Zeroes both arrays and the off-heap buffer. */
    public void wipe() {
        Arrays.fill(in, (byte) 0);
        Arrays.fill(out, (byte) 0);
        if (nativeBuffer != null) {
            nativeBuffer.fill((byte) 0);
        }
    }
}
