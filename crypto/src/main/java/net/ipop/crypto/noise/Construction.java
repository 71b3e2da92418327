package net.ipop.crypto.noise;

import java.nio.charset.StandardCharsets;

import net.ipop.crypto.MessageTypes;
import net.ipop.crypto.Suite;
import net.ipop.crypto.primitives.Blake2s;

/**
 * The per-suite constants of the handshake: Noise protocol name, prologue identifier, message
 * types, and the initial chaining key and hash derived from them. Immutable.
 */
final class Construction {
    /** WireGuard's labels for the mac1 and cookie keys (both suites). */
    static final byte[] LABEL_MAC1 = "mac1----".getBytes(StandardCharsets.US_ASCII);
    static final byte[] LABEL_COOKIE = "cookie--".getBytes(StandardCharsets.US_ASCII);

    private static final Construction WIREGUARD = new Construction(Suite.CHACHA20POLY1305,
            "Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s", "WireGuard v1 zx2c4 Jason@zx2c4.com");
    private static final Construction IPOP_AES = new Construction(Suite.AES256GCM,
            "Noise_IKpsk2_25519_AESGCM_BLAKE2s", "IPOP v1 aes256gcm net.ipop");

    final Suite suite;
    final byte typeInitiation;
    final byte typeResponse;
    final byte typeCookieReply;
    /** {@code Ci = HASH(CONSTRUCTION)}: the chaining key both sides start from. */
    private final byte[] initialChainKey = new byte[Blake2s.HASH_LENGTH];
    /** {@code HASH(Ci || IDENTIFIER)}; mixed with the responder's static key it becomes the initial hash. */
    private final byte[] identifierHash = new byte[Blake2s.HASH_LENGTH];

    private Construction(Suite suite, String construction, String identifier) {
        this.suite = suite;
        this.typeInitiation = MessageTypes.initiation(suite);
        this.typeResponse = MessageTypes.response(suite);
        this.typeCookieReply = MessageTypes.cookieReply(suite);
        Blake2s b = new Blake2s();
        byte[] c = construction.getBytes(StandardCharsets.US_ASCII);
        byte[] id = identifier.getBytes(StandardCharsets.US_ASCII);
        b.hash(c, 0, c.length, null, 0, 0, initialChainKey, 0);
        b.hash(initialChainKey, 0, Blake2s.HASH_LENGTH, id, 0, id.length, identifierHash, 0);
    }

    static Construction of(Suite suite) {
        return suite == Suite.AES256GCM ? IPOP_AES : WIREGUARD;
    }

    void copyInitialChainKey(byte[] ck) {
        System.arraycopy(initialChainKey, 0, ck, 0, Blake2s.HASH_LENGTH);
    }

    /** {@code HASH(HASH(Ci || IDENTIFIER) || responderStatic)} into {@code out}. */
    void initialHash(Blake2s b, byte[] responderStatic, byte[] out) {
        b.hash(identifierHash, 0, Blake2s.HASH_LENGTH, responderStatic, 0, responderStatic.length, out, 0);
    }

    /** {@code HASH(label || publicKey)}: the mac1 or cookie key for messages to the owner of {@code publicKey}. */
    static byte[] labelKey(Blake2s b, byte[] label, byte[] publicKey) {
        byte[] out = new byte[Blake2s.HASH_LENGTH];
        b.hash(label, 0, label.length, publicKey, 0, publicKey.length, out, 0);
        return out;
    }
}
