package net.ipop.crypto.aead;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.ref.Cleaner;
import java.nio.ByteOrder;
import java.util.Arrays;
import net.ipop.crypto.Suite;

/**
 * One direction's AEAD key held in an OpenSSL {@code EVP_CIPHER_CTX} (libcrypto 3), called through
 * FFM. Why: the JDK cipher must be re-initialised per message and allocates ~1-2 KB doing so; an
 * EVP context keeps its key schedule and takes a new IV with {@code EVP_CipherInit_ex(ctx, NULL,
 * NULL, NULL, iv, enc)}, so a message costs four downcalls and no Java allocation.
 *
 * <p>Same nonce layout as {@link JceAead} (4 zero bytes, 64-bit counter little-endian), no
 * associated data on the transport path. The per-message calls take raw addresses ({@code long})
 * rather than {@link MemorySegment}s so that no slice is allocated per packet; callers check bounds
 * before calling (the package's sealer and opener do). The per-message calls are linked
 * {@link Linker.Option#critical critical}: they run for microseconds and never block.
 *
 * <p>Availability is decided once per JVM: libcrypto.so.3 must load, export every symbol, and agree
 * with the JDK cipher on a self-test for both suites; {@code -Dipop.aead=jdk} turns it off.
 * {@link #status()} says which and why.
 *
 * <p>Not thread-safe: the owner of the enclosing sealer or opener is the only caller; {@link #wipe()}
 * may run on another thread once the owner stopped using this.
 */
final class OpenSslAead {
    /** openssl/evp.h: EVP_CTRL_AEAD_GET_TAG, EVP_CTRL_AEAD_SET_TAG. */
    private static final int EVP_CTRL_AEAD_GET_TAG = 0x10;
    private static final int EVP_CTRL_AEAD_SET_TAG = 0x11;
    private static final int TAG = TransportHeader.TAG_LENGTH;
    private static final String LIBRARY = "libcrypto.so.3";

    // Per-object native state: nonce (12) at 0, EVP out-length int at 16, tag at 32, key (setup only) at 64.
    private static final long NONCE_OFFSET = 0;
    private static final long OUTL_OFFSET = 16;
    private static final long TAG_OFFSET = 32;
    private static final long KEY_OFFSET = 64;
    private static final long STATE_SIZE = 96;

