package net.ipop.crypto.aead;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.ref.Cleaner;
import java.nio.ByteOrder;
import java.util.Arrays;
import net.ipop.crypto.Suite;

/**
 * One direction's AEAD key in a native library, as {@link PacketSealer} and {@link PacketOpener}
 * use it on off-heap packets: the per-message calls take the counter (the nonce is 4 zero bytes
 * and the counter little-endian, as in {@link JceAead}), no associated data, and allocate nothing.
 * Callers check bounds first.
 *
 * <p>What the libraries share lives here: the per-object native state (nonce at 0, tag at
 * {@link #TAG_OFFSET}, the key during setup at {@link #KEY_OFFSET}, then whatever the library
 * needs), the three packet calls, the heap-array path for tests and self-tests, and the wipe. A
 * library supplies one message's calls ({@link #run}) and the release of its handle.
 *
 * <p>Threading and lifetime: one owning thread; {@link #wipe()} may run on another once the owner
 * stopped. A key dropped without {@link #wipe()} is released by a {@link Cleaner} after collection,
 * so forgetting it delays the wipe but leaks nothing.
 */
abstract sealed class NativeAead permits OpenSslAead, GcryptAead, IpsecMbAead {
    static final int TAG = TransportHeader.TAG_LENGTH;
    static final long NONCE_OFFSET = 0;
    static final long TAG_OFFSET = 32;
    static final long KEY_OFFSET = 64;
    /** Where a library's own per-object state may start. */
    static final long LIBRARY_STATE_OFFSET = 96;

    private static final ValueLayout.OfLong LONG_LE = JAVA_LONG.withOrder(ByteOrder.LITTLE_ENDIAN).withByteAlignment(1);
    private static final Cleaner CLEANER = Cleaner.create();

    /** Nonce, tag, setup key and the library's own state; zeroed by {@link #wipe()}. */
    final MemorySegment state;
    final long nonceAt;
    final long tagAt;
    final boolean encrypt;
    private Cleaner.Cleanable cleanable;

    NativeAead(long librarySize, boolean encrypt) {
        // 64: a cache line, and the alignment libIPSec_MB declares for its key data (IpsecMbAead).
        this.state = Arena.ofAuto().allocate(LIBRARY_STATE_OFFSET + librarySize, 64);
        this.nonceAt = state.address() + NONCE_OFFSET;
        this.tagAt = state.address() + TAG_OFFSET;
        this.encrypt = encrypt;
    }

    /**
     * The fastest native implementation of {@code suite} on this host: for AES-256-GCM libIPSec_MB when
     * {@link IpsecMbAead#available()}, else libgcrypt when {@link GcryptAead#available()}; else OpenSSL (which
     * must be {@link OpenSslAead#available()}). Copies {@code key}; the caller wipes its own copy.
     */
    static NativeAead of(Suite suite, byte[] key, boolean encrypt) {
        if (suite == Suite.AES256GCM && IpsecMbAead.available()) {
            return new IpsecMbAead(key, encrypt);
        }
        if (suite == Suite.AES256GCM && GcryptAead.available()) {
            return new GcryptAead(key, encrypt);
        }
        return new OpenSslAead(suite, key, encrypt);
    }

    /**
     * Registers {@code release} (which frees the library's handle and must not refer to this object) to run
     * on {@link #wipe()} or, failing that, after collection.
     */
    final void releaseWith(Runnable release) {
        cleanable = CLEANER.register(this, release);
    }

    /**
     * Copies a 32-byte key into the state for the library's key setup, runs it, and zeroes the copy whatever
     * happens (the library keeps its own schedule).
     */
    final boolean keyFrom(byte[] key, KeySetup setup) {
        MemorySegment.copy(key, 0, state, ValueLayout.JAVA_BYTE, KEY_OFFSET, key.length);
        try {
            return setup.install(state.address() + KEY_OFFSET, key.length);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new AssertionError("downcall failed unexpectedly", t);
        } finally {
            state.asSlice(KEY_OFFSET, JceAead.KEY_LENGTH).fill((byte) 0);
        }
    }

    /** A library's key setup from the key's address. */
    interface KeySetup {
        boolean install(long keyAddress, int keyLength) throws Throwable;
    }

    /**
     * One message: the nonce is in the state at {@link #NONCE_OFFSET}; for opening, the expected tag at
     * {@link #TAG_OFFSET}, for sealing the tag is left there. Authenticates {@code aadLen} bytes at {@code aad}
     * (none when 0) and encrypts or decrypts {@code len} bytes from {@code in} to {@code out}, which may be equal.
     *
     * @return false if the library reports a failure (for opening: the tag did not verify)
     * @throws IllegalStateException if the key was retired
     */
    abstract boolean run(long aad, int aadLen, long in, long out, int len);

    /** Frees the library's handle (the library cleanses it) and marks the key retired; the base zeroes the state. */
    abstract void retire();

    /** True once no key material is held. */
    abstract boolean keyZeroed();

    /** The library's name, for errors. */
    abstract String library();

    /** Encrypts {@code len} bytes at {@code payloadAt} in place and writes the 16-byte tag after them. */
    final void seal(long counter, MemorySegment packet, long payloadAt, int len) {
        setNonce(counter);
        long at = packet.address() + payloadAt;
        if (!run(0, 0, at, at, len)) {
            throw new IllegalStateException("seal failed in " + library());
        }
        MemorySegment.copy(state, TAG_OFFSET, packet, payloadAt + len, TAG);
    }

