package net.ipop.control.topology;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * Where a member sits on the ring: the first 8 bytes of SHA-256 of its id, as an unsigned 64-bit value.
 * Hashing spreads members evenly whatever their ids look like, and a member keeps its position when others
 * join or leave, so only the links that point into the changed arc move (minimal churn).
 */
final class RingPosition {
    private RingPosition() {
    }

    static long of(String memberId) {
        byte[] digest;
        try {
            digest = MessageDigest.getInstance("SHA-256").digest(memberId.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
        long v = 0;
        for (int i = 0; i < 8; i++) {
            v = (v << 8) | (digest[i] & 0xFF);
        }
        return v;
    }
}
