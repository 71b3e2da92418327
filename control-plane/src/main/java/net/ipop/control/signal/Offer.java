package net.ipop.control.signal;

import java.util.List;
import java.util.Objects;

/**
 * A request to open an ICE session: the offerer's fresh credentials and its candidates. The
 * answerer replies with an {@link Answer} carrying the same {@code sessionId}.
 *
 * @param sessionId   random id the answer echoes (see {@link SessionIds}), so a late answer to an older offer
 *                    is recognised
 * @param credentials the offerer's ICE credentials for this session only
 * @param candidates  the offerer's candidates, 0 to {@link #MAX_CANDIDATES}, in the order gathered
 */
public record Offer(String sessionId, IceCredentials credentials, List<Candidate> candidates)
        implements SignalMessage {
    /** More than any real node gathers (a few interfaces x host/srflx/relay), small enough to bound a message. */
    public static final int MAX_CANDIDATES = 32;

    public Offer {
        SessionIds.require(sessionId);
        Objects.requireNonNull(credentials, "credentials");
        candidates = Offer.checkedCandidates(candidates);
    }

    static List<Candidate> checkedCandidates(List<Candidate> candidates) {
        List<Candidate> copy = List.copyOf(candidates);
        if (copy.size() > MAX_CANDIDATES) {
            throw new IllegalArgumentException(copy.size() + " candidates; at most " + MAX_CANDIDATES);
        }
        return copy;
    }
}
