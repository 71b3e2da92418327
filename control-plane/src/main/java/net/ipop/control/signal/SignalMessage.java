package net.ipop.control.signal;

/**
 * What travels between nodes over XMPP: an {@link Announcement} in presence, an {@link Offer} or
 * {@link Answer} in a direct message. Every implementation is an immutable record whose constructor
 * enforces the same rules the decoder applies to what arrives, so a value of this type is always
 * well-formed.
 */
public sealed interface SignalMessage permits Announcement, Offer, Answer {
}
