/**
 * Signalling over XMPP: how the nodes of an overlay find each other and exchange what ICE needs.
 *
 * <p>An overlay is a multi-user chat room on an XMPP server; each node joins it with its own
 * account (one per overlay) under its certificate's name, and its join presence carries its node
 * certificate ({@link net.ipop.control.signal.Announcement}). Offers and answers
 * ({@link net.ipop.control.signal.Offer}, {@link net.ipop.control.signal.Answer}: fresh random ICE
 * credentials and structured {@link net.ipop.control.signal.Candidate}s) travel as private messages
 * to a peer's nick in the room. {@link net.ipop.control.signal.Signalling} is the API; events reach
 * the control plane's own thread through {@link net.ipop.control.signal.SignallingListener}. The
 * wire format is described in {@code SignalElement}; Smack does the XMPP.
 */
package net.ipop.control.signal;
