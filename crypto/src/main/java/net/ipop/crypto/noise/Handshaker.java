package net.ipop.crypto.noise;

import java.security.SecureRandom;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

import net.ipop.crypto.Suite;
import net.ipop.crypto.primitives.Blake2s;
import net.ipop.crypto.primitives.ConstantTime;
import net.ipop.crypto.primitives.Curve25519;
import net.ipop.crypto.primitives.Tai64n;
import net.ipop.crypto.primitives.XChaCha20Poly1305;

import static net.ipop.crypto.noise.HandshakeMessages.COOKIE_ENCRYPTED_LENGTH;
import static net.ipop.crypto.noise.HandshakeMessages.COOKIE_ENCRYPTED_OFFSET;
import static net.ipop.crypto.noise.HandshakeMessages.COOKIE_LENGTH;
import static net.ipop.crypto.noise.HandshakeMessages.COOKIE_NONCE_OFFSET;
import static net.ipop.crypto.noise.HandshakeMessages.COOKIE_RECEIVER_OFFSET;
import static net.ipop.crypto.noise.HandshakeMessages.INITIATION_EPHEMERAL_OFFSET;
import static net.ipop.crypto.noise.HandshakeMessages.INITIATION_LENGTH;
import static net.ipop.crypto.noise.HandshakeMessages.INITIATION_MAC1_OFFSET;
import static net.ipop.crypto.noise.HandshakeMessages.INITIATION_SENDER_OFFSET;
import static net.ipop.crypto.noise.HandshakeMessages.INITIATION_STATIC_LENGTH;
import static net.ipop.crypto.noise.HandshakeMessages.INITIATION_STATIC_OFFSET;
import static net.ipop.crypto.noise.HandshakeMessages.INITIATION_TIMESTAMP_LENGTH;
import static net.ipop.crypto.noise.HandshakeMessages.INITIATION_TIMESTAMP_OFFSET;
import static net.ipop.crypto.noise.HandshakeMessages.MAC_LENGTH;
import static net.ipop.crypto.noise.HandshakeMessages.RESPONSE_EMPTY_LENGTH;
import static net.ipop.crypto.noise.HandshakeMessages.RESPONSE_EMPTY_OFFSET;
import static net.ipop.crypto.noise.HandshakeMessages.RESPONSE_EPHEMERAL_OFFSET;
import static net.ipop.crypto.noise.HandshakeMessages.RESPONSE_LENGTH;
import static net.ipop.crypto.noise.HandshakeMessages.RESPONSE_MAC1_OFFSET;
import static net.ipop.crypto.noise.HandshakeMessages.RESPONSE_RECEIVER_OFFSET;
import static net.ipop.crypto.noise.HandshakeMessages.RESPONSE_SENDER_OFFSET;

/**
 * The Noise_IKpsk2 handshake state machine of one local static key and suite: WireGuard's
 * protocol (whitepaper section 5) message for message, so the chacha20poly1305 suite talks to
 * stock WireGuard.
 *
 * <p>Driven entirely by calls: {@link #createInitiation} writes an initiation for a peer,
 * {@link #consume} takes any received handshake message and may write a reply. The time comes from
 * the {@link Clock} given at construction; no threads, no I/O. Single-threaded: one owner thread
 * calls everything (digests, ciphers and scratch buffers are reused across calls). Message buffers
 * are borrowed for the duration of a call.
 *
 * <p>Session indices: every initiation and every response we send takes a fresh random local index,
 * which becomes {@link SessionKeys#localIndex()} on success. An index stays reserved (so data and
 * cookie replies addressed to it find the peer) until the session owner calls
 * {@link #releaseIndex}; indices of superseded initiations are released here.
 */
public final class Handshaker {
    /**
     * At most one initiation per peer per 20 ms (50/s), as WireGuard. The check needs the decrypted
     * static key, so it bounds state churn, not DH work: mac1 and cookies bound that.
     */
    static final long INITIATION_MIN_INTERVAL_NANOS = 20_000_000L;
    private static final int KEY = SymmetricState.KEY;
    private static final byte[] EMPTY = new byte[0];