    /**
     * Verifies and decrypts {@code len + 16} bytes (ciphertext then tag) at {@code payloadAt} into
     * {@code out} at 0; the packet is not modified.
     *
     * @return false if the tag does not verify ({@code out} then holds garbage)
     */
    final boolean open(long counter, MemorySegment packet, long payloadAt, int len, MemorySegment out) {
        setNonce(counter);
        MemorySegment.copy(packet, payloadAt + len, state, TAG_OFFSET, TAG);
        return run(0, 0, packet.address() + payloadAt, out.address(), len);
    }

    /** As {@link #open} with the plaintext written over the ciphertext (garbage on a false return). */
    final boolean openInPlace(long counter, MemorySegment packet, long payloadAt, int len) {
        setNonce(counter);
        MemorySegment.copy(packet, payloadAt + len, state, TAG_OFFSET, TAG);
        long at = packet.address() + payloadAt;
        return run(0, 0, at, at, len);
    }

    private void setNonce(long counter) {
        state.set(JAVA_INT, NONCE_OFFSET, 0);
        state.set(LONG_LE, NONCE_OFFSET + 4, counter);
    }

    /**
     * As {@link JceAead#seal(byte[], byte[], byte[], int, int, byte[], int)}: arbitrary nonce and
     * associated data, heap arrays. For known-answer tests and the self-tests; allocates.
     */
    final void seal(byte[] nonce12, byte[] aad, byte[] in, int inOff, int len, byte[] out, int outOff) {
        if (!arrays(nonce12, aad, in, inOff, len, out, outOff)) {
            throw new IllegalStateException("seal failed in " + library());
        }
    }

    /** As {@link JceAead#open(byte[], byte[], byte[], int, int, byte[], int)}; allocates. */
    final boolean open(byte[] nonce12, byte[] aad, byte[] in, int inOff, int len, byte[] out, int outOff) {
        return arrays(nonce12, aad, in, inOff, len - TAG, out, outOff);
    }

    private boolean arrays(byte[] nonce12, byte[] aad, byte[] in, int inOff, int len, byte[] out, int outOff) {
        try (Arena temp = Arena.ofConfined()) {
            int aadLen = aad == null ? 0 : aad.length;
            MemorySegment a = temp.allocate(Math.max(1, aadLen));
            MemorySegment src = temp.allocate(len + TAG);
            MemorySegment dst = temp.allocate(len + TAG);
            if (aad != null) {
                MemorySegment.copy(aad, 0, a, ValueLayout.JAVA_BYTE, 0, aadLen);
            }
            MemorySegment.copy(nonce12, 0, state, ValueLayout.JAVA_BYTE, NONCE_OFFSET, JceAead.NONCE_LENGTH);
            MemorySegment.copy(in, inOff, src, ValueLayout.JAVA_BYTE, 0, encrypt ? len : len + TAG);
            if (!encrypt) {
                MemorySegment.copy(src, len, state, TAG_OFFSET, TAG);
            }
            if (!run(a.address(), aadLen, src.address(), dst.address(), len)) {
                return false;
            }
            if (encrypt) {
                MemorySegment.copy(state, TAG_OFFSET, dst, len, TAG);
            }
            MemorySegment.copy(dst, ValueLayout.JAVA_BYTE, 0, out, outOff, encrypt ? len + TAG : len);
            return true;
        }
    }

    /** Frees the key's native state, cleansing it; later calls throw. Idempotent. */
    final void wipe() {
        retire();
        state.fill((byte) 0);
        if (cleanable != null) {
            cleanable.clean();
        }
    }

    /**
     * Seals one message with {@code sealer} and the JDK under the same key and nonce, compares, opens it with
     * {@code opener}, and checks that a forged copy is refused; wipes all three.
     *
     * @return null if all agree, else what went wrong (a phrase for a status line)
     */
    static String agreesWithJdk(Suite suite, byte[] key, NativeAead sealer, NativeAead opener) {
        byte[] nonce = new byte[JceAead.NONCE_LENGTH];
        byte[] plain = new byte[100];
        for (int i = 0; i < plain.length; i++) {
            plain[i] = (byte) (i * 7);
        }
        nonce[4] = 9;
        JceAead jdk = new JceAead(suite, key);
        try {
            byte[] expected = new byte[plain.length + TAG];
            byte[] got = new byte[plain.length + TAG];
            jdk.seal(nonce, null, plain, 0, plain.length, expected, 0);
            sealer.seal(nonce, null, plain, 0, plain.length, got, 0);
            byte[] back = new byte[plain.length];
            if (!Arrays.equals(expected, got) || !opener.open(nonce, null, got, 0, got.length, back, 0)
                    || !Arrays.equals(plain, back)) {
                return "failed the " + suite.configName() + " self-test";
            }
            got[0] ^= 1;
            if (opener.open(nonce, null, got, 0, got.length, back, 0)) {
                return "accepted a forged " + suite.configName() + " message";
            }
            return null;
        } catch (RuntimeException e) {
            return "failed the " + suite.configName() + " self-test: " + e.getMessage();
        } finally {
            jdk.wipe();
            sealer.wipe();
            opener.wipe();
        }
    }
}
