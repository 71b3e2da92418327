package net.ipop.crypto;

/**
 * The cipher suites a session can use. Both share the Noise IK handshake shape; each has its own
 * construction identifier and message types so a message of one can never be taken for the other.
 */
public enum Suite {
    /** AES-256-GCM transport: the default between IPOP nodes (AES-NI makes it the fastest here). */
    AES256GCM("aes256gcm"),
    /** ChaCha20-Poly1305 transport, byte-compatible with WireGuard, for stock WireGuard peers. */
    CHACHA20POLY1305("chacha20poly1305");

    private final String configName;

    Suite(String configName) {
        this.configName = configName;
    }

    /** The name used in configuration files and on the CLI. */
    public String configName() {
        return configName;
    }

    /** Parses a configuration name; the message lists the accepted names. */
    public static Suite fromConfigName(String name) {
        for (Suite s : values()) {
            if (s.configName.equals(name)) {
                return s;
            }
        }
        throw new IllegalArgumentException("unknown suite '" + name + "': use aes256gcm or chacha20poly1305");
    }
}
