/** Replay protection for message counters: {@link net.ipop.crypto.replay.ReplayWindow}. */
package net.ipop.crypto.replay;
