package net.ipop.control.node;

import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.util.EnumMap;
import java.util.Map;

/**
 * Counts refused handshake messages per reason and logs without flooding: the first refusal of a
 * reason is logged at once (a state change: "this started happening"), later ones are only counted
 * and summarised at most once per {@link #INTERVAL_NANOS}. A flood of bad packets thus costs a
 * counter increment each, not a log line each. Single-threaded.
 */
final class RejectLog {
    /** At most one summary line per reason per this interval. */
    static final long INTERVAL_NANOS = 60_000_000_000L;

    private final Logger logger;
    private final Map<Reason, long[]> state = new EnumMap<>(Reason.class);

    /** Why a punted message was refused. */
    enum Reason {
        NOT_HANDSHAKE("not a handshake message of either suite"),
        NO_SUITE("a suite no configured peer uses"),
        MALFORMED("malformed handshake message"),
        BAD_MAC1("mac1 does not match our key"),
        DECRYPT("does not authenticate"),
        UNKNOWN_PEER("initiation from a static key not in the configuration"),
        UNKNOWN_INDEX("response or cookie for no pending initiation"),
        REPLAY("replayed initiation (timestamp not newer)"),
        RATE_LIMITED("initiations faster than the per-peer limit");

        final String text;

        Reason(String text) {
            this.text = text;
        }
    }

    RejectLog(Logger logger) {
        this.logger = logger;
    }

    /** Counts one refusal of {@code reason} from {@code source} (only formatted when logged). */
    void refused(Reason reason, Object source, long now) {
        // [0] total, [1] count at the last log line, [2] time of the last log line
        long[] s = state.computeIfAbsent(reason, r -> new long[3]);
        s[0]++;
        if (s[0] == 1) {
            logger.log(Level.WARNING, "refused a handshake message from {0}: {1} (further ones are counted)",
                    source, reason.text);
            s[1] = 1;
            s[2] = now;
        } else if (now - s[2] >= INTERVAL_NANOS) {
            logger.log(Level.WARNING, "refused {0} more handshake messages ({1}), latest from {2}; {3} in all",
                    s[0] - s[1], reason.text, source, s[0]);
            s[1] = s[0];
            s[2] = now;
        }
    }

    /** Refusals of {@code reason} so far. */
    long count(Reason reason) {
        long[] s = state.get(reason);
        return s == null ? 0 : s[0];
    }
}
