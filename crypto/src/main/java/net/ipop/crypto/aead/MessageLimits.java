package net.ipop.crypto.aead;

/**
 * WireGuard's per-key message limits (whitepaper section 6.1, wireguard-go {@code constants.go}),
 * as unsigned 64-bit counters. Time-based limits belong to the session layer, not here.
 */
public final class MessageLimits {
    /** After this many messages a sender should start a new handshake: 2^60. */
    public static final long REKEY_AFTER_MESSAGES = 1L << 60;
    /**
     * No message may use a counter at or above this: 2^64 - 2^13 - 1, kept below 2^64 by more than
     * a replay window so a receiver never needs to wrap. As a signed Java long it is negative.
     */
    public static final long REJECT_AFTER_MESSAGES = -(1L << 13) - 1;

    private MessageLimits() {
    }

    /** True once {@code nextCounter} (unsigned) reaches the rekey threshold. */
    public static boolean needsRekey(long nextCounter) {
        return Long.compareUnsigned(nextCounter, REKEY_AFTER_MESSAGES) >= 0;
    }

    /** True if {@code counter} (unsigned) may not be used or accepted at all. */
    public static boolean mustReject(long counter) {
        return Long.compareUnsigned(counter, REJECT_AFTER_MESSAGES) >= 0;
    }
}