    private final Construction construction;
    private final NoiseKeyPair local;
    private final Clock clock;
    private final SecureRandom random;
    private final SymmetricState noise;
    private final XChaCha20Poly1305 xaead = new XChaCha20Poly1305();
    private final CookieChecker cookies;
    /** Initial hash of initiations addressed to us. */
    private final byte[] responderHash = new byte[KEY];
    private final byte[] initialChainKey = new byte[KEY];

    private final Map<StaticKey, PeerHandshake> peersByStatic = new HashMap<>();
    private final IndexTable peersByIndex = new IndexTable();
    private boolean underLoad;

    // Scratch, reused by every message.
    private final byte[] ephemeralPrivate = new byte[KEY];
    private final byte[] ephemeralPublic = new byte[KEY];
    private final byte[] remoteStatic = new byte[KEY];
    private final byte[] timestamp = new byte[Tai64n.LENGTH];
    private final byte[] cookie = new byte[MAC_LENGTH];

    // Result of the last consume(), valid until the next call.
    private PeerHandshake lastPeer;
    private SessionKeys lastKeys;
    private int replyLength;
    private long answeredInitiationNanos;

    /**
     * @param suite  the suite every message of this state machine uses
     * @param local  our static key pair
     * @param clock  time source for timestamps, timers, cookie ages and rate limits
     * @param random source of ephemeral keys, indices, cookie secrets and nonces
     */
    public Handshaker(Suite suite, NoiseKeyPair local, Clock clock, SecureRandom random) {
        this.construction = Construction.of(suite);
        this.local = local;
        this.clock = clock;
        this.random = random;
        this.noise = new SymmetricState(suite);
        this.cookies = new CookieChecker(noise.b2, local.publicKeyRef(), random);
        construction.initialHash(noise.b2, local.publicKeyRef(), responderHash);
        construction.copyInitialChainKey(initialChainKey);
    }

    public Suite suite() {
        return construction.suite;
    }

    /**
     * Adds a peer. {@code peerId} is the caller's handle, returned by {@link PeerHandshake#peerId()};
     * {@code presharedKey} is 32 bytes or {@code null} for none (all zero, as WireGuard).
     *
     * @throws IllegalArgumentException if the key is malformed, a low-order point, or already added
     */
    public PeerHandshake addPeer(int peerId, byte[] peerStatic, byte[] presharedKey) {
        if (peerStatic.length != KEY || (presharedKey != null && presharedKey.length != KEY)) {
            throw new IllegalArgumentException("static and pre-shared keys are 32 bytes");
        }
        StaticKey k = new StaticKey(peerStatic.clone());
        if (peersByStatic.containsKey(k)) {
            throw new IllegalArgumentException("peer already added: " + peerId);
        }
        byte[] ss = new byte[KEY];
        if (!Curve25519.agree(local.privateKeyRef(), k.bytes, 0, ss)) {
            throw new IllegalArgumentException("peer " + peerId + " has a low-order public key");
        }
        Blake2s b2 = noise.b2;
        byte[] hInit = new byte[KEY];
        construction.initialHash(b2, k.bytes, hInit);
        byte[] mac1Key = Construction.labelKey(b2, Construction.LABEL_MAC1, k.bytes);
        PeerHandshake p = new PeerHandshake(peerId, k.bytes, presharedKey == null ? new byte[KEY] : presharedKey.clone(),
                ss, hInit, new Blake2s.Mac(mac1Key, 0, KEY), Construction.labelKey(b2, Construction.LABEL_COOKIE, k.bytes),
                new PeerTimers(random));
        peersByStatic.put(k, p);
        return p;
    }

    /** Removes a peer and its pending initiation; session indices it holds must still be released by their owner. */
    public void removePeer(PeerHandshake peer) {
        peersByStatic.remove(new StaticKey(peer.remoteStatic));
        for (PeerHandshake.Initiation i : peer.initiations) {
            if (i.pending) {
                peersByIndex.remove(i.index);
            }
        }
        peer.clearInitiations();
    }

