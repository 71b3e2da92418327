package net.ipop.control.ice;

/**
 * ice4j reads its settings once, from Typesafe Config, which lets system properties override its
 * reference.conf. These must be in place before the first ice4j class loads.
 */
final class Ice4jSettings {
    private Ice4jSettings() {
    }

    static {
        // ice4j 3.2's "force" flag reads the "enabled" one, so the AWS harvester is always on by default: it
        // would ask 169.254.169.254 for a public address on every node. IPOP learns addresses from STUN only.
        defaultTo("ice4j.harvest.mapping.aws.enabled", "false");
        // RFC 7675 section 5.1: a consent check every 5 s (ice4j randomises it by +-20%); ice4j's default is 15 s.
        defaultTo("ice4j.consent-freshness.interval", "5 seconds");
        // IPOP's sessions carry one component, never RTP media: no SOFTWARE attribute advertising ice4j.
        defaultTo("ice4j.software", "");
    }

    private static void defaultTo(String key, String value) {
        if (System.getProperty(key) == null) {
            System.setProperty(key, value);
        }
    }

    /** Runs the static initialiser; call before touching any ice4j class. */
    static void apply() {
        // The work is done once, in the static initialiser.
    }
}
