package net.ipop.crypto.aead;

/**
 * Per-packet outcomes of {@link PacketSealer} and {@link PacketOpener}: a non-negative value is a
 * length (success), a negative one is one of these codes. Codes rather than exceptions because
 * failures are expected traffic (forgeries, replays, late packets) and must stay cheap to count.
 */
public final class PacketResult {
    /** The tag did not verify: wrong key, or ciphertext/tag/counter altered. Nothing was delivered. */
    public static final int AUTH_FAILED = -1;
    /** The counter was seen before or is behind the replay window. */
    public static final int REPLAYED = -2;
    /** Too short, wrong message type, or a receiver index that is not this key's. */
    public static final int MALFORMED = -3;
    /** The key reached {@link MessageLimits#REJECT_AFTER_MESSAGES}: a new handshake is needed. */
    public static final int KEY_EXHAUSTED = -4;
    /** The key was retired (closed); it refuses all work. */
    public static final int RETIRED = -5;
    /** The payload exceeds the cipher's maximum, or the segment cannot hold the sealed packet. */
    public static final int TOO_LARGE = -6;

    private PacketResult() {
    }

    /** A short name for counters and logs (off the packet path). */
    public static String name(int result) {
        return switch (result) {
            case AUTH_FAILED -> "auth-failed";
            case REPLAYED -> "replayed";
            case MALFORMED -> "malformed";
            case KEY_EXHAUSTED -> "key-exhausted";
            case RETIRED -> "retired";
            case TOO_LARGE -> "too-large";
            default -> result >= 0 ? "ok" : "unknown(" + result + ")";
        };
    }
}