    /**
     * Under load (decided by the caller, e.g. a deep handshake queue), initiations and responses
     * without a valid mac2 are answered with a cookie reply instead of being processed.
     */
    public void setUnderLoad(boolean underLoad) {
        this.underLoad = underLoad;
    }

    /** Gives back a local index once the session that used it is dropped. */
    public void releaseIndex(int localIndex) {
        peersByIndex.remove(localIndex);
    }

    /**
     * Reserves {@code localIndex} for {@code peer} as if a handshake of ours had taken it: for a restarted
     * control plane that adopts sessions a data plane still runs, so no new handshake picks their indices.
     * Returns false (and changes nothing) if the index is 0 or already reserved.
     */
    public boolean claimIndex(int localIndex, PeerHandshake peer) {
        return localIndex != 0 && peersByIndex.putIfAbsent(localIndex, peer);
    }

    /** The peer that owns a reserved local index, or {@code null}. */
    public PeerHandshake peerForIndex(int localIndex) {
        return peersByIndex.get(localIndex);
    }

    /**
     * Writes a new initiation to {@code peer} into {@code out[off..+148]} and returns its length.
     * The earlier initiations still pending stay answerable, up to {@link PeerHandshake#INITIATIONS_KEPT} in
     * all: the oldest beyond that is dropped (its index released). Rate limiting is the caller's business
     * ({@link PeerTimers#shouldInitiate}); the peer's timers learn of the send.
     */
    public int createInitiation(PeerHandshake peer, byte[] out, int off) {
        if (out.length - off < INITIATION_LENGTH) {
            throw new IllegalArgumentException("initiation needs " + INITIATION_LENGTH + " bytes");
        }
        long now = clock.nanoTime();
        int slot = (peer.newestInitiation + 1) % PeerHandshake.INITIATIONS_KEPT;
        PeerHandshake.Initiation init = peer.initiations[slot];
        if (init.pending) {
            peersByIndex.remove(init.index);
            init.clear();
        }
        noise.start(initialChainKey, peer.initiatorHash);
        Curve25519.generatePrivateKey(random, init.ephemeralPrivate);
        Curve25519.publicKey(init.ephemeralPrivate, ephemeralPublic);
        int index = reserveIndex(peer);

        HandshakeMessages.writeHeader(out, off, construction.typeInitiation);
        HandshakeMessages.writeIndex(out, off + INITIATION_SENDER_OFFSET, index);
        System.arraycopy(ephemeralPublic, 0, out, off + INITIATION_EPHEMERAL_OFFSET, KEY);
        noise.mixEphemeral(ephemeralPublic, 0);
        // The peer's static key passed the low-order check in addPeer, so this agreement succeeds.
        noise.mixDhAndKey(init.ephemeralPrivate, peer.remoteStatic, 0);
        noise.encryptAndHash(local.publicKeyRef(), 0, KEY, out, off + INITIATION_STATIC_OFFSET);
        noise.mixKey(peer.staticStatic);
        Tai64n.encode(clock.epochNanos(), timestamp, 0);
        noise.encryptAndHash(timestamp, 0, Tai64n.LENGTH, out, off + INITIATION_TIMESTAMP_OFFSET);
        noise.save(init.chainKey, init.hash);

        init.index = index;
        init.sentNanos = now;
        init.pending = true;
        peer.newestInitiation = slot;
        writeMacs(peer, out, off, INITIATION_MAC1_OFFSET, now);
        wipeScratch();
        peer.timers().initiationSent(now);
        return INITIATION_LENGTH;
    }

