package net.ipop.control.signal;

import java.security.SecureRandom;
import java.util.Objects;

/**
 * ICE username fragment and password for one session (RFC 8445 section 5.3, syntax from RFC 8839
 * section 5.4: {@code ice-char = ALPHA / DIGIT / "+" / "/"}, ufrag 4..256 and password 22..256
 * characters). A fresh pair is drawn from a {@link SecureRandom} for every offer and answer; they
 * are never constants and never reused across sessions.
 *
 * @param ufrag    the username fragment
 * @param password the password; not printed by {@link #toString()}
 */
public record IceCredentials(String ufrag, String password) {
    static final int MIN_UFRAG = 4;
    static final int MIN_PASSWORD = 22;
    static final int MAX_LENGTH = 256;
    /** 8 ice-chars = 48 bits: unique enough to tell sessions apart (it travels in every STUN check). */
    static final int UFRAG_CHARS = 8;
    /** 24 ice-chars = 144 bits, above the RFC's 128-bit minimum for the password. */
    static final int PASSWORD_CHARS = 24;
    private static final String ICE_CHARS =
            "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

    public IceCredentials {
        Objects.requireNonNull(ufrag, "ufrag");
        Objects.requireNonNull(password, "password");
        requireIceChars(ufrag, MIN_UFRAG, "ufrag");
        requireIceChars(password, MIN_PASSWORD, "password");
    }

    /** A fresh random pair; 64 ice-chars, so each character carries exactly 6 random bits. */
    public static IceCredentials random(SecureRandom random) {
        return new IceCredentials(randomChars(random, UFRAG_CHARS), randomChars(random, PASSWORD_CHARS));
    }

    private static String randomChars(SecureRandom random, int n) {
        char[] c = new char[n];
        for (int i = 0; i < n; i++) {
            c[i] = ICE_CHARS.charAt(random.nextInt(ICE_CHARS.length()));
        }
        return new String(c);
    }

    static void requireIceChars(String s, int min, String what) {
        if (s.length() < min || s.length() > MAX_LENGTH) {
            throw new IllegalArgumentException(what + " must be " + min + " to " + MAX_LENGTH + " characters, not "
                    + s.length());
        }
        for (int i = 0; i < s.length(); i++) {
            if (ICE_CHARS.indexOf(s.charAt(i)) < 0) {
                throw new IllegalArgumentException(what + " holds a character outside A-Z a-z 0-9 + /");
            }
        }
    }

    @Override
    public String toString() {
        return "IceCredentials[ufrag=" + ufrag + ", password=(" + password.length() + " chars)]";
    }
}
