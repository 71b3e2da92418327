package net.ipop.crypto.aead;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.util.Arrays;
import net.ipop.crypto.Suite;

/**
 * One direction's AEAD key held in an OpenSSL (libcrypto 3) cipher context, called through FFM.
 * Why: the JDK cipher must be re-initialised per message and allocates ~1-2 KB doing so; an
 * OpenSSL context keeps its key schedule and takes a new IV per message, with no Java allocation.
 *
 * <p>Why the provider's functions and not {@code EVP_Cipher*}: in OpenSSL 3.0 the EVP layer in
 * front of a provider costs a fixed ~80 ns a message on top of the cipher (measured here with
 * 1420-byte AES-256-GCM seals: ~540 ns through EVP, ~460 ns direct): {@code EVP_CipherInit_ex}
 * asks the provider for the IV length through a parameter lookup on every call, and
 * {@code EVP_CIPHER_CTX_ctrl} turns each tag get or set into another. So the cipher is fetched
 * once ({@code EVP_CIPHER_fetch}, which honours the configured providers), its provider's
 * dispatch table is read with {@code OSSL_PROVIDER_query_operation} (public API,
 * {@code openssl/core_dispatch.h}), and a message is four direct calls to that provider:
 * init with the nonce (for opening, with the expected tag as an {@code OSSL_PARAM} in the same
 * call), update, final, and for sealing a get of the tag. The context comes from the provider's
 * {@code newctx} and is freed by its {@code freectx}, which cleanses it.
 *
 * <p>Same nonce layout as {@link JceAead} (4 zero bytes, 64-bit counter little-endian), no
 * associated data on the transport path. The per-message calls take raw addresses ({@code long})
 * rather than {@link MemorySegment}s so that no slice is allocated per packet; callers check bounds
 * before calling (the package's sealer and opener do). The per-message calls are linked
 * {@link Linker.Option#critical critical}: they run for microseconds and never block.
 *
 * <p>Availability is decided once per JVM: libcrypto.so.3 must load, export every symbol, offer
 * both ciphers with every provider function used here, and agree with the JDK cipher on a
 * self-test for both suites; {@code -Dipop.aead=jdk} turns it off. {@link #status()} says which
 * and why.
 *
 * <p>Not thread-safe: the owner of the enclosing sealer or opener is the only caller; {@link #wipe()}
 * may run on another thread once the owner stopped using this.
 */
final class OpenSslAead extends NativeAead {
    private static final long NONCE_LENGTH = JceAead.NONCE_LENGTH;
    private static final String LIBRARY = "libcrypto.so.3";

    /** openssl/core_dispatch.h: the cipher operation and the ids of its provider functions. */
    private static final int OSSL_OP_CIPHER = 2;
    private static final int FUNC_NEWCTX = 1;
    private static final int FUNC_ENCRYPT_INIT = 2;
    private static final int FUNC_DECRYPT_INIT = 3;
    private static final int FUNC_UPDATE = 4;
    private static final int FUNC_FINAL = 5;
    private static final int FUNC_FREECTX = 7;
    private static final int FUNC_GET_CTX_PARAMS = 10;

    /** openssl/core.h {@code OSSL_ALGORITHM}: names, properties, implementation, description. */
    private static final long ALGORITHM_SIZE = 32;
    private static final long ALGORITHM_NAMES_OFFSET = 0;
    private static final long ALGORITHM_IMPLEMENTATION_OFFSET = 16;
    /** openssl/core.h {@code OSSL_DISPATCH}: int function_id, then the function pointer. */
    private static final long DISPATCH_SIZE = 16;
    private static final long DISPATCH_ID_OFFSET = 0;
    private static final long DISPATCH_FUNCTION_OFFSET = 8;
    /** openssl/core.h {@code OSSL_PARAM}: key, data_type (unsigned int), data, data_size, return_size. */
    private static final long PARAM_SIZE = 40;
    private static final long PARAM_KEY_OFFSET = 0;
    private static final long PARAM_TYPE_OFFSET = 8;
    private static final long PARAM_DATA_OFFSET = 16;
    private static final long PARAM_DATA_SIZE_OFFSET = 24;
    private static final long PARAM_RETURN_SIZE_OFFSET = 32;
    /** openssl/core.h OSSL_PARAM_OCTET_STRING; openssl/params.h OSSL_PARAM_UNMODIFIED (SIZE_MAX). */
    private static final int PARAM_OCTET_STRING = 5;
    private static final long PARAM_UNMODIFIED = -1L;