    /**
     * Processes one received handshake message {@code in[off..+len]} from the network address
     * {@code source[sourceOff..+sourceLen]} (any stable encoding of IP and port; it only keys
     * cookies). A reply, if the outcome {@link Outcome#hasReply() has one}, is written to
     * {@code out[outOff..]} (room for {@link HandshakeMessages#MAX_LENGTH} bytes) and must be sent
     * back to the source. Invalid messages change no state. The peer, keys and reply length are
     * available from {@link #lastPeer()}, {@link #lastKeys()}, {@link #replyLength()} until the next
     * call.
     */
    public Outcome consume(byte[] in, int off, int len, byte[] source, int sourceOff, int sourceLen,
                           byte[] out, int outOff) {
        lastPeer = null;
        lastKeys = null;
        replyLength = 0;
        if (len < 4 || in[off + 1] != 0 || in[off + 2] != 0 || in[off + 3] != 0) {
            return Outcome.REJECTED_MALFORMED;
        }
        byte type = in[off];
        long now = clock.nanoTime();
        if (type == construction.typeInitiation && len == INITIATION_LENGTH) {
            if (!cookies.mac1Valid(in, off, INITIATION_MAC1_OFFSET)) {
                return Outcome.REJECTED_MAC1;
            }
            if (underLoad && !cookies.mac2Valid(in, off, INITIATION_MAC1_OFFSET, source, sourceOff, sourceLen, now)) {
                return cookieReply(in, off, INITIATION_SENDER_OFFSET, INITIATION_MAC1_OFFSET,
                        source, sourceOff, sourceLen, now, out, outOff);
            }
            return consumeInitiation(in, off, now, out, outOff);
        }
        if (type == construction.typeResponse && len == RESPONSE_LENGTH) {
            if (!cookies.mac1Valid(in, off, RESPONSE_MAC1_OFFSET)) {
                return Outcome.REJECTED_MAC1;
            }
            if (underLoad && !cookies.mac2Valid(in, off, RESPONSE_MAC1_OFFSET, source, sourceOff, sourceLen, now)) {
                return cookieReply(in, off, RESPONSE_SENDER_OFFSET, RESPONSE_MAC1_OFFSET,
                        source, sourceOff, sourceLen, now, out, outOff);
            }
            return consumeResponse(in, off, now);
        }
        if (type == construction.typeCookieReply && len == COOKIE_LENGTH) {
            return consumeCookieReply(in, off, now);
        }
        return Outcome.REJECTED_MALFORMED;
    }

    /** The peer the last {@link #consume} concerned, or {@code null}. */
    public PeerHandshake lastPeer() {
        return lastPeer;
    }

    /** Keys derived by the last {@link #consume}, or {@code null}; the caller takes ownership. */
    public SessionKeys lastKeys() {
        return lastKeys;
    }

    /**
     * When the initiation that the last {@link Outcome#RESPONSE_ACCEPTED response} answered was sent ({@link Clock}
     * nanos): with several initiations in flight it need not be the newest. Meaningful after that outcome only.
     */
    public long answeredInitiationNanos() {
        return answeredInitiationNanos;
    }

    /** Length of the reply the last {@link #consume} wrote, or 0. */
    public int replyLength() {
        return replyLength;
    }

