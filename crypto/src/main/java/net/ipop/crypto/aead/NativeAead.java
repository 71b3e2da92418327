package net.ipop.crypto.aead;

import java.lang.foreign.MemorySegment;
import net.ipop.crypto.Suite;

/**
 * One direction's AEAD key in a native library, as {@link PacketSealer} and {@link PacketOpener}
 * use it on off-heap packets: the per-message calls take the counter (the nonce is 4 zero bytes
 * and the counter little-endian, as in {@link JceAead}), no associated data, and allocate nothing.
 * Callers check bounds first.
 *
 * <p>Threading and lifetime: as the implementations ({@link OpenSslAead}, {@link GcryptAead}): one
 * owning thread; {@link #wipe()} may run on another once the owner stopped.
 */
sealed interface NativeAead permits OpenSslAead, GcryptAead {

    /**
     * The fastest native implementation of {@code suite} on this host: libgcrypt for AES-256-GCM
     * when {@link GcryptAead#available()}, else OpenSSL (which must be {@link OpenSslAead#available()}).
     * Copies {@code key}; the caller wipes its own copy.
     */
    static NativeAead of(Suite suite, byte[] key, boolean encrypt) {
        if (suite == Suite.AES256GCM && GcryptAead.available()) {
            return new GcryptAead(key, encrypt);
        }
        return new OpenSslAead(suite, key, encrypt);
    }

    /** Encrypts {@code len} bytes at {@code payloadAt} in place and writes the 16-byte tag after them. */
    void seal(long counter, MemorySegment packet, long payloadAt, int len);

    /**
     * Verifies and decrypts {@code len + 16} bytes (ciphertext then tag) at {@code payloadAt} into
     * {@code out} at 0; the packet is not modified.
     *
     * @return false if the tag does not verify ({@code out} then holds garbage)
     */
    boolean open(long counter, MemorySegment packet, long payloadAt, int len, MemorySegment out);

    /** As {@link #open} with the plaintext written over the ciphertext (garbage on a false return). */
    boolean openInPlace(long counter, MemorySegment packet, long payloadAt, int len);

    /** Frees the key's native state, cleansing it; later calls throw. Idempotent. */
    void wipe();

    /** True once no key material is held. */
    boolean keyZeroed();
}
