package net.ipop.control.ice;

/** Test-wide ice4j settings, applied before ice4j reads its configuration (once per JVM). */
final class IceTestSettings {
    /** Consent checks every second (ice4j randomises +-20%) against a timeout of more than 5 intervals. */
    static final long CONSENT_TIMEOUT_MS = 6000;

    private IceTestSettings() {
    }

    static void apply() {
        System.setProperty("ice4j.consent-freshness.interval", "1 second");
    }
}
