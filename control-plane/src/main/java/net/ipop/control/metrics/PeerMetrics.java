package net.ipop.control.metrics;

import java.util.concurrent.atomic.AtomicLong;

import org.HdrHistogram.Histogram;
import org.HdrHistogram.SingleWriterRecorder;

/**
 * One peer's handshake counts, round trips and link state. Written by the node's thread only (single writer:
 * plain increments published through {@link AtomicLong#setRelease}, the recorder is wait-free for its one
 * writer); read by the rendering thread, which alone touches {@link #total} and {@link #interval}.
 */
final class PeerMetrics {
    /** Round trips above a minute are recorded as a minute: a handshake gives up long before. */
    static final long MAX_RTT_MICROS = 60_000_000L;

    final String name;
    final AtomicLong started = new AtomicLong();
    final AtomicLong completed = new AtomicLong();
    final AtomicLong failed = new AtomicLong();
    final AtomicLong rttSumMicros = new AtomicLong();
    volatile LinkState state = LinkState.DOWN;
    /** The overlay's ICE state for the peer, or null for a static peer (no ICE). */
    volatile String ice;
    final SingleWriterRecorder rtt = new SingleWriterRecorder(1, MAX_RTT_MICROS, 2);
    // Rendering thread only.
    final Histogram total = new Histogram(1, MAX_RTT_MICROS, 2);
    Histogram interval;

    PeerMetrics(String name) {
        this.name = name;
    }

    /** Node thread: one more of a counter that only it writes. */
    static void increment(AtomicLong counter) {
        counter.setRelease(counter.getPlain() + 1);
    }

    /** Node thread: one handshake round trip. */
    void recordRoundTrip(long nanos) {
        long micros = Math.clamp(nanos / 1000, 1, MAX_RTT_MICROS);
        rtt.recordValue(micros);
        rttSumMicros.setRelease(rttSumMicros.getPlain() + micros);
    }

    /** Rendering thread: folds the round trips recorded since the last call into {@link #total}. */
    Histogram cumulative() {
        interval = rtt.getIntervalHistogram(interval);
        total.add(interval);
        return total;
    }
}