    private Outcome consumeInitiation(byte[] in, int off, long now, byte[] out, int outOff) {
        int ephemeralOff = off + INITIATION_EPHEMERAL_OFFSET;
        noise.start(initialChainKey, responderHash);
        noise.mixEphemeral(in, ephemeralOff);
        if (!noise.mixDhAndKey(local.privateKeyRef(), in, ephemeralOff)
                || !noise.decryptAndHash(in, off + INITIATION_STATIC_OFFSET, INITIATION_STATIC_LENGTH, remoteStatic, 0)) {
            return fail(Outcome.REJECTED_DECRYPT);
        }
        PeerHandshake peer = peersByStatic.get(new StaticKey(remoteStatic));
        if (peer == null) {
            return fail(Outcome.REJECTED_UNKNOWN_PEER);
        }
        noise.mixKey(peer.staticStatic);
        if (!noise.decryptAndHash(in, off + INITIATION_TIMESTAMP_OFFSET, INITIATION_TIMESTAMP_LENGTH, timestamp, 0)) {
            return fail(Outcome.REJECTED_DECRYPT);
        }
        lastPeer = peer;
        if (peer.haveTimestamp && Tai64n.compare(timestamp, 0, peer.lastTimestamp, 0) <= 0) {
            return fail(Outcome.REJECTED_REPLAY);
        }
        if (peer.consumedInitiation && now - peer.lastInitiationConsumedNanos < INITIATION_MIN_INTERVAL_NANOS) {
            return fail(Outcome.REJECTED_RATE_LIMITED);
        }
        System.arraycopy(timestamp, 0, peer.lastTimestamp, 0, Tai64n.LENGTH);
        peer.haveTimestamp = true;
        peer.consumedInitiation = true;
        peer.lastInitiationConsumedNanos = now;
        int remoteIndex = HandshakeMessages.readIndex(in, off + INITIATION_SENDER_OFFSET);

        // Respond. Unlike WireGuard, initiations of ours to this peer stay pending: when both sides initiate at
        // once, each answers the other and both handshakes complete, instead of each side dropping its own and
        // installing a responder session whose initiator has already dropped it (the two would then send on keys
        // the other never derived, until a retransmission that can cross again).
        int index = reserveIndex(peer);
        Curve25519.generatePrivateKey(random, ephemeralPrivate);
        Curve25519.publicKey(ephemeralPrivate, ephemeralPublic);
        HandshakeMessages.writeHeader(out, outOff, construction.typeResponse);
        HandshakeMessages.writeIndex(out, outOff + RESPONSE_SENDER_OFFSET, index);
        HandshakeMessages.writeIndex(out, outOff + RESPONSE_RECEIVER_OFFSET, remoteIndex);
        System.arraycopy(ephemeralPublic, 0, out, outOff + RESPONSE_EPHEMERAL_OFFSET, KEY);
        noise.mixEphemeral(ephemeralPublic, 0);
        // The initiator's ephemeral passed an agreement with our static key above: not low-order.
        noise.mixDh(ephemeralPrivate, in, ephemeralOff);
        noise.mixDh(ephemeralPrivate, peer.remoteStatic, 0);
        noise.mixPsk(peer.presharedKey);
        noise.encryptAndHash(EMPTY, 0, 0, out, outOff + RESPONSE_EMPTY_OFFSET);
        writeMacs(peer, out, outOff, RESPONSE_MAC1_OFFSET, now);

        byte[] receiveKey = new byte[KEY];
        byte[] sendKey = new byte[KEY];
        noise.split(receiveKey, sendKey);
        lastKeys = new SessionKeys(construction.suite, sendKey, receiveKey, index, remoteIndex, false, now);
        replyLength = RESPONSE_LENGTH;
        wipeScratch();
        peer.timers().sessionDerived(now, false);
        return Outcome.INITIATION_ACCEPTED;
    }

    private Outcome consumeResponse(byte[] in, int off, long now) {
        int receiver = HandshakeMessages.readIndex(in, off + RESPONSE_RECEIVER_OFFSET);
        PeerHandshake peer = peersByIndex.get(receiver);
        PeerHandshake.Initiation init = peer == null ? null : peer.pendingInitiation(receiver);
        if (init == null) {
            return Outcome.REJECTED_UNKNOWN_INDEX;
        }
        // Work on a copy of the saved state so a forged response leaves the pending initiation intact.
        int ephemeralOff = off + RESPONSE_EPHEMERAL_OFFSET;
        noise.start(init.chainKey, init.hash);
        noise.mixEphemeral(in, ephemeralOff);
        if (!noise.mixDh(init.ephemeralPrivate, in, ephemeralOff)) {
            return fail(Outcome.REJECTED_DECRYPT);
        }
        noise.mixDh(local.privateKeyRef(), in, ephemeralOff);
        noise.mixPsk(peer.presharedKey);
        if (!noise.decryptAndHash(in, off + RESPONSE_EMPTY_OFFSET, RESPONSE_EMPTY_LENGTH, EMPTY, 0)) {
            return fail(Outcome.REJECTED_DECRYPT);
        }
        byte[] sendKey = new byte[KEY];
        byte[] receiveKey = new byte[KEY];
        noise.split(sendKey, receiveKey);
        int remoteIndex = HandshakeMessages.readIndex(in, off + RESPONSE_SENDER_OFFSET);
        lastPeer = peer;
        lastKeys = new SessionKeys(construction.suite, sendKey, receiveKey, receiver, remoteIndex, true, now);
        answeredInitiationNanos = init.sentNanos;
        // The index stays reserved: it now names the session. Other initiations stay pending: the responder
        // may have installed a session for each, and sends on the newest; their responses complete them too.
        init.clear();
        wipeScratch();
        peer.timers().sessionDerived(now, true);
        return Outcome.RESPONSE_ACCEPTED;
    }

