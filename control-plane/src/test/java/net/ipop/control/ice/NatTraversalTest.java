package net.ipop.control.ice;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

import net.ipop.ffm.testing.Privileged;
import org.ice4j.ice.Component;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * ICE between two sites behind NATs, against a real coturn, with each end's checks and data on one UDP
 * socket (a {@link UdpIceTransport} standing in for the data plane's): behind endpoint-independent NATs
 * the path is direct over server-reflexive candidates although a relay is on offer; behind symmetric NATs
 * it falls back to the TURN relay. Either way datagrams then cross the selected path both ways. Two sessions on
 * one socket both relay through that socket's one allocation (the server grants one per 5-tuple).
 */
@Privileged
final class NatTraversalTest {
    static {
        IceTestSettings.apply();
    }

    private static final Set<IceCandidate.Type> REFLEXIVE =
            Set.of(IceCandidate.Type.SERVER_REFLEXIVE, IceCandidate.Type.PEER_REFLEXIVE);

    @Test
    @Timeout(240)
    void endpointIndependentNatsConnectDirectlyOverServerReflexiveCandidates() throws Exception {
        try (NatLab lab = NatLab.create(NatLab.Nat.ENDPOINT_INDEPENDENT)) {
            Pair p = connect(lab);
            for (SelectedPath path : List.of(p.pathA, p.pathB)) {
                assertEquals(PathKind.DIRECT, path.kind(), "expected a direct path: " + path);
                // RFC 8445 section 6.1.2.4: a server-reflexive local candidate is paired by its base, the host.
                assertNotEquals(IceCandidate.Type.RELAYED, path.local().type(), path.toString());
                assertTrue(REFLEXIVE.contains(path.remote().type()), "remote should be reflexive: " + path);
                assertTrue(path.remote().address().getHostAddress().startsWith("203.0.113."),
                        "the peer is reached at its NAT's public address: " + path);
            }
            assertEquals(NatLab.SITE_A.getAddress(), p.pathA.localBase().getAddress(), "data leaves the host socket");
            exchange(p, lab);
            p.close();
        }
    }

    @Test
    @Timeout(240)
    void symmetricNatsFallBackToTheTurnRelay() throws Exception {
        try (NatLab lab = NatLab.create(NatLab.Nat.SYMMETRIC)) {
            Pair p = connect(lab);
            for (SelectedPath path : List.of(p.pathA, p.pathB)) {
                assertEquals(PathKind.RELAYED, path.kind(), "expected the relay: " + path);
            }
            exchange(p, lab);
            // Whichever end allocated the relay it uses must learn its channel for ChannelData framing.
            for (IceSession s : List.of(p.a, p.b)) {
                SelectedPath path = s.selectedPath().orElseThrow();
                if (path.locallyRelayed()) {
                    assertEquals(NatLab.TURN, path.relayServer(), path.toString());
                    assertEquals(NatLab.TURN, path.nextHop(), path.toString());
                    assertTrue(path.channel() >= 0x4000 && path.channel() <= 0x4FFF,
                            "a bound TURN channel: " + path);
                }
            }
            assertTrue(p.pathA.locallyRelayed() || p.pathB.locallyRelayed(), "one end uses its relay");
            p.close();
        }
    }

    /**
     * Two ICE sessions of one node (one socket at site A) with two peers at site B that have no TURN server of
     * their own, so both paths need site A's relay: both sessions get a relayed candidate from the node's one
     * allocation, each path is bound on a channel of its own, and data crosses both.
     */
    @Test
    @Timeout(240)
    void twoSessionsOfOneNodeBothRelayThroughItsSharedAllocation() throws Exception {
        try (NatLab lab = NatLab.create(NatLab.Nat.SYMMETRIC)) {
            List<AutoCloseable> open = new java.util.ArrayList<>();
            try {
                UdpIceTransport ta = lab.siteA.call(() -> UdpIceTransport.open(NatLab.SITE_A));
                open.add(ta);
                IceMux ma = new IceMux(ta);
                open.add(ma);
                IceConfig withTurn = lab.iceConfig(IceTestSettings.CONSENT_TIMEOUT_MS);
                IceConfig stunOnly = new IceConfig(List.of(NatLab.TURN), List.of(), IceTestSettings.CONSENT_TIMEOUT_MS);
                List<Pair> pairs = new java.util.ArrayList<>();
                for (int i = 0; i < 2; i++) {
                    UdpIceTransport tb = lab.siteB.call(() -> UdpIceTransport.open(NatLab.SITE_B));
                    open.add(tb);
                    IceMux mb = new IceMux(tb);
                    open.add(mb);
                    RecordingIceListener la = new RecordingIceListener();
                    RecordingIceListener lb = new RecordingIceListener();
                    IceSession a = IceSession.create(ma, withTurn, la);
                    open.add(a);
                    IceSession b = IceSession.create(mb, stunOnly, lb);
                    open.add(b);
                    a.start(b.localCredentials(), b.localCandidates(), true);
                    b.start(a.localCredentials(), a.localCandidates(), false);
                    try {
                        pairs.add(new Pair(ta, tb, ma, mb, a, b, la.awaitSelected(90), lb.awaitSelected(90)));
                    } catch (AssertionError e) {
                        throw new AssertionError(e.getMessage() + "\ncoturn's log:\n" + lab.turnLog(), e);
                    }
                }
                List<IceCandidate> relays = pairs.stream().map(p -> p.a().localCandidates().stream()
                        .filter(c -> c.type() == IceCandidate.Type.RELAYED).findFirst().orElseThrow()).toList();
                assertEquals(relays.get(0).socketAddress(), relays.get(1).socketAddress(),
                        "both sessions relay on the node's one allocation");
                Set<Integer> channels = new java.util.HashSet<>();
                for (Pair p : pairs) {
                    SelectedPath path = p.a().selectedPath().orElseThrow();
                    assertTrue(path.locallyRelayed(), "only site A's relay gets through: " + path);
                    assertEquals(relays.get(0).socketAddress(), path.local().socketAddress(), path.toString());
                    assertEquals(NatLab.TURN, path.nextHop(), path.toString());
                    assertEquals(NatLab.SITE_A.getAddress(), path.localBase().getAddress(), path.toString());
                    assertTrue(path.channel() >= 0x4000 && path.channel() <= 0x4FFF, "a bound channel: " + path);
                    channels.add(path.channel());
                    exchange(p, lab);
                }
                assertEquals(2, channels.size(), "a channel per peer: " + channels);
                assertEquals(0, ma.allocationMismatches(), "no second Allocate from the shared socket");
            } finally {
                for (AutoCloseable c : open.reversed()) {
                    c.close();
                }
            }
        }
    }

    /** Both sessions, their transports, and what each selected. */
    private record Pair(UdpIceTransport ta, UdpIceTransport tb, IceMux ma, IceMux mb, IceSession a, IceSession b,
                        SelectedPath pathA, SelectedPath pathB) implements AutoCloseable {
        @Override
        public void close() {
            a.close();
            b.close();
            ma.close();
            mb.close();
            ta.close();
            tb.close();
        }
    }

    private static Pair connect(NatLab lab) throws Exception {
        UdpIceTransport ta = lab.siteA.call(() -> UdpIceTransport.open(NatLab.SITE_A));
        UdpIceTransport tb = null;
        IceSession a = null;
        IceSession b = null;
        IceMux ma = new IceMux(ta);
        IceMux mb = null;
        try {
            tb = lab.siteB.call(() -> UdpIceTransport.open(NatLab.SITE_B));
            mb = new IceMux(tb);
            RecordingIceListener la = new RecordingIceListener();
            RecordingIceListener lb = new RecordingIceListener();
            IceConfig config = lab.iceConfig(IceTestSettings.CONSENT_TIMEOUT_MS);
            a = IceSession.create(ma, config, la);
            b = IceSession.create(mb, config, lb);
            for (IceSession s : List.of(a, b)) {
                Set<IceCandidate.Type> types =
                        s.localCandidates().stream().map(IceCandidate::type).collect(Collectors.toSet());
                assertEquals(Set.of(IceCandidate.Type.HOST, IceCandidate.Type.SERVER_REFLEXIVE,
                        IceCandidate.Type.RELAYED), types, "gathered " + s.localCandidates() + "\n" + lab.turnLog());
            }
            IceCredentials ca = a.localCredentials();
            IceCredentials cb = b.localCredentials();
            assertNotEquals(ca, cb);
            a.start(cb, b.localCandidates(), true);
            b.start(ca, a.localCandidates(), false);
            SelectedPath pa;
            SelectedPath pb;
            try {
                pa = la.awaitSelected(90);
                pb = lb.awaitSelected(90);
            } catch (AssertionError e) {
                throw new AssertionError(e.getMessage() + "\ncoturn's log:\n" + lab.turnLog(), e);
            }
            return new Pair(ta, tb, ma, mb, a, b, pa, pb);
        } catch (Exception | AssertionError e) {
            for (AutoCloseable c : new AutoCloseable[] {a, b, ma, mb, ta, tb}) {
                if (c != null) {
                    c.close();
                }
            }
            throw e;
        }
    }

    /** Ten datagrams each way over the selected pairs, each answered; from the selected remote address. */
    private static void exchange(Pair p, NatLab lab) throws IOException {
        Component ca = p.a.component();
        Component cb = p.b.component();
        for (int i = 0; i < 10; i++) {
            roundTrip(ca, cb, "a->b " + i, p.pathB, lab);
            roundTrip(cb, ca, "b->a " + i, p.pathA, lab);
        }
    }

    /** Sends {@code text} from one component (retrying a few times) until the other receives it. */
    private static void roundTrip(Component from, Component to, String text, SelectedPath receiverPath, NatLab lab)
            throws IOException {
        byte[] out = text.getBytes(StandardCharsets.UTF_8);
        byte[] in = new byte[1500];
        DatagramPacket p = new DatagramPacket(in, in.length);
        to.getSocket().setSoTimeout(1000);
        for (int attempt = 0; attempt < 5; attempt++) {
            from.send(out, 0, out.length);
            try {
                while (true) {
                    p.setLength(in.length);
                    to.getSocket().receive(p);
                    String got = new String(in, 0, p.getLength(), StandardCharsets.UTF_8);
                    if (got.equals(text)) {
                        assertEquals(receiverPath.remote().socketAddress(), p.getSocketAddress(),
                                "data arrives from the selected remote candidate");
                        return;
                    }
                }
            } catch (SocketTimeoutException retry) {
                // lost or late: send again
            }
        }
        throw new AssertionError("'" + text + "' never crossed the selected path\n" + lab.turnLog());
    }
}
