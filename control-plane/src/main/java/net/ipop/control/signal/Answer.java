package net.ipop.control.signal;

import java.util.List;
import java.util.Objects;

/**
 * The reply to an {@link Offer}: the answerer's own fresh credentials and candidates.
 *
 * @param sessionId   the offer's session id
 * @param credentials the answerer's ICE credentials for this session only
 * @param candidates  the answerer's candidates, 0 to {@link Offer#MAX_CANDIDATES}
 */
public record Answer(String sessionId, IceCredentials credentials, List<Candidate> candidates)
        implements SignalMessage {
    public Answer {
        SessionIds.require(sessionId);
        Objects.requireNonNull(credentials, "credentials");
        candidates = Offer.checkedCandidates(candidates);
    }
}
