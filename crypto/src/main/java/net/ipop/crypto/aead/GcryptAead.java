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
 * One direction's AES-256-GCM key in a libgcrypt (1.10+) cipher handle, called through FFM: the
 * transport's AES-GCM when libgcrypt is on the host, ahead of {@link OpenSslAead}.
 *
 * <p>Why: on this project's hosts (x86-64 with VAES and VPCLMULQDQ) a 1420-byte seal costs ~345 ns
 * in libgcrypt 1.10 against ~450 ns through OpenSSL 3.0's provider functions and ~540 ns through
 * its EVP layer (measured with C loops on the benchmark host): OpenSSL 3.0's AES-GCM predates its
 * AVX-512 code, libgcrypt's CTR and GHASH use the wide instructions, and a message costs four
 * cheap calls with no parameter lookups: set the IV, mark the next call as the last, encrypt or
 * decrypt, get or check the tag. ChaCha20-Poly1305 stays with OpenSSL.
 *
 * <p>Availability is decided once per JVM: libgcrypt.so.20 must load, export every symbol,
 * initialise (no secure memory: the handles hold keys in ordinary memory, as OpenSSL's contexts
 * do, and {@code gcry_cipher_close} wipes them), and agree with the JDK on a self-test.
 * {@code -Dipop.aead=openssl} or {@code =jdk} turns it off. {@link #status()} says why.
 *
 * <p>Not thread-safe: the owner of the enclosing sealer or opener is the only caller; {@link #wipe()}
 * may run on another thread once the owner stopped using this.
 */
final class GcryptAead implements NativeAead {
    private static final int TAG = TransportHeader.TAG_LENGTH;
    private static final String LIBRARY = "libgcrypt.so.20";
    /** gcrypt.h: GCRY_CIPHER_AES256, GCRY_CIPHER_MODE_GCM, and the gcry_control / gcry_cipher_ctl commands. */
    private static final int CIPHER_AES256 = 9;
    private static final int MODE_GCM = 9;
    private static final int CTL_FINALIZE = 5;
    private static final int CTL_DISABLE_SECMEM = 37;
    private static final int CTL_INITIALIZATION_FINISHED = 38;
    private static final int CTL_ANY_INITIALIZATION_P = 40;

    // Per-object native state: nonce (12) at 0, tag at 16, the handle pointer at 32, key (setup only) at 64.
    private static final long NONCE_OFFSET = 0;
    private static final long TAG_OFFSET = 16;
    private static final long HANDLE_OFFSET = 32;
    private static final long KEY_OFFSET = 64;
    private static final long STATE_SIZE = 96;

    private static final ValueLayout.OfLong LONG_LE = JAVA_LONG.withOrder(ByteOrder.LITTLE_ENDIAN).withByteAlignment(1);
    private static final Linker LINKER = Linker.nativeLinker();
    private static final SymbolLookup LIB = openLibrary();
    private static final Linker.Option CRITICAL = Linker.Option.critical(false);
    private static final Linker.Option VARIADIC_AFTER_COMMAND = Linker.Option.firstVariadicArg(1);
    // Pointers and size_t are passed as JAVA_LONG: the same register class on LP64, and no
    // MemorySegment has to be made per packet. gcry_error_t is an unsigned int: 0 is success.
    private static final MethodHandle CHECK_VERSION = handle("gcry_check_version",
            FunctionDescriptor.of(ADDRESS, JAVA_LONG));
    private static final MethodHandle CONTROL = handle("gcry_control",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT), VARIADIC_AFTER_COMMAND);
    private static final MethodHandle OPEN = handle("gcry_cipher_open",
            FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_INT, JAVA_INT, JAVA_INT));
    private static final MethodHandle CLOSE = handle("gcry_cipher_close", FunctionDescriptor.ofVoid(JAVA_LONG));
    private static final MethodHandle SET_KEY = handle("gcry_cipher_setkey",
            FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_LONG));
    private static final MethodHandle SET_IV = handle("gcry_cipher_setiv",
            FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_LONG), CRITICAL);
    private static final MethodHandle CTL = handle("gcry_cipher_ctl",
            FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_INT, JAVA_LONG, JAVA_LONG), CRITICAL);
    private static final MethodHandle AUTHENTICATE = handle("gcry_cipher_authenticate",
            FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_LONG), CRITICAL);
    /** gcry_cipher_encrypt / decrypt: (handle, out, outsize, in, inlen); in NULL: in place. */
    private static final MethodHandle ENCRYPT = handle("gcry_cipher_encrypt",
            FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG), CRITICAL);
    private static final MethodHandle DECRYPT = handle("gcry_cipher_decrypt",
            FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG), CRITICAL);
    private static final MethodHandle GET_TAG = handle("gcry_cipher_gettag",
            FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_LONG), CRITICAL);
    private static final MethodHandle CHECK_TAG = handle("gcry_cipher_checktag",
            FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_LONG), CRITICAL);
    private static final Cleaner CLEANER = Cleaner.create();
    private static final String STATUS = selfTest();

    private final MemorySegment state;
    private final long nonceAt;
    private final long tagAt;
    private final boolean encrypt;
    private long handle;
    private Cleaner.Cleanable cleanable;

    /**
     * Copies {@code key} (32 bytes) into a fresh handle; the caller wipes its own copy.
     *
     * @throws IllegalStateException if libgcrypt is not {@link #available()} or refuses the key
     */
    GcryptAead(byte[] key, boolean encrypt) {
        this(key, encrypt, false);
    }

    private GcryptAead(byte[] key, boolean encrypt, boolean selfTest) {
        if (key.length != JceAead.KEY_LENGTH) {
            throw new IllegalArgumentException("an aes256gcm key is 32 bytes, got " + key.length);
        }
        if (!selfTest && !available()) {
            throw new IllegalStateException("libgcrypt AEAD unavailable: " + STATUS);
        }
        this.encrypt = encrypt;
        this.state = Arena.ofAuto().allocate(STATE_SIZE, 16);
        this.nonceAt = state.address() + NONCE_OFFSET;
        this.tagAt = state.address() + TAG_OFFSET;
        boolean keyed;
        try {
            if ((int) OPEN.invokeExact(state.address() + HANDLE_OFFSET, CIPHER_AES256, MODE_GCM, 0) != 0
                    || state.get(JAVA_LONG, HANDLE_OFFSET) == 0) {
                throw new IllegalStateException("gcry_cipher_open failed for AES-256-GCM");
            }
            handle = state.get(JAVA_LONG, HANDLE_OFFSET);
            // Closes the handle if this object is dropped without wipe(); wipe() runs it at once.
            cleanable = CLEANER.register(this, new CloseHandle(handle));
            MemorySegment.copy(key, 0, state, ValueLayout.JAVA_BYTE, KEY_OFFSET, key.length);
            keyed = (int) SET_KEY.invokeExact(handle, state.address() + KEY_OFFSET, (long) key.length) == 0;
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new AssertionError("downcall failed unexpectedly", t);
        } finally {
            // libgcrypt keeps its own schedule; our copy of the key is not needed any more.
            state.asSlice(KEY_OFFSET, JceAead.KEY_LENGTH).fill((byte) 0);
        }
        if (!keyed) {
            wipe();
            throw new IllegalStateException("gcry_cipher_setkey refused the aes256gcm key");
        }
    }

    /** True if libgcrypt is loaded, initialised and passed the self-test. */
    static boolean available() {
        return STATUS.startsWith("libgcrypt");
    }

    /** Whether AES-256-GCM goes through libgcrypt, and if not why: for logs and benchmarks. */
    static String status() {
        return STATUS;
    }

    @Override
    public void seal(long counter, MemorySegment packet, long payloadAt, int len) {
        setNonce(counter);
        long at = packet.address() + payloadAt;
        if (!run(0, 0, at, 0, len)) {
            throw new IllegalStateException("aes256gcm seal failed in libgcrypt");
        }
        MemorySegment.copy(state, TAG_OFFSET, packet, payloadAt + len, TAG);
    }

    @Override
    public boolean open(long counter, MemorySegment packet, long payloadAt, int len, MemorySegment out) {
        setNonce(counter);
        MemorySegment.copy(packet, payloadAt + len, state, TAG_OFFSET, TAG);
        return run(0, 0, out.address(), packet.address() + payloadAt, len);
    }

    @Override
    public boolean openInPlace(long counter, MemorySegment packet, long payloadAt, int len) {
        setNonce(counter);
        MemorySegment.copy(packet, payloadAt + len, state, TAG_OFFSET, TAG);
        return run(0, 0, packet.address() + payloadAt, 0, len);
    }

    private void setNonce(long counter) {
        state.set(JAVA_INT, NONCE_OFFSET, 0);
        state.set(LONG_LE, NONCE_OFFSET + 4, counter);
    }

    /** As {@link JceAead#seal(byte[], byte[], byte[], int, int, byte[], int)}; for tests and the self-test; allocates. */
    void seal(byte[] nonce12, byte[] aad, byte[] in, int inOff, int len, byte[] out, int outOff) {
        if (!arrays(nonce12, aad, in, inOff, len, out, outOff)) {
            throw new IllegalStateException("aes256gcm seal failed in libgcrypt");
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
            MemorySegment buf = temp.allocate(len + TAG);
            if (aad != null) {
                MemorySegment.copy(aad, 0, a, ValueLayout.JAVA_BYTE, 0, aadLen);
            }
            MemorySegment.copy(nonce12, 0, state, ValueLayout.JAVA_BYTE, NONCE_OFFSET, JceAead.NONCE_LENGTH);
            MemorySegment.copy(in, inOff, buf, ValueLayout.JAVA_BYTE, 0, encrypt ? len : len + TAG);
            if (!encrypt) {
                MemorySegment.copy(buf, len, state, TAG_OFFSET, TAG);
            }
            if (!run(a.address(), aadLen, buf.address(), 0, len)) {
                return false;
            }
            if (encrypt) {
                MemorySegment.copy(state, TAG_OFFSET, buf, len, TAG);
            }
            MemorySegment.copy(buf, ValueLayout.JAVA_BYTE, 0, out, outOff, encrypt ? len + TAG : len);
            return true;
        }
    }

    /**
     * Sets the nonce, authenticates {@code aad}, marks the next call as the message's last, encrypts or
     * decrypts {@code len} bytes from {@code in} (0: in place) to {@code out}, and gets or checks the
     * tag in {@code state}.
     */
    private boolean run(long aad, int aadLen, long out, long in, int len) {
        if (handle == 0) {
            throw new IllegalStateException("aes256gcm key was retired");
        }
        long h = handle;
        try {
            int err = (int) SET_IV.invokeExact(h, nonceAt, (long) JceAead.NONCE_LENGTH);
            if (aadLen > 0) {
                err |= (int) AUTHENTICATE.invokeExact(h, aad, (long) aadLen);
            }
            err |= (int) CTL.invokeExact(h, CTL_FINALIZE, 0L, 0L);
            if (encrypt) {
                err |= (int) ENCRYPT.invokeExact(h, out, (long) len, in, in == 0 ? 0L : (long) len);
                err |= (int) GET_TAG.invokeExact(h, tagAt, (long) TAG);
            } else {
                err |= (int) DECRYPT.invokeExact(h, out, (long) len, in, in == 0 ? 0L : (long) len);
                err |= (int) CHECK_TAG.invokeExact(h, tagAt, (long) TAG);
            }
            return err == 0;
        } catch (Throwable t) {
            throw new AssertionError("downcall failed unexpectedly", t);
        }
    }

    @Override
    public void wipe() {
        handle = 0;
        state.fill((byte) 0);
        if (cleanable != null) {
            cleanable.clean();
        }
    }

    @Override
    public boolean keyZeroed() {
        return handle == 0;
    }

    /** The cleaning action ({@code gcry_cipher_close} wipes the handle): must not refer to its GcryptAead. */
    private record CloseHandle(long handle) implements Runnable {
        @Override
        public void run() {
            try {
                CLOSE.invokeExact(handle);
            } catch (Throwable t) {
                throw new AssertionError("downcall failed unexpectedly", t);
            }
        }
    }

    @SuppressWarnings("restricted")
    private static SymbolLookup openLibrary() {
        String choice = System.getProperty("ipop.aead");
        if ("jdk".equals(choice) || "openssl".equals(choice)) {
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

    /** Initialises libgcrypt (unless something in this process did), then seals and opens one message against the JDK. */
    private static String selfTest() {
        if (LIB == null) {
            String choice = System.getProperty("ipop.aead");
            return choice != null ? "OpenSSL or JDK (libgcrypt turned off by -Dipop.aead=" + choice + ")"
                    : "OpenSSL (" + LIBRARY + " not loadable)";
        }
        for (MethodHandle h : new MethodHandle[] {CHECK_VERSION, CONTROL, OPEN, CLOSE, SET_KEY, SET_IV, CTL,
                AUTHENTICATE, ENCRYPT, DECRYPT, GET_TAG, CHECK_TAG}) {
            if (h == null) {
                return "OpenSSL (" + LIBRARY + " lacks a symbol)";
            }
        }
        try {
            // gcry_check_version must come first; it returns NULL when the library is too old for the
            // version asked (none asked here). Secure memory is not used, so it is not set up.
            if ((int) CONTROL.invokeExact(CTL_ANY_INITIALIZATION_P, 0) == 0) {
                MemorySegment version = (MemorySegment) CHECK_VERSION.invokeExact(0L);
                if (version.address() == 0) {
                    return "OpenSSL (" + LIBRARY + " did not initialise)";
                }
                int ignored = (int) CONTROL.invokeExact(CTL_DISABLE_SECMEM, 0);
                ignored |= (int) CONTROL.invokeExact(CTL_INITIALIZATION_FINISHED, 0);
            }
        } catch (Throwable t) {
            return "OpenSSL (" + LIBRARY + " initialisation failed: " + t + ")";
        }
        byte[] key = new byte[JceAead.KEY_LENGTH];
        byte[] nonce = new byte[JceAead.NONCE_LENGTH];
        byte[] plain = new byte[100];
        for (int i = 0; i < plain.length; i++) {
            plain[i] = (byte) (i * 7);
        }
        Arrays.fill(key, (byte) 0x5a);
        nonce[4] = 9;
        JceAead jdk = new JceAead(Suite.AES256GCM, key);
        GcryptAead sealer = null;
        GcryptAead opener = null;
        try {
            sealer = new GcryptAead(key, true, true);
            opener = new GcryptAead(key, false, true);
            byte[] expected = new byte[plain.length + TAG];
            byte[] got = new byte[plain.length + TAG];
            jdk.seal(nonce, null, plain, 0, plain.length, expected, 0);
            sealer.seal(nonce, null, plain, 0, plain.length, got, 0);
            byte[] back = new byte[plain.length];
            if (!Arrays.equals(expected, got) || !opener.open(nonce, null, got, 0, got.length, back, 0)
                    || !Arrays.equals(plain, back)) {
                return "OpenSSL (" + LIBRARY + " failed the aes256gcm self-test)";
            }
            got[0] ^= 1;
            if (opener.open(nonce, null, got, 0, got.length, back, 0)) {
                return "OpenSSL (" + LIBRARY + " accepted a forged aes256gcm message)";
            }
        } catch (RuntimeException e) {
            return "OpenSSL (" + LIBRARY + " failed the aes256gcm self-test: " + e.getMessage() + ")";
        } finally {
            jdk.wipe();
            if (sealer != null) {
                sealer.wipe();
            }
            if (opener != null) {
                opener.wipe();
            }
        }
        return "libgcrypt " + LIBRARY + " for aes256gcm (self-test passed)";
    }
}
