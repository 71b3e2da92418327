package net.ipop.crypto.noise;

import java.util.Arrays;

import net.ipop.crypto.Suite;

/**
 * The transport key material one completed handshake yields, handed to the transport AEAD.
 *
 * <p>The receiver owns the arrays (the handshake keeps no reference) and should {@link #wipe()}
 * them when the session is dropped. Data messages sent with {@code sendKey} carry
 * {@code remoteIndex} as receiver; data messages arriving with {@code localIndex} are opened with
 * {@code receiveKey}. A responder's keys ({@code initiator == false}) must not be used to send
 * until the first data message from the initiator has been authenticated with them (WireGuard's key
 * confirmation). Once dropped, {@code localIndex} must be given back with
 * {@link Handshaker#releaseIndex(int)}.
 *
 * @param suite        the suite the keys belong to (decides AEAD and data message type)
 * @param sendKey      32-byte key for packets we send
 * @param receiveKey   32-byte key for packets we receive
 * @param localIndex   our session index (receiver field of packets sent to us)
 * @param remoteIndex  the peer's session index (receiver field of packets we send)
 * @param initiator    whether we initiated the handshake (decides who rekeys on age)
 * @param createdNanos {@link Clock#nanoTime()} when the keys were derived
 */
public record SessionKeys(Suite suite, byte[] sendKey, byte[] receiveKey, int localIndex, int remoteIndex,
                          boolean initiator, long createdNanos) {

    /** Zeroes both keys. */
    public void wipe() {
        Arrays.fill(sendKey, (byte) 0);
        Arrays.fill(receiveKey, (byte) 0);
    }

    @Override
    public String toString() {
        // Never print key material.
        return "SessionKeys[" + suite + ", local=" + Integer.toUnsignedString(localIndex)
                + ", remote=" + Integer.toUnsignedString(remoteIndex) + ", initiator=" + initiator + "]";
    }
}
