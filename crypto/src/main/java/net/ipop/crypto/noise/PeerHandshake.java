package net.ipop.crypto.noise;

import java.util.Arrays;

import net.ipop.crypto.primitives.Blake2s;
import net.ipop.crypto.primitives.Curve25519;
import net.ipop.crypto.primitives.Tai64n;

/**
 * One peer's handshake state inside a {@link Handshaker}: its static key and pre-shared key, the
 * values precomputed from them, the initiations in flight (ephemeral key, chaining key, hash of each of
 * the last {@link #INITIATIONS_KEPT}), the replay and flood state of its initiations, its cookie, and its
 * {@link PeerTimers}.
 *
 * <p>Owned and mutated only by the thread that owns the {@link Handshaker}.
 */
public final class PeerHandshake {
    /** Cookies are valid for two minutes after they arrive (WireGuard's COOKIE_REFRESH_TIME). */
    static final long COOKIE_LIFETIME_NANOS = 120_000_000_000L;
    /**
     * Initiations whose response is still accepted: the newest and the two before it. A retransmission leaves
     * every REKEY_TIMEOUT (5 s); on a loaded host a response can take longer than that, and if only the newest
     * initiation counted, every response would find its initiation superseded and the handshake would never
     * complete, while the responder installed a session for each (sending on keys we never derive).
     */
    static final int INITIATIONS_KEPT = 3;

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

    /** Initiations in flight, a ring; {@link #newestInitiation} is the slot written last. */
    final Initiation[] initiations = new Initiation[INITIATIONS_KEPT];
    int newestInitiation = INITIATIONS_KEPT - 1;

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
        for (int i = 0; i < INITIATIONS_KEPT; i++) {
            initiations[i] = new Initiation();
        }
    }

    /** One initiation of ours: its state is meaningful while {@link #pending}. */
    static final class Initiation {
        boolean pending;
        int index;
        long sentNanos;
        final byte[] ephemeralPrivate = new byte[Curve25519.KEY_LENGTH];
        final byte[] chainKey = new byte[Blake2s.HASH_LENGTH];
        final byte[] hash = new byte[Blake2s.HASH_LENGTH];

        void clear() {
            pending = false;
            index = 0;
            Arrays.fill(ephemeralPrivate, (byte) 0);
            Arrays.fill(chainKey, (byte) 0);
            Arrays.fill(hash, (byte) 0);
        }
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

    /** Whether an initiation of ours (one of the last {@link #INITIATIONS_KEPT}) awaits its response. */
    public boolean initiationPending() {
        for (Initiation i : initiations) {
            if (i.pending) {
                return true;
            }
        }
        return false;
    }

    /** The pending initiation with this local index, or {@code null}. */
    Initiation pendingInitiation(int index) {
        for (Initiation i : initiations) {
            if (i.pending && i.index == index) {
                return i;
            }
        }
        return null;
    }

    boolean cookieValid(long now) {
        return cookieMac != null && now - cookieReceivedNanos < COOKIE_LIFETIME_NANOS;
    }

    void clearInitiations() {
        for (Initiation i : initiations) {
            i.clear();
        }
    }
}
