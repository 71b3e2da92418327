package net.ipop.crypto.aead;

import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.util.Arrays;
import net.ipop.crypto.Suite;

/**
 * One direction's AES-256-GCM key for Intel's Multi-Buffer Crypto for IPsec library (libIPSec_MB 1.x, Debian's
 * {@code libipsec-mb1}), called through FFM: the transport's AES-GCM when the library is on the host and the CPU
 * has what its VAES/AVX-512 GCM code needs, ahead of {@link GcryptAead}.
 *
 * <p>Why: that code interleaves the AES rounds and the GHASH multiplications of 512-bit vectors in one pass
 * over the message ("stitched"), where libgcrypt 1.10 runs its CTR and GHASH passes one after the other, and a
 * message is one call instead of five. The JMH crypto benchmark's {@code gcm*} rows compare the two
 * ({@code performance.md}, "Crypto").
 *
 * <p>State: the expanded key and the hash key's powers ({@code struct gcm_key_data}, computed once by {@code
 * aes_gcm_pre_256_vaes_avx512}) and the per-message context live in this object's native state, which {@link
 * #wipe()} zeroes; a key dropped without a wipe is zeroed by the cleaner. Opening computes the tag of the
 * ciphertext while decrypting; it is compared with the received one here, in constant time.
 *
 * <p>Availability is decided once per JVM: the library must load and export the feature query and the three
 * functions, report AVX-512 (F, DQ, CD, BW, VL), VAES and VPCLMULQDQ (the set under which the library itself picks
 * these functions; elsewhere they would fault), and agree with the JDK on a self-test. {@code -Dipop.aead=gcrypt},
 * {@code =openssl} or {@code =jdk} turns it off. {@link #status()} says why.
 *
 * <p>Not thread-safe: the owner of the enclosing sealer or opener is the only caller; {@link #wipe()} may run on
 * another thread once the owner stopped using this.
 */
final class IpsecMbAead extends NativeAead {
    private static final String LIBRARY = "libIPSec_MB.so.1";
    /** intel-ipsec-mb.h: IMB_FEATURE_AVX512_SKX | IMB_FEATURE_VAES | IMB_FEATURE_VPCLMULQDQ. */
    private static final long REQUIRED_FEATURES = 0xf80L | (1L << 12) | (1L << 13);

    /** The tag computed while opening, compared with the received one at {@link #TAG_OFFSET}. */
    private static final long COMPUTED_TAG_OFFSET = LIBRARY_STATE_OFFSET;
    /** {@code struct gcm_context_data}: 88 bytes, 8-byte aligned. */
    private static final long CONTEXT_OFFSET = COMPUTED_TAG_OFFSET + TAG;
    private static final long CONTEXT_SIZE = 88;
    /** {@code struct gcm_key_data}: 1008 bytes, declared 64-byte aligned (the state is). */
    private static final long KEY_DATA_OFFSET = 256;
    private static final long KEY_DATA_SIZE = 1008;

    private static final AeadLibrary LIB = AeadLibrary.load(LIBRARY, "jdk", "openssl", "gcrypt");
    private static final Linker.Option CRITICAL = Linker.Option.critical(false);
    // Pointers and lengths are passed as JAVA_LONG: the same register class on LP64, and no MemorySegment has
    // to be made per packet.
    private static final MethodHandle FEATURES = LIB.handle("imb_get_feature_flags", FunctionDescriptor.of(JAVA_LONG));
    /** (key, key_data). */
    private static final MethodHandle PRE = LIB.handle("aes_gcm_pre_256_vaes_avx512",
            FunctionDescriptor.ofVoid(JAVA_LONG, JAVA_LONG));
    /** (key_data, context, out, in, len, iv, aad, aad_len, tag, tag_len); out may equal in. */
    private static final MethodHandle ENCRYPT = LIB.handle("aes_gcm_enc_256_vaes_avx512", FunctionDescriptor.ofVoid(
            JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG,
            JAVA_LONG), CRITICAL);
    private static final MethodHandle DECRYPT = LIB.handle("aes_gcm_dec_256_vaes_avx512", FunctionDescriptor.ofVoid(
            JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG,
            JAVA_LONG), CRITICAL);
    private static final String STATUS = selfTest();

    private final long keyData;
    private final long context;
    private final long computedTag;
    private boolean retired;

    /**
     * Expands {@code key} (32 bytes) into this object's state; the caller wipes its own copy.
     *
     * @throws IllegalStateException if the library is not {@link #available()}
     */
    IpsecMbAead(byte[] key, boolean encrypt) {
        this(key, encrypt, false);
    }

