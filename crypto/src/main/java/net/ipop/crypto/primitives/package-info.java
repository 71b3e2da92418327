/**
 * Thin, allocation-light wrappers over the primitives the Noise handshake is built from: BLAKE2s
 * (hash, keyed MAC, HMAC, HKDF), X25519, TAI64N timestamps and XChaCha20-Poly1305. None of them is
 * thread-safe: each owner (one handshake state machine) keeps its own instances.
 */
package net.ipop.crypto.primitives;
