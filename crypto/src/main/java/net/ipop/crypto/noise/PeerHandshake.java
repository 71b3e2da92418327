package net.ipop.crypto.noise;

import java.util.Arrays;

import net.ipop.crypto.primitives.Blake2s;
import net.ipop.crypto.primitives.Curve25519;
import net.ipop.crypto.primitives.Tai64n;

/**
 * One peer's handshake state inside a {@link Handshaker}: its static key and pre-shared key, the
 * values precomputed from them, the in-flight initiation (ephemeral key, chaining key, hash), the
 * replay and flood state of its initiations, its cookie, and its {@link PeerTimers}.
 *
 * <p>Owned and mutated only by the thread that owns the {@link Handshaker}.
 */
public final class PeerHandshake {
    /** Cookies are valid for two minutes after they arrive (WireGuard's COOKIE_REFRESH_TIME). */
    static final long COOKIE_LIFETIME_NANOS = 120_000_000_000L;

    private final int peerId;
    final byte[] remoteStatic;
    final byte[] presharedKey;
    /** {@code DH(S_local, S_remote)}, the same for every handshake with this peer. */
    final byte[] staticStatic;
    /** Initial Noise hash when we initiate (mixes the peer's static key). */
    final byte[] initiatorHash;
    /** mac1 key for messages we send to the peer: {@code HASH("mac1----" || S_remote)}. */
    final Blake2s.Mac mac1;
    /** Key that decrypts the peer's cookie replies: {@code HASH("cookie--" || S_remote)}. */
    final byte[] cookieKey;
    private final PeerTimers timers;

    // In-flight initiation; meaningful while initiationPending.
    boolean initiationPending;
    int pendingIndex;
    final byte[] ephemeralPrivate = new byte[Curve25519.KEY_LENGTH];
    final byte[] chainKey = new byte[Blake2s.HASH_LENGTH];
    final byte[] hash = new byte[Blake2s.HASH_LENGTH];

    // Replay and flood protection for initiations we consume.
    boolean haveTimestamp;
    final byte[] lastTimestamp = new byte[Tai64n.LENGTH];
    boolean consumedInitiation;
    long lastInitiationConsumedNanos;

    // Cookie state for messages we send.
    boolean haveLastMac1;
    final byte[] lastMac1 = new byte[HandshakeMessages.MAC_LENGTH];
    Blake2s.Mac cookieMac;
    long cookieReceivedNanos;

    PeerHandshake(int peerId, byte[] remoteStatic, byte[] presharedKey, byte[] staticStatic, byte[] initiatorHash,
                  Blake2s.Mac mac1, byte[] cookieKey, PeerTimers timers) {
        this.peerId = peerId;
        this.remoteStatic = remoteStatic;
        this.presharedKey = presharedKey;
        this.staticStatic = staticStatic;
        this.initiatorHash = initiatorHash;
        this.mac1 = mac1;
        this.cookieKey = cookieKey;
        this.timers = timers;
    }

    /** The caller's identifier given to {@link Handshaker#addPeer}. */
    public int peerId() {
        return peerId;
    }

    /** The peer's static public key (a copy). */
    public byte[] remoteStatic() {
        return remoteStatic.clone();
    }

    /** This peer's timers. */
    public PeerTimers timers() {
        return timers;
    }

    /** Whether an initiation of ours awaits its response. */
    public boolean initiationPending() {
        return initiationPending;
    }

    boolean cookieValid(long now) {
        return cookieMac != null && now - cookieReceivedNanos < COOKIE_LIFETIME_NANOS;
    }

    void clearInitiation() {
        initiationPending = false;
        Arrays.fill(ephemeralPrivate, (byte) 0);
        Arrays.fill(chainKey, (byte) 0);
        Arrays.fill(hash, (byte) 0);
    }
}
