package net.ipop.control.overlay;

import java.util.ArrayList;
import java.util.List;

import net.ipop.control.ice.IceCandidate;
import net.ipop.control.signal.Candidate;

/**
 * Converts candidates between ICE's record and signalling's wire record, field by field (the two packages stay
 * independent of each other). Candidates the other side cannot represent are skipped, never guessed.
 */
final class CandidateCodec {
    private CandidateCodec() {
    }

    static List<Candidate> toSignal(List<IceCandidate> in) {
        List<Candidate> out = new ArrayList<>(in.size());
        for (IceCandidate c : in) {
            if (out.size() == net.ipop.control.signal.Offer.MAX_CANDIDATES) {
                break; // highest priority first: the ones left out matter least
            }
            try {
                out.add(new Candidate(c.foundation(), c.component(), Candidate.Transport.UDP, c.priority(),
                        c.address(), c.port(), signalType(c.type()), c.relatedAddress(), c.relatedPort()));
            } catch (IllegalArgumentException e) {
                // e.g. a foundation outside the ice-chars: the peer could not parse it either.
            }
        }
        return out;
    }

    static List<IceCandidate> toIce(List<Candidate> in) {
        List<IceCandidate> out = new ArrayList<>(in.size());
        for (Candidate c : in) {
            try {
                out.add(new IceCandidate(c.foundation(), c.component(), "udp", c.priority(), iceType(c.type()),
                        c.address(), c.port(), c.relatedAddress(), c.relatedPort()));
            } catch (IllegalArgumentException e) {
                // Skipped: signalling already checked the fields, ICE's rules are the same or looser.
            }
        }
        return out;
    }

    /** The candidates' types in order, e.g. {@code host srflx relay}, for a log line. */
    static String types(List<Candidate> in) {
        StringBuilder b = new StringBuilder();
        for (Candidate c : in) {
            b.append(b.isEmpty() ? "" : " ").append(c.type().wireName());
        }
        return b.toString();
    }

    private static Candidate.Type signalType(IceCandidate.Type t) {
        return switch (t) {
            case HOST -> Candidate.Type.HOST;
            case SERVER_REFLEXIVE -> Candidate.Type.SERVER_REFLEXIVE;
            case PEER_REFLEXIVE -> Candidate.Type.PEER_REFLEXIVE;
            case RELAYED -> Candidate.Type.RELAYED;
        };
    }

    private static IceCandidate.Type iceType(Candidate.Type t) {
        return switch (t) {
            case HOST -> IceCandidate.Type.HOST;
            case SERVER_REFLEXIVE -> IceCandidate.Type.SERVER_REFLEXIVE;
            case PEER_REFLEXIVE -> IceCandidate.Type.PEER_REFLEXIVE;
            case RELAYED -> IceCandidate.Type.RELAYED;
        };
    }
}
