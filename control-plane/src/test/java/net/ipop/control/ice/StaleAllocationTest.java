package net.ipop.control.ice;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;

import net.ipop.ffm.testing.Privileged;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A node's control plane dies without freeing its TURN allocation (here: its socket closes before the
 * node's own Refresh with lifetime 0 can leave), and the next one gathers from the same 5-tuple (the same
 * port, behind the same NAT mapping) against a real coturn, which refuses a second allocation there (437)
 * until the first expires. The next one must still gather a relayed candidate within seconds: by freeing the
 * old allocation before its first gathering, or, if that was skipped, after the 437.
 */
@Privileged
final class StaleAllocationTest {
    static {
        IceTestSettings.apply();
    }

    /** Generous against a loaded 2-core machine; a gathering here takes well under a second unloaded. */
    private static final long RELAY_WITHIN_MS = 15_000;

    @Test
    @Timeout(180)
    void aRestartedNodeGathersARelayedCandidateDespiteTheAllocationItsPredecessorLeft() throws Exception {
        try (NatLab lab = NatLab.create(NatLab.Nat.ENDPOINT_INDEPENDENT)) {
            IceConfig config = lab.iceConfig(IceTestSettings.CONSENT_TIMEOUT_MS);
            List<AutoCloseable> open = new ArrayList<>();
            try {
                UdpIceTransport first = lab.siteA.call(() -> UdpIceTransport.open(NatLab.SITE_A));
                open.add(first);
                int port = first.hostAddresses().getFirst().getPort();
                IceMux mux = new IceMux(first);
                open.add(mux);
                IceSession dying = IceSession.create(mux, config, new RecordingIceListener());
                assertTrue(relayed(dying), "the first node allocates: " + dying.localCandidates() + lab.turnLog());
                kill(first, mux, dying);

                // The release before the first gathering: no Allocate is refused.
                long start = System.nanoTime();
                Restarted r = restart(lab, config, port, false, open);
                long ms = (System.nanoTime() - start) / 1_000_000;
                assertTrue(relayed(r.session), "relayed after a restart: " + r.session.localCandidates()
                        + lab.turnLog());
                assertEquals(0, r.mux.allocationMismatches(), "the old allocation was freed before the Allocate");
                assertTrue(ms < RELAY_WITHIN_MS, "relayed candidate after " + ms + " ms");
                System.out.println("stale TURN allocation: relayed candidate " + ms
                        + " ms after the restart (release before the first gathering)");

                // A second session on the same node shares the first one's live allocation: no second Allocate.
                int releases = count(lab.turnLog(), "lifetime=0");
                try (IceSession second = IceSession.create(r.mux, config, new RecordingIceListener())) {
                    assertEquals(relayedAddress(r.session), relayedAddress(second), "one allocation, shared");
                    assertEquals(0, r.mux.allocationMismatches(), "no Allocate refused");
                }
                assertEquals(releases, count(lab.turnLog(), "lifetime=0"),
                        "a live session's allocation was released" + lab.turnLog());
                assertTrue(relayed(r.session), "the first session keeps its relayed candidate");
                kill(r.transport, r.mux, r.session);

                // Without that release the Allocate meets the old allocation (437), which is then freed.
                start = System.nanoTime();
                r = restart(lab, config, port, true, open);
                ms = (System.nanoTime() - start) / 1_000_000;
                assertTrue(r.mux.allocationMismatches() >= 1, "coturn refused the Allocate on the held 5-tuple");
                assertTrue(relayed(r.session), "relayed after the 437: " + r.session.localCandidates()
                        + lab.turnLog());
                assertTrue(ms < RELAY_WITHIN_MS, "relayed candidate after " + ms + " ms");
                System.out.println("stale TURN allocation: relayed candidate " + ms
                        + " ms after the restart (release after a 437)");
                r.session.close();
            } finally {
                for (AutoCloseable c : open.reversed()) {
                    c.close();
                }
            }
        }
    }

    private record Restarted(UdpIceTransport transport, IceMux mux, IceSession session) {
    }

    /** A new node on the same port; {@code skipRelease}: as if its first-gathering release had been lost. */
    private static Restarted restart(NatLab lab, IceConfig config, int port, boolean skipRelease,
                                     List<AutoCloseable> open) throws Exception {
        UdpIceTransport t = lab.siteA.call(() -> UdpIceTransport.open(
                new InetSocketAddress(NatLab.SITE_A.getAddress(), port)));
        open.add(t);
        IceMux mux = new IceMux(t);
        open.add(mux);
        if (skipRelease) {
            synchronized (mux.releaseLock()) {
                mux.released(true);
            }
        }
        IceSession s = IceSession.create(mux, config, new RecordingIceListener());
        open.add(s);
        return new Restarted(t, mux, s);
    }

    /** The socket goes first, so the node's own deallocation cannot leave: what a SIGKILL leaves behind. */
    private static void kill(UdpIceTransport t, IceMux mux, IceSession s) {
        t.close();
        mux.close();
        s.close();
    }

    private static int count(String text, String what) {
        int n = 0;
        for (int i = text.indexOf(what); i >= 0; i = text.indexOf(what, i + 1)) {
            n++;
        }
        return n;
    }

    private static InetSocketAddress relayedAddress(IceSession s) {
        return s.localCandidates().stream().filter(c -> c.type() == IceCandidate.Type.RELAYED).findFirst()
                .orElseThrow(() -> new AssertionError("no relayed candidate: " + s.localCandidates())).socketAddress();
    }

    private static boolean relayed(IceSession s) {
        return s.localCandidates().stream().anyMatch(c -> c.type() == IceCandidate.Type.RELAYED);
    }
}