    private IpsecMbAead(byte[] key, boolean encrypt, boolean selfTest) {
        super(KEY_DATA_OFFSET + KEY_DATA_SIZE - LIBRARY_STATE_OFFSET, encrypt);
        if (key.length != JceAead.KEY_LENGTH) {
            throw new IllegalArgumentException("an aes256gcm key is 32 bytes, got " + key.length);
        }
        if (!selfTest && !available()) {
            throw new IllegalStateException("libIPSec_MB AEAD unavailable: " + STATUS);
        }
        keyData = state.address() + KEY_DATA_OFFSET;
        context = state.address() + CONTEXT_OFFSET;
        computedTag = state.address() + COMPUTED_TAG_OFFSET;
        releaseWith(new ZeroState(state));
        long kd = keyData;
        keyFrom(key, (at, length) -> {
            PRE.invokeExact(at, kd);
            return true;
        });
    }

    /** True if the library is loaded, the CPU qualifies and the self-test passed. */
    static boolean available() {
        return STATUS.startsWith("libIPSec_MB");
    }

    /** Whether AES-256-GCM goes through this library, and if not why: for logs and benchmarks. */
    static String status() {
        return STATUS;
    }

    /** Encrypts or decrypts in one call; when opening, compares the computed tag with the expected one. */
    @Override
    boolean run(long aad, int aadLen, long in, long out, int len) {
        if (retired) {
            throw new IllegalStateException("aes256gcm key was retired");
        }
        try {
            if (encrypt) {
                ENCRYPT.invokeExact(keyData, context, out, in, (long) len, nonceAt, aad, (long) aadLen, tagAt,
                        (long) TAG);
                return true;
            }
            DECRYPT.invokeExact(keyData, context, out, in, (long) len, nonceAt, aad, (long) aadLen, computedTag,
                    (long) TAG);
        } catch (Throwable t) {
            throw new AssertionError("downcall failed unexpectedly", t);
        }
        // Every byte is compared whatever the first differing one: no timing tells how much of a forged tag was right.
        long diff = (state.get(JAVA_LONG, TAG_OFFSET) ^ state.get(JAVA_LONG, COMPUTED_TAG_OFFSET))
                | (state.get(JAVA_LONG, TAG_OFFSET + 8) ^ state.get(JAVA_LONG, COMPUTED_TAG_OFFSET + 8));
        return diff == 0;
    }

    @Override
    void retire() {
        retired = true;
    }

    @Override
    boolean keyZeroed() {
        return retired && state.asSlice(KEY_DATA_OFFSET, KEY_DATA_SIZE).elements(JAVA_LONG)
                .allMatch(s -> s.get(JAVA_LONG, 0) == 0);
    }

    @Override
    String library() {
        return "libIPSec_MB";
    }

    /** The cleaning action: zeroes the key schedule of a key dropped without a wipe. Must not refer to its owner. */
    private record ZeroState(MemorySegment state) implements Runnable {
        @Override
        public void run() {
            state.fill((byte) 0);
        }
    }



    /** Checks the CPU's features as the library reports them, then seals and opens one message against the JDK. */
    private static String selfTest() {
        if (!LIB.loaded()) {
            String choice = System.getProperty("ipop.aead");
            return choice != null ? "off (-Dipop.aead=" + choice + ")" : "off (" + LIBRARY + " not loadable)";
        }
        for (MethodHandle h : new MethodHandle[] {FEATURES, PRE, ENCRYPT, DECRYPT}) {
            if (h == null) {
                return "off (" + LIBRARY + " lacks a symbol)";
            }
        }
        long features;
        try {
            features = (long) FEATURES.invokeExact();
        } catch (Throwable t) {
            return "off (" + LIBRARY + " feature query failed: " + t + ")";
        }
        if ((features & REQUIRED_FEATURES) != REQUIRED_FEATURES) {
            return "off (this CPU lacks AVX-512, VAES or VPCLMULQDQ: features 0x" + Long.toHexString(features) + ")";
        }
        byte[] key = new byte[JceAead.KEY_LENGTH];
        Arrays.fill(key, (byte) 0x5a);
        String failed;
        try {
            failed = agreesWithJdk(Suite.AES256GCM, key, new IpsecMbAead(key, true, true),
                    new IpsecMbAead(key, false, true));
        } catch (RuntimeException e) {
            failed = "failed the aes256gcm self-test: " + e.getMessage();
        }
        return failed != null ? "off (" + LIBRARY + " " + failed + ")"
                : "libIPSec_MB " + LIBRARY + " (VAES/AVX-512) for aes256gcm (self-test passed)";
    }
}
