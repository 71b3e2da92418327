/**
 * The transport AEAD: sealing and opening data messages in place, one key per direction.
 *
 * <p>Wire format (WireGuard's transport data message, {@link net.ipop.crypto.aead.TransportHeader}):
 * {@code type(4, LE) | receiver index(4, LE) | counter(8, LE) | ciphertext | tag(16)}. Type 4 is
 * WireGuard's ChaCha20-Poly1305 message; type 0x14 is IPOP's AES-256-GCM message
 * ({@link net.ipop.crypto.MessageTypes}).
 *
 * <p>Nonce: 4 zero bytes then the counter little-endian (12 bytes), for both suites. Associated
 * data: none, as in WireGuard, so the ChaCha20-Poly1305 suite stays byte-compatible with it. The
 * header is still bound to the ciphertext: the counter is the nonce, and the opener requires its
 * own type and receiver index, so altering any header bit yields {@code MALFORMED} or
 * {@code AUTH_FAILED}, never a delivered packet.
 *
 * <p>Sending: {@link net.ipop.crypto.aead.PacketSealer}; receiving:
 * {@link net.ipop.crypto.aead.PacketOpener} (with a {@link net.ipop.crypto.replay.ReplayWindow}).
 * Implementation ({@link net.ipop.crypto.aead.AeadImplementation}): OpenSSL's libcrypto 3 through
 * FFM when it loads and passes a self-test - a context per key, a new nonce per message, no
 * allocation, sealing in place and opening into the per-thread
 * {@link net.ipop.crypto.aead.AeadScratch}; otherwise the JDK cipher, copying through the scratch's
 * heap arrays (the JDK ciphers are fastest on heap arrays) and allocating inside the JDK per
 * message. Limits: {@link net.ipop.crypto.aead.MessageLimits}. Outcomes:
 * {@link net.ipop.crypto.aead.PacketResult}. Why these choices, with numbers: docs/performance.md,
 * "Crypto (JMH)".
 */
package net.ipop.crypto.aead;
