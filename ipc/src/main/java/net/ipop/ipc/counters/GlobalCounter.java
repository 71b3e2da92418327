package net.ipop.ipc.counters;

/**
 * Whole-node event counts that belong to no peer: one counter per pipeline, keyed by
 * {@link #code()}, summed by readers. Codes are stable for the same reason as {@link DropReason}'s.
 */
public enum GlobalCounter {
    /** Reads completed from a TUN queue (a super-packet counts once). */
    TUN_READS(0),
    /** UDP send calls completed (a GSO send of many datagrams counts once). */
    UDP_SENDS(1),
    /** Sends that the kernel refused with GSO and were redone one datagram at a time. */
    GSO_FALLBACKS(2),
    /** Packets handed to the control plane (handshakes, cookies, STUN). */
    PUNTED(3),
    /** Inner packets relayed from one peer to another inside the data plane. */
    FORWARDED(4),
    /** Keepalives (empty data messages) sent, persistent and passive. */
    KEEPALIVES_SENT(5),
    /** Pipeline duty cycles that did work (an idle cycle counts nothing, so waiting costs no clock reads). */
    BUSY_CYCLES(6),
    /** Nanoseconds those cycles took, read, processing and sending included: per cycle, what a batch costs. */
    BUSY_NANOS(7);

    private static final GlobalCounter[] BY_CODE = values();

    private final int code;

    GlobalCounter(int code) {
        this.code = code;
    }

    /** The stable number stored in the counter's key. */
    public int code() {
        return code;
    }

    /** The name for JSON keys and metric labels: {@code tun_reads}. */
    public String key() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }

    /** The counter with this code, or {@code null} for a code this reader does not know. */
    public static GlobalCounter ofCode(int code) {
        return code >= 0 && code < BY_CODE.length && BY_CODE[code].code == code ? BY_CODE[code] : null;
    }
}
