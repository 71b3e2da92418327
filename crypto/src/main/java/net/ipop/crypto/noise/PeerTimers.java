package net.ipop.crypto.noise;

import java.util.random.RandomGenerator;

/**
 * WireGuard's per-peer timer rules (whitepaper section 6) as pure bookkeeping: the owner reports
 * events with the current {@link Clock#nanoTime()} and asks, for a given {@code now}, whether to
 * initiate a handshake, send a keepalive, or stop using / erase the keys. No threads, no
 * scheduling: the owner polls (e.g. once per duty cycle, or at {@link #nextDeadline}).
 *
 * <p>The {@link Handshaker} reports the handshake events ({@link #initiationSent},
 * {@link #sessionDerived}) itself; the transport reports data events. Single-threaded: only the
 * owner of the peer calls it.
 */
public final class PeerTimers {
    private static final long SECOND = 1_000_000_000L;

    /** An initiator starts a new handshake when sending with keys this old. */
    public static final long REKEY_AFTER_TIME_NANOS = 120 * SECOND;
    /** Keys this old are never used again. */
    public static final long REJECT_AFTER_TIME_NANOS = 180 * SECOND;
    /** Retransmit an unanswered initiation after this (plus jitter); also the initiation rate limit. */
    public static final long REKEY_TIMEOUT_NANOS = 5 * SECOND;
    /** Upper bound of the random extra delay added to each retransmission. */
    public static final long REKEY_TIMEOUT_JITTER_MAX_NANOS = 333_000_000L;
    /** Give up retransmitting initiations after trying for this long. */
    public static final long REKEY_ATTEMPT_TIME_NANOS = 90 * SECOND;
    /** Send a keepalive when data arrived and we sent nothing back for this long. */
    public static final long KEEPALIVE_TIMEOUT_NANOS = 10 * SECOND;
    /** Send counter at which the sender rekeys (unsigned); checked by the transport. */
    public static final long REKEY_AFTER_MESSAGES = 1L << 60;
    /** Counter value (unsigned, 2^64 - 2^13 - 1) at which keys must no longer be used; checked by the transport. */
    public static final long REJECT_AFTER_MESSAGES = -1L - (1L << 13);

    private final RandomGenerator jitter;

    private boolean handshaking;
    private long attemptStartNanos;
    private long retransmitAtNanos;
    private boolean sentInitiation;
    private long lastInitiationNanos;
    private boolean rekeyWanted;

    private boolean haveKeys;
    private long keysCreatedNanos;
    private boolean keysInitiator;

    private boolean awaitingReply;
    private long awaitingSinceNanos;
    private boolean keepalivePending;
    private long keepaliveDueNanos;

    /** {@code jitter} draws the retransmission jitter (a seeded generator in tests). */
    public PeerTimers(RandomGenerator jitter) {
        this.jitter = jitter;
    }

    // ---- events -------------------------------------------------------------------------------

    /** An initiation (first or retransmitted) left for this peer. */
    public void initiationSent(long now) {
        if (!handshaking) {
            handshaking = true;
            attemptStartNanos = now;
        }
        sentInitiation = true;
        lastInitiationNanos = now;
        retransmitAtNanos = now + REKEY_TIMEOUT_NANOS + jitter.nextLong(REKEY_TIMEOUT_JITTER_MAX_NANOS + 1);
        rekeyWanted = false;
    }

    /**
     * New keys were derived (as initiator on a response, as responder on an initiation). As
     * initiator the handshake is complete. As responder it is not until the peer's first data packet
     * confirms the keys ({@link #keysConfirmed}): an initiation of ours still outstanding keeps
     * being retransmitted, as in WireGuard, in case the peer never completes its side.
     */
    public void sessionDerived(long now, boolean initiator) {
        haveKeys = true;
        keysCreatedNanos = now;
        keysInitiator = initiator;
        rekeyWanted = false;
        if (initiator) {
            handshaking = false;
        }
    }

    /** The transport authenticated the first data packet under responder keys: the handshake is complete. */
    public void keysConfirmed(long now) {
        handshaking = false;
    }

    /**
     * Something needs keys we do not have or that are too old (a packet is queued without a
     * usable session, or the transport's counter passed {@link #REKEY_AFTER_MESSAGES}).
     */
    public void handshakeWanted() {
        rekeyWanted = true;
    }

    /** A data packet (not a keepalive) was sent with the current keys. */
    public void dataSent(long now) {
        if (!awaitingReply) {
            awaitingReply = true;
            awaitingSinceNanos = now;
        }
        keepalivePending = false;
        if (haveKeys && keysInitiator && now - keysCreatedNanos >= REKEY_AFTER_TIME_NANOS) {
            rekeyWanted = true;
        }
    }

    /** A keepalive (empty data packet) was sent. */
    public void keepaliveSent(long now) {
        keepalivePending = false;
    }

