package net.ipop.control.node;

/**
 * A session installed in the data plane, as the node tracks it to retire it and give its index back.
 * Holds no key material (the keys were wiped once handed over).
 *
 * @param localIndex   the index data packets to us carry
 * @param remoteIndex  the index our data packets carry
 * @param initiator    whether we initiated its handshake (the initiator rekeys on age)
 * @param createdNanos {@link net.ipop.crypto.noise.Clock#nanoTime()} when its keys were derived
 */
record Session(int localIndex, int remoteIndex, boolean initiator, long createdNanos) {
}
