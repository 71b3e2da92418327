/**
 * The Noise_IKpsk2 handshake exactly as WireGuard specifies it, for two suites: chacha20poly1305
 * (byte-compatible with stock WireGuard) and aes256gcm (same handshake under its own construction
 * name and message types, AES-256-GCM for the encrypted fields).
 *
 * <p>Map: {@link net.ipop.crypto.noise.Handshaker} is the per-interface state machine (creates
 * initiations, consumes initiations/responses/cookie replies, answers with cookie replies under
 * load); {@link net.ipop.crypto.noise.PeerHandshake} is one peer's handshake and cookie state;
 * {@link net.ipop.crypto.noise.PeerTimers} turns events and a {@link net.ipop.crypto.noise.Clock}
 * reading into "initiate now / send keepalive / keys expired"; a completed handshake yields
 * {@link net.ipop.crypto.noise.SessionKeys} for the transport. Nothing here starts threads or reads
 * the time by itself.
 */
package net.ipop.crypto.noise;