    // This library's per-object state after the shared part: the out-length size_t, then the parameter list
    // {"tag" -> the tag, END} for the tag get (seal) or set (open).
    private static final long OUTL_OFFSET = LIBRARY_STATE_OFFSET;
    private static final long PARAMS_OFFSET = LIBRARY_STATE_OFFSET + 16;
    private static final long LIBRARY_SIZE = 16 + 2 * PARAM_SIZE;

    private static final Linker LINKER = Linker.nativeLinker();
    private static final AeadLibrary LIB = AeadLibrary.load(LIBRARY, "jdk");
    private static final Linker.Option CRITICAL = Linker.Option.critical(false);
    /** openssl/core_names.h OSSL_CIPHER_PARAM_AEAD_TAG, as a C string for the parameter lists. */
    private static final MemorySegment TAG_PARAM_NAME = Arena.global().allocateFrom("tag");
    // Setup: the cipher's provider and its dispatch table.
    private static final MethodHandle CIPHER_FETCH = LIB.handle("EVP_CIPHER_fetch",
            FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, ADDRESS, JAVA_LONG));
    private static final MethodHandle CIPHER_PROVIDER = LIB.handle("EVP_CIPHER_get0_provider",
            FunctionDescriptor.of(JAVA_LONG, JAVA_LONG));
    private static final MethodHandle QUERY_OPERATION = LIB.handle("OSSL_PROVIDER_query_operation",
            FunctionDescriptor.of(ADDRESS, JAVA_LONG, JAVA_INT, JAVA_LONG));
    private static final MethodHandle PROVIDER_CONTEXT = LIB.handle("OSSL_PROVIDER_get0_provider_ctx",
            FunctionDescriptor.of(JAVA_LONG, JAVA_LONG));
    // The provider's functions, called through a pointer (the first argument) from the dispatch table.
    // Pointers and size_t are passed as JAVA_LONG: the same register class on LP64, and no
    // MemorySegment has to be made per packet.
    private static final MethodHandle NEWCTX = unbound(FunctionDescriptor.of(JAVA_LONG, JAVA_LONG));
    private static final MethodHandle FREECTX = unbound(FunctionDescriptor.ofVoid(JAVA_LONG));
    /** OSSL_FUNC_cipher_encrypt_init / decrypt_init: (ctx, key, keylen, iv, ivlen, params). */
    private static final MethodHandle INIT = unbound(
            FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG), CRITICAL);
    /** OSSL_FUNC_cipher_update: (ctx, out, outl*, outsize, in, inl). */
    private static final MethodHandle UPDATE = unbound(
            FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG), CRITICAL);
    /** OSSL_FUNC_cipher_final: (ctx, out, outl*, outsize). */
    private static final MethodHandle FINAL = unbound(
            FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG), CRITICAL);
    /** OSSL_FUNC_cipher_get_ctx_params: (ctx, params). */
    private static final MethodHandle GET_CTX_PARAMS = unbound(
            FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_LONG), CRITICAL);
    private static final Provider AES_256_GCM = provider("AES-256-GCM");
    private static final Provider CHACHA20_POLY1305 = provider("ChaCha20-Poly1305");
    private static final String STATUS = selfTest();

    private final Suite suite;
    private final Provider provider;
    private final long outlAt;
    private final long paramsAt;
    private final MemorySegment init;
    private long ctx;

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
        super(LIBRARY_SIZE, encrypt);
        if (key.length != JceAead.KEY_LENGTH) {
            throw new IllegalArgumentException("a " + suite.configName() + " key is 32 bytes, got " + key.length);
        }
        if (!selfTest && !available()) {
            throw new IllegalStateException("OpenSSL AEAD unavailable: " + STATUS);
        }
        this.suite = suite;
        this.provider = suite == Suite.AES256GCM ? AES_256_GCM : CHACHA20_POLY1305;
        this.init = encrypt ? provider.encryptInit : provider.decryptInit;
        this.outlAt = state.address() + OUTL_OFFSET;
        this.paramsAt = state.address() + PARAMS_OFFSET;
        state.set(ADDRESS, PARAMS_OFFSET + PARAM_KEY_OFFSET, TAG_PARAM_NAME);
        state.set(JAVA_INT, PARAMS_OFFSET + PARAM_TYPE_OFFSET, PARAM_OCTET_STRING);
        state.set(JAVA_LONG, PARAMS_OFFSET + PARAM_DATA_OFFSET, state.address() + TAG_OFFSET);
        state.set(JAVA_LONG, PARAMS_OFFSET + PARAM_DATA_SIZE_OFFSET, TAG);
        state.set(JAVA_LONG, PARAMS_OFFSET + PARAM_RETURN_SIZE_OFFSET, PARAM_UNMODIFIED);
        // The second entry stays zero: OSSL_PARAM_END.
        try {
            ctx = (long) NEWCTX.invokeExact(provider.newctx, provider.context);
        } catch (Throwable t) {
            throw new AssertionError("downcall failed unexpectedly", t);
        }
        if (ctx == 0) {
            throw new OutOfMemoryError("the " + suite.configName() + " provider's newctx failed");
        }
        releaseWith(new FreeContext(provider.freectx, ctx));
        long c = ctx;
        MemorySegment keyInit = init;
        boolean keyed = keyFrom(key, (at, length) -> (int) INIT.invokeExact(keyInit, c, at, (long) length, 0L, 0L, 0L) == 1);
        if (!keyed) {
            wipe();
            throw new IllegalStateException("OpenSSL refused the " + suite.configName() + " key");
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
     * Runs init-with-nonce (for opening, with the expected tag), AAD, update, final, and for sealing
     * the tag get, with the nonce and tag in {@code state}.
     */
    @Override
    boolean run(long aad, int aadLen, long in, long out, int len) {
        if (ctx == 0) {
            throw new IllegalStateException(suite.configName() + " key was retired");
        }
        Provider p = provider;
        try {
            boolean ok = (int) INIT.invokeExact(init, ctx, 0L, 0L, nonceAt, NONCE_LENGTH, encrypt ? 0L : paramsAt) == 1;
            if (aadLen > 0) {
                // A null output makes the update associated data.
                ok &= (int) UPDATE.invokeExact(p.update, ctx, 0L, outlAt, (long) aadLen, aad, (long) aadLen) == 1;
            }
            ok &= (int) UPDATE.invokeExact(p.update, ctx, out, outlAt, (long) len, in, (long) len) == 1;
            // Neither AEAD writes output in final (it checks or computes the tag); out + len is where it would go.
            ok &= (int) FINAL.invokeExact(p.fin, ctx, out + len, outlAt, (long) TAG) == 1;
            if (encrypt) {
                ok &= (int) GET_CTX_PARAMS.invokeExact(p.getCtxParams, ctx, paramsAt) == 1;
            }
            return ok;
        } catch (Throwable t) {
            throw new AssertionError("downcall failed unexpectedly", t);
        }
    }

    /** Forgets the context; the base's wipe frees it (the provider's {@code freectx} cleanses the key schedule and GHASH/Poly1305 state). */
    @Override
    void retire() {
        ctx = 0;
    }

    @Override
    String library() {
        return "OpenSSL";
    }

    /** The cleaning action: must not refer to the {@link OpenSslAead} it cleans up after. */
    private record FreeContext(MemorySegment freectx, long ctx) implements Runnable {
        @Override
        public void run() {
            try {
                FREECTX.invokeExact(freectx, ctx);
            } catch (Throwable t) {
                throw new AssertionError("downcall failed unexpectedly", t);
            }
        }
    }

    /** True once no key material is held (the context was freed). */
    @Override
    boolean keyZeroed() {
        return ctx == 0;
    }



    /** A downcall to a function pointer passed as the first argument (a provider's, from its dispatch table). */
    @SuppressWarnings("restricted")
    private static MethodHandle unbound(FunctionDescriptor descriptor, Linker.Option... options) {
        return LINKER.downcallHandle(descriptor, options);
    }

    /** Seals and opens one message per suite with both OpenSSL and the JDK and compares. */
    private static String selfTest() {
        if ("jdk".equals(System.getProperty("ipop.aead"))) {
            return "JDK (OpenSSL turned off by -Dipop.aead=jdk)";
        }
        if (!LIB.loaded()) {
            return "JDK (" + LIBRARY + " not loadable)";
        }
        for (MethodHandle h : new MethodHandle[] {CIPHER_FETCH, CIPHER_PROVIDER, QUERY_OPERATION, PROVIDER_CONTEXT}) {
            if (h == null) {
                return "JDK (" + LIBRARY + " lacks a provider symbol)";
            }
        }
        if (AES_256_GCM == null || CHACHA20_POLY1305 == null) {
            return "JDK (" + LIBRARY + " offers no provider with every AEAD function for both suites)";
        }
        byte[] key = new byte[JceAead.KEY_LENGTH];
        Arrays.fill(key, (byte) 0x5a);
        for (Suite s : Suite.values()) {
            String failed = agreesWithJdk(s, key, new OpenSslAead(s, key, true, true), new OpenSslAead(s, key, false, true));
            if (failed != null) {
                return "JDK (" + LIBRARY + " " + failed + ")";
            }
        }
        return "OpenSSL " + LIBRARY + " provider (self-test passed)";
    }

    /**
     * The provider functions of one cipher, looked up once: fetches {@code algorithm} the way
     * {@code EVP_CIPHER_fetch} picks it (default library context, no property query), then finds
     * it by name in its provider's cipher table. The fetched cipher is kept for the JVM's life,
     * which keeps its provider loaded. Null if anything is missing.
     */
    @SuppressWarnings("restricted")
    private static Provider provider(String algorithm) {
        if (CIPHER_FETCH == null || CIPHER_PROVIDER == null || QUERY_OPERATION == null || PROVIDER_CONTEXT == null) {
            return null;
        }
        try (Arena temp = Arena.ofConfined()) {
            long cipher = (long) CIPHER_FETCH.invokeExact(0L, temp.allocateFrom(algorithm), 0L);
            if (cipher == 0) {
                return null;
            }
            long prov = (long) CIPHER_PROVIDER.invokeExact(cipher);
            if (prov == 0) {
                return null;
            }
            MemorySegment noStore = temp.allocate(JAVA_INT);
            MemorySegment table = (MemorySegment) QUERY_OPERATION.invokeExact(prov, OSSL_OP_CIPHER, noStore.address());
            long context = (long) PROVIDER_CONTEXT.invokeExact(prov);
            if (table.address() == 0 || context == 0) {
                return null;
            }
            MemorySegment dispatch = null;
            for (MemorySegment entry = table.reinterpret(ALGORITHM_SIZE); ;
                    entry = MemorySegment.ofAddress(entry.address() + ALGORITHM_SIZE).reinterpret(ALGORITHM_SIZE)) {
                MemorySegment names = entry.get(ADDRESS, ALGORITHM_NAMES_OFFSET);
                if (names.address() == 0) {
                    break;
                }
                // "AES-256-GCM:id-aes256-GCM:2.16.840.1.101.3.4.1.46": names separated by colons.
                for (String name : names.reinterpret(Integer.MAX_VALUE).getString(0).split(":")) {
                    if (name.equalsIgnoreCase(algorithm)) {
                        dispatch = entry.get(ADDRESS, ALGORITHM_IMPLEMENTATION_OFFSET);
                    }
                }
                if (dispatch != null) {
                    break;
                }
            }
            if (dispatch == null || dispatch.address() == 0) {
                return null;
            }
            MemorySegment[] functions = new MemorySegment[FUNC_GET_CTX_PARAMS + 1];
            for (long at = dispatch.address(); ; at += DISPATCH_SIZE) {
                MemorySegment entry = MemorySegment.ofAddress(at).reinterpret(DISPATCH_SIZE);
                int id = entry.get(JAVA_INT, DISPATCH_ID_OFFSET);
                if (id == 0) {
                    break;
                }
                if (id < functions.length) {
                    functions[id] = entry.get(ADDRESS, DISPATCH_FUNCTION_OFFSET);
                }
            }
            for (int id : new int[] {FUNC_NEWCTX, FUNC_ENCRYPT_INIT, FUNC_DECRYPT_INIT, FUNC_UPDATE, FUNC_FINAL,
                    FUNC_FREECTX, FUNC_GET_CTX_PARAMS}) {
                if (functions[id] == null || functions[id].address() == 0) {
                    return null;
                }
            }
            return new Provider(context, functions[FUNC_NEWCTX], functions[FUNC_ENCRYPT_INIT],
                    functions[FUNC_DECRYPT_INIT], functions[FUNC_UPDATE], functions[FUNC_FINAL],
                    functions[FUNC_FREECTX], functions[FUNC_GET_CTX_PARAMS]);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new AssertionError("downcall failed unexpectedly", t);
        }
    }

    /** One cipher's provider: its context (for newctx) and the functions called, as zero-length segments. */
    private record Provider(long context, MemorySegment newctx, MemorySegment encryptInit, MemorySegment decryptInit,
                            MemorySegment update, MemorySegment fin, MemorySegment freectx,
                            MemorySegment getCtxParams) {
    }
}
