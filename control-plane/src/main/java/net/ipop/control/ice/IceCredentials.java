package net.ipop.control.ice;

import java.util.Objects;

/**
 * An ICE username fragment and password (RFC 8445 section 5.3). Local ones are generated afresh by every
 * ICE agent from a {@link java.security.SecureRandom} (ice4j's {@code Agent}); a restart makes new ones.
 * {@link #toString()} hides the password so credentials never reach a log.
 */
public record IceCredentials(String ufrag, String password) {

    /** Checks the RFC 8445 lengths: ufrag at least 4 characters, password at least 22. */
    public IceCredentials {
        Objects.requireNonNull(ufrag, "ufrag");
        Objects.requireNonNull(password, "password");
        if (ufrag.length() < 4 || ufrag.length() > 256) {
            throw new IllegalArgumentException("ICE ufrag must be 4 to 256 characters, got " + ufrag.length());
        }
        if (password.length() < 22 || password.length() > 256) {
            throw new IllegalArgumentException("ICE password must be 22 to 256 characters, got " + password.length());
        }
    }

    @Override
    public String toString() {
        return "IceCredentials[ufrag=" + ufrag + ", password=(" + password.length() + " chars)]";
    }
}
