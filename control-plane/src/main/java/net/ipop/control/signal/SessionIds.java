package net.ipop.control.signal;

import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Objects;

/** Session ids: 16 random bytes as 32 lower-case hex digits. */
final class SessionIds {
    static final int HEX_LENGTH = 32;

    private SessionIds() {
    }

    static String random(SecureRandom random) {
        byte[] b = new byte[HEX_LENGTH / 2];
        random.nextBytes(b);
        return HexFormat.of().formatHex(b);
    }

    static void require(String id) {
        Objects.requireNonNull(id, "sessionId");
        if (id.length() != HEX_LENGTH) {
            throw new IllegalArgumentException("session id must be " + HEX_LENGTH + " hex digits");
        }
        for (int i = 0; i < id.length(); i++) {
            char c = id.charAt(i);
            if (!(c >= '0' && c <= '9' || c >= 'a' && c <= 'f')) {
                throw new IllegalArgumentException("session id must be lower-case hex");
            }
        }
    }
}
