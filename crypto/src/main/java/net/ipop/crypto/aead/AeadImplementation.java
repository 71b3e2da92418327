package net.ipop.crypto.aead;

/**
 * Which AEAD implementation {@link PacketSealer} and {@link PacketOpener} use in this JVM, decided
 * once when first asked: OpenSSL's libcrypto 3 through FFM when it loads and passes a self-test
 * against the JDK (no allocation per packet), with AES-256-GCM through libgcrypt when that loads
 * and passes its own self-test (faster on hosts with VAES), else the JDK cipher (allocates
 * ~1-2 KB per packet inside the JDK). {@code -Dipop.aead=jdk} forces the JDK. Both produce the same wire format.
 */
public final class AeadImplementation {
    private AeadImplementation() {
    }

    /** True if sealers and openers built from now on use OpenSSL. */
    public static boolean openSsl() {
        return OpenSslAead.available();
    }

    /**
     * One line for logs: the implementation in use and, for the JDK, why OpenSSL is not; with OpenSSL,
     * whether AES-256-GCM goes through libgcrypt instead ({@link GcryptAead}) and if not why.
     */
    public static String describe() {
        return OpenSslAead.available() ? OpenSslAead.status() + "; " + GcryptAead.status() : OpenSslAead.status();
    }
}
