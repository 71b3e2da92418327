package net.ipop.crypto.noise;

/** What {@link Handshaker#consume} did with a received handshake message. */
public enum Outcome {
    /** A valid initiation: a response was written to the reply buffer and responder keys are ready. */
    INITIATION_ACCEPTED(true),
    /** A valid response to our initiation: initiator keys are ready; nothing to send. */
    RESPONSE_ACCEPTED(false),
    /** We are under load and the message lacked a valid mac2: a cookie reply was written instead. */
    COOKIE_REPLY_SENT(true),
    /** A valid cookie reply: the cookie is stored and the next message to that peer carries mac2. */
    COOKIE_ACCEPTED(false),
    /** Wrong length, unknown type or non-zero reserved bytes. */
    REJECTED_MALFORMED(false),
    /** mac1 does not match (not addressed to our static key, or altered). */
    REJECTED_MAC1(false),
    /** An encrypted field did not authenticate, or a public key was a low-order point. */
    REJECTED_DECRYPT(false),
    /** The initiator's static key is not one of our peers. */
    REJECTED_UNKNOWN_PEER(false),
    /** The receiver index matches no handshake waiting for this message. */
    REJECTED_UNKNOWN_INDEX(false),
    /** The initiation's timestamp is not newer than the last accepted one from that peer (replay). */
    REJECTED_REPLAY(false),
    /** The peer sent initiations faster than the per-peer limit. */
    REJECTED_RATE_LIMITED(false);

    private final boolean hasReply;

    Outcome(boolean hasReply) {
        this.hasReply = hasReply;
    }

    /** Whether a reply was written and must be sent back to the message's source. */
    public boolean hasReply() {
        return hasReply;
    }

    /** Whether the message was valid and acted on. */
    public boolean accepted() {
        return ordinal() <= COOKIE_ACCEPTED.ordinal();
    }
}
