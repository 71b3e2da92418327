package net.ipop.crypto.aead;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.util.Arrays;
import net.ipop.crypto.Suite;

/**
 * One direction's AES-256-GCM key in a libgcrypt (1.10+) cipher handle, called through FFM: the
 * transport's AES-GCM when libgcrypt is on the host and {@link IpsecMbAead} is not, ahead of {@link OpenSslAead}.
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
final class GcryptAead extends NativeAead {
    private static final String LIBRARY = "libgcrypt.so.20";
    /** gcrypt.h: GCRY_CIPHER_AES256, GCRY_CIPHER_MODE_GCM, and the gcry_control / gcry_cipher_ctl commands. */
    private static final int CIPHER_AES256 = 9;
    private static final int MODE_GCM = 9;
    private static final int CTL_FINALIZE = 5;
    private static final int CTL_DISABLE_SECMEM = 37;
    private static final int CTL_INITIALIZATION_FINISHED = 38;
    private static final int CTL_ANY_INITIALIZATION_P = 40;

    /** This library's per-object state after the shared part: the handle pointer gcry_cipher_open fills in. */
    private static final long HANDLE_OFFSET = LIBRARY_STATE_OFFSET;

    private static final AeadLibrary LIB = AeadLibrary.load(LIBRARY, "jdk", "openssl");
    private static final Linker.Option CRITICAL = Linker.Option.critical(false);
    private static final Linker.Option VARIADIC_AFTER_COMMAND = Linker.Option.firstVariadicArg(1);
    // Pointers and size_t are passed as JAVA_LONG: the same register class on LP64, and no
    // MemorySegment has to be made per packet. gcry_error_t is an unsigned int: 0 is success.
    private static final MethodHandle CHECK_VERSION = LIB.handle("gcry_check_version",
            FunctionDescriptor.of(ADDRESS, JAVA_LONG));
    private static final MethodHandle CONTROL = LIB.handle("gcry_control",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT), VARIADIC_AFTER_COMMAND);
    private static final MethodHandle OPEN = LIB.handle("gcry_cipher_open",
            FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_INT, JAVA_INT, JAVA_INT));
    private static final MethodHandle CLOSE = LIB.handle("gcry_cipher_close", FunctionDescriptor.ofVoid(JAVA_LONG));
    private static final MethodHandle SET_KEY = LIB.handle("gcry_cipher_setkey",
            FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_LONG));
    private static final MethodHandle SET_IV = LIB.handle("gcry_cipher_setiv",
            FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_LONG), CRITICAL);
    private static final MethodHandle CTL = LIB.handle("gcry_cipher_ctl",
            FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_INT, JAVA_LONG, JAVA_LONG), CRITICAL);
    private static final MethodHandle AUTHENTICATE = LIB.handle("gcry_cipher_authenticate",
            FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_LONG), CRITICAL);
    /** gcry_cipher_encrypt / decrypt: (handle, out, outsize, in, inlen); in NULL: in place. */
    private static final MethodHandle ENCRYPT = LIB.handle("gcry_cipher_encrypt",
            FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG), CRITICAL);
    private static final MethodHandle DECRYPT = LIB.handle("gcry_cipher_decrypt",
            FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG), CRITICAL);
    private static final MethodHandle GET_TAG = LIB.handle("gcry_cipher_gettag",
            FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_LONG), CRITICAL);
    private static final MethodHandle CHECK_TAG = LIB.handle("gcry_cipher_checktag",
            FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_LONG), CRITICAL);
    private static final String STATUS = selfTest();

    private long handle;

    /**
     * Copies {@code key} (32 bytes) into a fresh handle; the caller wipes its own copy.
     *
     * @throws IllegalStateException if libgcrypt is not {@link #available()} or refuses the key
     */
    GcryptAead(byte[] key, boolean encrypt) {
        this(key, encrypt, false);
    }

    private GcryptAead(byte[] key, boolean encrypt, boolean selfTest) {
        super(Long.BYTES, encrypt);
        if (key.length != JceAead.KEY_LENGTH) {
            throw new IllegalArgumentException("an aes256gcm key is 32 bytes, got " + key.length);
        }
        if (!selfTest && !available()) {
            throw new IllegalStateException("libgcrypt AEAD unavailable: " + STATUS);
        }
        try {
            if ((int) OPEN.invokeExact(state.address() + HANDLE_OFFSET, CIPHER_AES256, MODE_GCM, 0) != 0
                    || state.get(JAVA_LONG, HANDLE_OFFSET) == 0) {
                throw new IllegalStateException("gcry_cipher_open failed for AES-256-GCM");
            }
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new AssertionError("downcall failed unexpectedly", t);
        }
        handle = state.get(JAVA_LONG, HANDLE_OFFSET);
        releaseWith(new CloseHandle(handle));
        long h = handle;
        if (!keyFrom(key, (at, length) -> (int) SET_KEY.invokeExact(h, at, (long) length) == 0)) {
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

    /**
     * Sets the nonce, authenticates {@code aad}, marks the next call as the message's last, encrypts or
     * decrypts, and gets or checks the tag.
     */
    @Override
    boolean run(long aad, int aadLen, long in, long out, int len) {
        if (handle == 0) {
            throw new IllegalStateException("aes256gcm key was retired");
        }
        long h = handle;
        // gcry_cipher_encrypt / decrypt work in place when the input is NULL.
        long from = in == out ? 0L : in;
        try {
            int err = (int) SET_IV.invokeExact(h, nonceAt, (long) JceAead.NONCE_LENGTH);
            if (aadLen > 0) {
                err |= (int) AUTHENTICATE.invokeExact(h, aad, (long) aadLen);
            }
            err |= (int) CTL.invokeExact(h, CTL_FINALIZE, 0L, 0L);
            if (encrypt) {
                err |= (int) ENCRYPT.invokeExact(h, out, (long) len, from, from == 0 ? 0L : (long) len);
                err |= (int) GET_TAG.invokeExact(h, tagAt, (long) TAG);
            } else {
                err |= (int) DECRYPT.invokeExact(h, out, (long) len, from, from == 0 ? 0L : (long) len);
                err |= (int) CHECK_TAG.invokeExact(h, tagAt, (long) TAG);
            }
            return err == 0;
        } catch (Throwable t) {
            throw new AssertionError("downcall failed unexpectedly", t);
        }
    }

    @Override
    void retire() {
        handle = 0;
    }

    @Override
    boolean keyZeroed() {
        return handle == 0;
    }

    @Override
    String library() {
        return "libgcrypt";
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



    /** Initialises libgcrypt (unless something in this process did), then seals and opens one message against the JDK. */
    private static String selfTest() {
        if (!LIB.loaded()) {
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
        Arrays.fill(key, (byte) 0x5a);
        String failed;
        try {
            failed = agreesWithJdk(Suite.AES256GCM, key, new GcryptAead(key, true, true), new GcryptAead(key, false, true));
        } catch (RuntimeException e) {
            failed = "failed the aes256gcm self-test: " + e.getMessage();
        }
        return failed != null ? "OpenSSL (" + LIBRARY + " " + failed + ")" : "libgcrypt " + LIBRARY + " for aes256gcm (self-test passed)";
    }
}