    private Outcome consumeCookieReply(byte[] in, int off, long now) {
        PeerHandshake peer = peersByIndex.get(HandshakeMessages.readIndex(in, off + COOKIE_RECEIVER_OFFSET));
        if (peer == null || !peer.haveLastMac1) {
            return Outcome.REJECTED_UNKNOWN_INDEX;
        }
        if (!xaead.open(peer.cookieKey, in, off + COOKIE_NONCE_OFFSET, in, off + COOKIE_ENCRYPTED_OFFSET,
                COOKIE_ENCRYPTED_LENGTH, peer.lastMac1, 0, MAC_LENGTH, cookie, 0)) {
            return Outcome.REJECTED_DECRYPT;
        }
        peer.cookieMac = new Blake2s.Mac(cookie, 0, MAC_LENGTH);
        peer.cookieReceivedNanos = now;
        // One cookie reply per message we sent: a replayed reply finds nothing to bind to.
        peer.haveLastMac1 = false;
        Arrays.fill(cookie, (byte) 0);
        lastPeer = peer;
        return Outcome.COOKIE_ACCEPTED;
    }

    private Outcome cookieReply(byte[] in, int off, int senderOff, int mac1Off, byte[] source, int sourceOff,
                                int sourceLen, long now, byte[] out, int outOff) {
        cookies.writeReply(construction.typeCookieReply, in, off, senderOff, mac1Off, source, sourceOff, sourceLen,
                now, out, outOff);
        replyLength = COOKIE_LENGTH;
        return Outcome.COOKIE_REPLY_SENT;
    }

    /** mac1 always; mac2 with a fresh cookie, zeros otherwise; remembers mac1 to open a cookie reply. */
    private void writeMacs(PeerHandshake peer, byte[] msg, int off, int mac1Off, long now) {
        peer.mac1.compute(msg, off, mac1Off, msg, off + mac1Off);
        System.arraycopy(msg, off + mac1Off, peer.lastMac1, 0, MAC_LENGTH);
        peer.haveLastMac1 = true;
        int mac2Off = mac1Off + MAC_LENGTH;
        if (peer.cookieValid(now)) {
            peer.cookieMac.compute(msg, off, mac2Off, msg, off + mac2Off);
        } else {
            Arrays.fill(msg, off + mac2Off, off + mac2Off + MAC_LENGTH, (byte) 0);
        }
    }

    private int reserveIndex(PeerHandshake peer) {
        int index;
        do {
            index = random.nextInt();
        } while (index == 0 || !peersByIndex.putIfAbsent(index, peer));
        return index;
    }

    private Outcome fail(Outcome outcome) {
        wipeScratch();
        return outcome;
    }

    private void wipeScratch() {
        noise.wipe();
        Arrays.fill(ephemeralPrivate, (byte) 0);
    }

    /** A 32-byte public key as a map key (content equality). */
    private record StaticKey(byte[] bytes) {
        @Override
        public boolean equals(Object o) {
            return o instanceof StaticKey k && ConstantTime.equals(bytes, 0, k.bytes, 0, KEY);
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(bytes);
        }

        @Override
        public String toString() {
            return "StaticKey";
        }
    }
}