    private static final ValueLayout.OfLong LONG_LE = JAVA_LONG.withOrder(ByteOrder.LITTLE_ENDIAN).withByteAlignment(1);
    private static final Linker LINKER = Linker.nativeLinker();
    private static final SymbolLookup LIB = openLibrary();
    private static final Linker.Option CRITICAL = Linker.Option.critical(false);
    // Pointers are passed as JAVA_LONG on the hot calls: same register class as a pointer on LP64, and
    // no MemorySegment has to be made per packet.
    private static final MethodHandle CTX_NEW = handle("EVP_CIPHER_CTX_new", FunctionDescriptor.of(ADDRESS));
    private static final MethodHandle CTX_FREE =
            handle("EVP_CIPHER_CTX_free", FunctionDescriptor.ofVoid(JAVA_LONG));
    private static final MethodHandle AES_256_GCM = handle("EVP_aes_256_gcm", FunctionDescriptor.of(JAVA_LONG));
    private static final MethodHandle CHACHA20_POLY1305 =
            handle("EVP_chacha20_poly1305", FunctionDescriptor.of(JAVA_LONG));
    private static final MethodHandle INIT = handle("EVP_CipherInit_ex",
            FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_INT), CRITICAL);
    private static final MethodHandle UPDATE = handle("EVP_CipherUpdate",
            FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_INT), CRITICAL);
    private static final MethodHandle FINAL = handle("EVP_CipherFinal_ex",
            FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_LONG), CRITICAL);
    private static final MethodHandle CTRL = handle("EVP_CIPHER_CTX_ctrl",
            FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_INT, JAVA_INT, JAVA_LONG), CRITICAL);
    private static final Cleaner CLEANER = Cleaner.create();
    private static final String STATUS = selfTest();

    private final Suite suite;
    private final MemorySegment state;
    private final long nonceAt;
    private final long outlAt;
    private final long tagAt;
    private final int encrypt;
    private long ctx;
    private Cleaner.Cleanable cleanable;

    /**
     * Copies {@code key} (32 bytes) into a fresh context; the caller wipes its own copy.
     *
     * @param encrypt true for a sealing key, false for an opening key
     * @throws IllegalStateException if OpenSSL is not {@link #available()} or refuses the key
     */
    OpenSslAead(Suite suite, byte[] key, boolean encrypt) {
        this(suite, key, encrypt, false);
    }

    private OpenSslAead(Suite suite, byte[] key, boolean encrypt, boolean selfTest) {
        if (key.length != JceAead.KEY_LENGTH) {
            throw new IllegalArgumentException("a " + suite.configName() + " key is 32 bytes, got " + key.length);
        }
        if (!selfTest && !available()) {
            throw new IllegalStateException("OpenSSL AEAD unavailable: " + STATUS);
        }
        this.suite = suite;
        this.encrypt = encrypt ? 1 : 0;
        this.state = Arena.ofAuto().allocate(STATE_SIZE, 16);
        this.nonceAt = state.address() + NONCE_OFFSET;
        this.outlAt = state.address() + OUTL_OFFSET;
        this.tagAt = state.address() + TAG_OFFSET;
        boolean keyed;
        try {
            MemorySegment c = (MemorySegment) CTX_NEW.invokeExact();
            if (c.address() == 0) {
                throw new OutOfMemoryError("EVP_CIPHER_CTX_new failed");
            }
            ctx = c.address();
            // Frees the context if this object is dropped without wipe(); wipe() runs it at once.
            cleanable = CLEANER.register(this, new FreeContext(ctx));
            long cipher = suite == Suite.AES256GCM ? (long) AES_256_GCM.invokeExact()
                    : (long) CHACHA20_POLY1305.invokeExact();
            MemorySegment.copy(key, 0, state, ValueLayout.JAVA_BYTE, KEY_OFFSET, key.length);
            keyed = (int) INIT.invokeExact(ctx, cipher, 0L, state.address() + KEY_OFFSET, nonceAt, this.encrypt) == 1;
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new AssertionError("downcall failed unexpectedly", t);
        } finally {
            // OpenSSL keeps its own schedule; our copy of the key is not needed any more.
            state.asSlice(KEY_OFFSET, JceAead.KEY_LENGTH).fill((byte) 0);
        }
        if (!keyed) {
            wipe();
            throw new IllegalStateException("EVP_CipherInit_ex refused the " + suite.configName() + " key");
        }
    }

    /** True if libcrypto is loaded and passed the self-test. */
    static boolean available() {
        return STATUS.startsWith("OpenSSL");
    }

    /** Which implementation the sealers and openers use, and why: for logs and benchmarks. */
    static String status() {
        return STATUS;
    }

    /**
     * Encrypts {@code len} bytes of the native segment {@code packet} at {@code payloadAt} in place
     * and writes the 16-byte tag right after them. The caller has checked the bounds.
     */
    void seal(long counter, MemorySegment packet, long payloadAt, int len) {
        state.set(JAVA_INT, NONCE_OFFSET, 0);
        state.set(LONG_LE, NONCE_OFFSET + 4, counter);
        long at = packet.address() + payloadAt;
        if (!run(0, 0, at, at, len)) {
            throw new IllegalStateException(suite.configName() + " seal failed in OpenSSL");
        }
        MemorySegment.copy(state, TAG_OFFSET, packet, payloadAt + len, TAG);
    }

    /**
     * Verifies and decrypts {@code len + 16} bytes (ciphertext then tag) of the native segment
     * {@code packet} at {@code payloadAt} into the native segment {@code out} at 0 ({@code len}
     * bytes). The packet is not modified. The caller has checked the bounds of both.
     *
     * @return false if the tag does not verify (then {@code out} holds garbage the caller must not use)
     */
    boolean open(long counter, MemorySegment packet, long payloadAt, int len, MemorySegment out) {
        state.set(JAVA_INT, NONCE_OFFSET, 0);
        state.set(LONG_LE, NONCE_OFFSET + 4, counter);
        MemorySegment.copy(packet, payloadAt + len, state, TAG_OFFSET, TAG);
        return run(0, 0, packet.address() + payloadAt, out.address(), len);
    }

    /**
     * As {@link #open(long, MemorySegment, long, int, MemorySegment)} with the plaintext written over
     * the ciphertext. On a false return the {@code len} payload bytes hold garbage.
     */
    boolean openInPlace(long counter, MemorySegment packet, long payloadAt, int len) {
        state.set(JAVA_INT, NONCE_OFFSET, 0);
        state.set(LONG_LE, NONCE_OFFSET + 4, counter);
        MemorySegment.copy(packet, payloadAt + len, state, TAG_OFFSET, TAG);
        long at = packet.address() + payloadAt;
        return run(0, 0, at, at, len);
    }

    /**
     * As {@link JceAead#seal(byte[], byte[], byte[], int, int, byte[], int)}: arbitrary nonce and
     * associated data, heap arrays. For known-answer tests and the self-test; allocates.
     */
    void seal(byte[] nonce12, byte[] aad, byte[] in, int inOff, int len, byte[] out, int outOff) {
        if (!arrays(nonce12, aad, in, inOff, len, out, outOff)) {
            throw new IllegalStateException(suite.configName() + " seal failed in OpenSSL");
        }
    }

    /** As {@link JceAead#open(byte[], byte[], byte[], int, int, byte[], int)}; allocates. */
    boolean open(byte[] nonce12, byte[] aad, byte[] in, int inOff, int len, byte[] out, int outOff) {
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
            MemorySegment.copy(in, inOff, src, ValueLayout.JAVA_BYTE, 0, encrypt == 1 ? len : len + TAG);
            if (encrypt == 0) {
                MemorySegment.copy(src, len, state, TAG_OFFSET, TAG);
            }
            if (!run(a.address(), aadLen, src.address(), dst.address(), len)) {
                return false;
            }
            if (encrypt == 1) {
                MemorySegment.copy(state, TAG_OFFSET, dst, len, TAG);
            }
            MemorySegment.copy(dst, ValueLayout.JAVA_BYTE, 0, out, outOff, encrypt == 1 ? len + TAG : len);
            return true;
        }
    }

    /** Runs init-with-nonce, AAD, update, (set tag,) final, (get tag,) with the nonce and tag in {@code state}. */
    private boolean run(long aad, int aadLen, long in, long out, int len) {
        if (ctx == 0) {
            throw new IllegalStateException(suite.configName() + " key was retired");
        }
        try {
            boolean ok = (int) INIT.invokeExact(ctx, 0L, 0L, 0L, nonceAt, encrypt) == 1;
            if (aadLen > 0) {
                ok &= (int) UPDATE.invokeExact(ctx, 0L, outlAt, aad, aadLen) == 1;
            }
            ok &= (int) UPDATE.invokeExact(ctx, out, outlAt, in, len) == 1;
            if (encrypt == 0) {
                ok &= (int) CTRL.invokeExact(ctx, EVP_CTRL_AEAD_SET_TAG, TAG, tagAt) == 1;
            }
            // Neither AEAD writes output in final; out + len is where it would go.
            ok &= (int) FINAL.invokeExact(ctx, out + len, outlAt) == 1;
            if (encrypt == 1) {
                ok &= (int) CTRL.invokeExact(ctx, EVP_CTRL_AEAD_GET_TAG, TAG, tagAt) == 1;
            }
            return ok;
        } catch (Throwable t) {
            throw new AssertionError("downcall failed unexpectedly", t);
        }
    }

    /**
     * Frees the context ({@code EVP_CIPHER_CTX_free} cleanses the key schedule and GHASH/Poly1305
     * state it holds) and zeroes this object's native state (nonce, last tag). Later calls throw.
     * Idempotent. An object dropped without this is freed the same way by a {@link Cleaner} after
     * collection, so forgetting it delays the wipe but leaks nothing.
     */
    void wipe() {
        ctx = 0;
        state.fill((byte) 0);
        if (cleanable != null) {
            cleanable.clean();
        }
    }

    /** The cleaning action: must not refer to the {@link OpenSslAead} it cleans up after. */
    private record FreeContext(long ctx) implements Runnable {
        @Override
        public void run() {
            try {
                CTX_FREE.invokeExact(ctx);
            } catch (Throwable t) {
                throw new AssertionError("downcall failed unexpectedly", t);
            }
        }
    }

    /** True once no key material is held (the context was freed). */
    boolean keyZeroed() {
        return ctx == 0;
    }

    @SuppressWarnings("restricted")
    private static SymbolLookup openLibrary() {
        if ("jdk".equals(System.getProperty("ipop.aead"))) {
            return null;
        }
        try {
            return SymbolLookup.libraryLookup(LIBRARY, Arena.global());
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    @SuppressWarnings("restricted")
    private static MethodHandle handle(String symbol, FunctionDescriptor descriptor, Linker.Option... options) {
        if (LIB == null) {
            return null;
        }
        MemorySegment address = LIB.find(symbol).orElse(null);
        return address == null ? null : LINKER.downcallHandle(address, descriptor, options);
    }

    /** Seals and opens one message per suite with both OpenSSL and the JDK and compares. */
    private static String selfTest() {
        if ("jdk".equals(System.getProperty("ipop.aead"))) {
            return "JDK (OpenSSL turned off by -Dipop.aead=jdk)";
        }
        if (LIB == null) {
            return "JDK (" + LIBRARY + " not loadable)";
        }
        for (MethodHandle h : new MethodHandle[] {CTX_NEW, CTX_FREE, AES_256_GCM, CHACHA20_POLY1305, INIT, UPDATE,
                FINAL, CTRL}) {
            if (h == null) {
                return "JDK (" + LIBRARY + " lacks an EVP symbol)";
            }
        }
        byte[] key = new byte[JceAead.KEY_LENGTH];
        byte[] nonce = new byte[JceAead.NONCE_LENGTH];
        byte[] plain = new byte[100];
        for (int i = 0; i < plain.length; i++) {
            plain[i] = (byte) (i * 7);
        }
        Arrays.fill(key, (byte) 0x5a);
        nonce[4] = 9;
        for (Suite s : Suite.values()) {
            JceAead jdk = new JceAead(s, key);
            OpenSslAead sealer = new OpenSslAead(s, key, true, true);
            OpenSslAead opener = new OpenSslAead(s, key, false, true);
            try {
                byte[] expected = new byte[plain.length + TAG];
                byte[] got = new byte[plain.length + TAG];
                jdk.seal(nonce, null, plain, 0, plain.length, expected, 0);
                sealer.seal(nonce, null, plain, 0, plain.length, got, 0);
                byte[] back = new byte[plain.length];
                if (!Arrays.equals(expected, got) || !opener.open(nonce, null, got, 0, got.length, back, 0)
                        || !Arrays.equals(plain, back)) {
                    return "JDK (" + LIBRARY + " failed the " + s.configName() + " self-test)";
                }
                got[0] ^= 1;
                if (opener.open(nonce, null, got, 0, got.length, back, 0)) {
                    return "JDK (" + LIBRARY + " accepted a forged " + s.configName() + " message)";
                }
            } finally {
                jdk.wipe();
                sealer.wipe();
                opener.wipe();
            }
        }
        return "OpenSSL " + LIBRARY + " EVP (self-test passed)";
    }
}