    /** An authenticated data packet arrived; {@code keepalive} if it was empty. */
    public void dataReceived(long now, boolean keepalive) {
        awaitingReply = false;
        if (!keepalive && !keepalivePending) {
            keepalivePending = true;
            keepaliveDueNanos = now + KEEPALIVE_TIMEOUT_NANOS;
        }
        if (haveKeys && keysInitiator
                && now - keysCreatedNanos >= REJECT_AFTER_TIME_NANOS - KEEPALIVE_TIMEOUT_NANOS - REKEY_TIMEOUT_NANOS) {
            rekeyWanted = true;
        }
    }

    /** The owner gave up on the current handshake attempt (after {@link #handshakeTimedOut}). */
    public void handshakeAbandoned() {
        handshaking = false;
        rekeyWanted = false;
        awaitingReply = false;
    }

    /** The owner erased all keys of the peer (after {@link #shouldEraseKeys}). */
    public void keysErased() {
        haveKeys = false;
        keepalivePending = false;
    }

    // ---- questions ----------------------------------------------------------------------------

    /**
     * Whether to send a handshake initiation now: a retransmission is due, or a rekey is wanted
     * (by age, by a queued packet, or because sent data went unanswered for
     * KEEPALIVE_TIMEOUT + REKEY_TIMEOUT) and the last initiation is at least REKEY_TIMEOUT old.
     */
    public boolean shouldInitiate(long now) {
        if (handshaking) {
            return now - attemptStartNanos < REKEY_ATTEMPT_TIME_NANOS && now - retransmitAtNanos >= 0;
        }
        boolean rateOk = !sentInitiation || now - lastInitiationNanos >= REKEY_TIMEOUT_NANOS;
        boolean unanswered = awaitingReply
                && now - awaitingSinceNanos >= KEEPALIVE_TIMEOUT_NANOS + REKEY_TIMEOUT_NANOS;
        return rateOk && (rekeyWanted || unanswered);
    }

    /** Whether the current handshake attempt has run REKEY_ATTEMPT_TIME without a response. */
    public boolean handshakeTimedOut(long now) {
        return handshaking && now - attemptStartNanos >= REKEY_ATTEMPT_TIME_NANOS;
    }

    /** Whether an initiation is outstanding (sent, no response yet, not abandoned). */
    public boolean handshaking() {
        return handshaking;
    }

    /** Whether data arrived KEEPALIVE_TIMEOUT ago and nothing was sent since, with keys still usable. */
    public boolean shouldSendKeepalive(long now) {
        return keepalivePending && now - keepaliveDueNanos >= 0 && !keysExpired(now);
    }

    /** Whether the newest keys are missing or older than REJECT_AFTER_TIME (must not be used). */
    public boolean keysExpired(long now) {
        return !haveKeys || now - keysCreatedNanos >= REJECT_AFTER_TIME_NANOS;
    }

    /** Whether no new keys came for 3 x REJECT_AFTER_TIME: erase all key material of the peer. */
    public boolean shouldEraseKeys(long now) {
        return haveKeys && now - keysCreatedNanos >= 3 * REJECT_AFTER_TIME_NANOS;
    }

    /** Age of the newest keys in nanoseconds, or -1 without keys. */
    public long keyAgeNanos(long now) {
        return haveKeys ? now - keysCreatedNanos : -1;
    }

    /**
     * The earliest time after {@code now} at which one of the answers above can change without a
     * new event, or {@link Long#MAX_VALUE} if none: the owner can sleep until then (it asks the
     * questions after every event anyway, so deadlines already passed are not repeated here).
     */
    public long nextDeadline(long now) {
        long d = Long.MAX_VALUE;
        if (handshaking) {
            d = earliest(d, retransmitAtNanos, now);
            d = earliest(d, attemptStartNanos + REKEY_ATTEMPT_TIME_NANOS, now);
        } else {
            if (rekeyWanted && sentInitiation) {
                d = earliest(d, lastInitiationNanos + REKEY_TIMEOUT_NANOS, now);
            }
            if (awaitingReply) {
                d = earliest(d, awaitingSinceNanos + KEEPALIVE_TIMEOUT_NANOS + REKEY_TIMEOUT_NANOS, now);
            }
        }
        if (keepalivePending) {
            d = earliest(d, keepaliveDueNanos, now);
        }
        if (haveKeys) {
            d = earliest(d, keysCreatedNanos + REJECT_AFTER_TIME_NANOS, now);
            d = earliest(d, keysCreatedNanos + 3 * REJECT_AFTER_TIME_NANOS, now);
        }
        return d;
    }

    private static long earliest(long current, long candidate, long now) {
        if (candidate - now <= 0) {
            return current;
        }
        return current == Long.MAX_VALUE || candidate - current < 0 ? candidate : current;
    }
}
