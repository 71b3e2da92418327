package net.ipop.crypto.aead;

/**
 * Which AEAD implementation {@link PacketSealer} and {@link PacketOpener} use in this JVM, decided
 * once when first asked: OpenSSL's libcrypto 3 through FFM when it loads and passes a self-test
 * against the JDK (no allocation per packet), with AES-256-GCM through libIPSec_MB's VAES/AVX-512 code
 * ({@link IpsecMbAead}) or, failing that, libgcrypt ({@link GcryptAead}) when the library loads and passes
 * its own self-test, else the JDK cipher (allocates ~1-2 KB per packet inside the JDK). {@code
 * -Dipop.aead=gcrypt} stops at libgcrypt, {@code =openssl} at OpenSSL, {@code =jdk} forces the JDK. All
 * produce the same wire format.
 */
public final class AeadImplementation {
    private AeadImplementation() {
    }

    /** True if sealers and openers built from now on use OpenSSL. */
    public static boolean openSsl() {
        return OpenSslAead.available();
    }

    /** The library AES-256-GCM goes through in this JVM: {@code libIPSec_MB}, {@code libgcrypt}, {@code OpenSSL} or {@code JDK}. */
    public static String aes256gcm() {
        if (!OpenSslAead.available()) {
            return "JDK";
        }
        return IpsecMbAead.available() ? "libIPSec_MB" : GcryptAead.available() ? "libgcrypt" : "OpenSSL";
    }

    /**
     * One line for logs: the implementation in use and, for the JDK, why OpenSSL is not; with OpenSSL,
     * which library AES-256-GCM goes through ({@link IpsecMbAead}, {@link GcryptAead}) and why not the faster.
     */
    public static String describe() {
        if (!OpenSslAead.available()) {
            return OpenSslAead.status();
        }
        String aes = IpsecMbAead.available() ? IpsecMbAead.status()
                : GcryptAead.status() + "; libIPSec_MB " + IpsecMbAead.status();
        return OpenSslAead.status() + "; " + aes;
    }
}
