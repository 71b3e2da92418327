package net.ipop.control.signal;

/** Why a received stanza was dropped; each has its own counter ({@link Signalling#dropped}). */
public enum DropReason {
    /** Broke a rule of the format: bad XML, attribute, address, number, credentials or certificate. */
    MALFORMED,
    /** Claims an identity it cannot have: a nick that differs from the certificate's name, or not from the room. */
    FORGED,
    /** An offer or answer from an occupant that has not announced a certificate. */
    UNKNOWN_SENDER,
    /** The event queue to the control plane was full (it is not polling fast enough). */
    QUEUE_FULL
}
