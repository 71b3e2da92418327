package net.ipop.control.ice;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Two ICE sessions whose only way to each other is the data plane's seam: what one injects is punted to
 * the other only if it is STUN, exactly as the data plane's inbound path does. No sockets exist (the host
 * addresses are documentation addresses nobody binds), so this proves that ice4j runs entirely on the
 * transport it is given: gathering, checks, nomination, consent freshness, restart, and a probe next to the
 * selected path.
 */
final class DataPlaneSeamTest {
    static {
        IceTestSettings.apply();
    }

    private static final IceConfig CONFIG = new IceConfig(List.of(), List.of(), IceTestSettings.CONSENT_TIMEOUT_MS);

    /** Carries injected STUN from one transport to the other, while connected. */
    private static final class Wire implements AutoCloseable {
        final DataPlaneIceTransport a;
        final DataPlaneIceTransport b;
        volatile boolean connected = true;
        volatile boolean running = true;
        final Thread thread;
        long carried;

        Wire(DataPlaneIceTransport a, DataPlaneIceTransport b) {
            this.a = a;
            this.b = b;
            thread = Thread.ofPlatform().daemon().name("wire").start(this::run);
        }

        private void run() {
            while (running) {
                int n = a.flush((to, bytes, off, len) -> carry(a, b, to, bytes, off, len))
                        + b.flush((to, bytes, off, len) -> carry(b, a, to, bytes, off, len));
                if (n == 0) {
                    try {
                        Thread.sleep(2);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            }
        }

        private void carry(DataPlaneIceTransport from, DataPlaneIceTransport to, InetSocketAddress dst,
                           byte[] bytes, int off, int len) {
            // The kernel picks the source address of the destination's family, as for the data plane's socket.
            if (connected && to.hostAddresses().contains(dst) && StunPackets.isStun(bytes, off, len)) {
                carried++;
                to.punted(HostAddresses.sameFamily(from.hostAddresses(), dst), dst.getPort(), bytes, off, len);
            }
        }

        @Override
        public void close() {
            running = false;
            try {
                thread.join(5000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    @Test
    @Timeout(90)
    void checksNominationConsentAndRestartRunOverTheInjectAndPuntSeam() throws Exception {
        DataPlaneIceTransport ta = new DataPlaneIceTransport(
                List.of(new InetSocketAddress(InetAddress.getByName("192.0.2.10"), 51820)));
        DataPlaneIceTransport tb = new DataPlaneIceTransport(
                List.of(new InetSocketAddress(InetAddress.getByName("2001:db8::10"), 51820),
                        new InetSocketAddress(InetAddress.getByName("198.51.100.10"), 51820)));
        RecordingIceListener la = new RecordingIceListener();
        RecordingIceListener lb = new RecordingIceListener();
        try (ta; tb; IceMux ma = new IceMux(ta); IceMux mb = new IceMux(tb);
             IceSession a = IceSession.create(ma, CONFIG, la); IceSession b = IceSession.create(mb, CONFIG, lb);
             Wire wire = new Wire(ta, tb)) {
            assertEquals(1, a.localCandidates().size(), "one host candidate: " + a.localCandidates());
            assertEquals(2, b.localCandidates().size(), "an IPv6 and an IPv4 host candidate: " + b.localCandidates());
            IceCredentials ca = a.localCredentials();
            IceCredentials cb = b.localCredentials();
            assertNotEquals(ca.ufrag(), cb.ufrag());
            assertNotEquals(ca.password(), cb.password());

            a.start(cb, b.localCandidates(), true);
            b.start(ca, a.localCandidates(), false);
            SelectedPath pa = la.awaitSelected(30);
            SelectedPath pb = lb.awaitSelected(30);
            assertEquals(PathKind.DIRECT, pa.kind());
            assertEquals(new InetSocketAddress(InetAddress.getByName("198.51.100.10"), 51820), pa.nextHop());
            assertEquals(new InetSocketAddress(InetAddress.getByName("192.0.2.10"), 51820), pb.nextHop());
            assertEquals(ta.hostAddresses().getFirst(), pa.localBase());
            assertNull(pa.relayServer());
            assertEquals(-1, pa.channel());
            assertTrue(wire.carried > 0);

            // Consent: while the wire carries, consent stays fresh well past the timeout...
            assertNull(la.failures.poll(3 * IceTestSettings.CONSENT_TIMEOUT_MS / 2, TimeUnit.MILLISECONDS),
                    "consent lost on a working path");
            // ...and once it stops, the session reports the loss.
            wire.connected = false;
            String reason = la.failures.poll(5 * IceTestSettings.CONSENT_TIMEOUT_MS, TimeUnit.MILLISECONDS);
            assertNotNull(reason, "consent loss not reported");
            assertTrue(reason.contains("consent"), reason);

            // ICE restart: new credentials and candidates over the same transports, and a new selection.
            wire.connected = true;
            a.restart();
            b.restart();
            IceCredentials ca2 = a.localCredentials();
            assertNotEquals(ca.ufrag(), ca2.ufrag());
            assertNotEquals(ca.password(), ca2.password());
            a.start(b.localCredentials(), b.localCandidates(), true);
            b.start(ca2, a.localCandidates(), false);
            SelectedPath again = la.awaitSelected(30);
            assertEquals(pa.nextHop(), again.nextHop());
            lb.awaitSelected(30);
        }
    }

    /**
     * A probe is a second generation next to the selected one: while its checks run (and fail, here, against an
     * address nobody carries) the current path keeps its consent and nothing is selected or failed; a probe both
     * ends run selects a direct pair, which takes over (the probe's credentials are the current ones after it).
     */
    @Test
    @Timeout(120)
    void aProbeRunsNextToTheSelectedPathAndTakesOverOnlyWithADirectPair() throws Exception {
        DataPlaneIceTransport ta = new DataPlaneIceTransport(
                List.of(new InetSocketAddress(InetAddress.getByName("192.0.2.10"), 51820)));
        DataPlaneIceTransport tb = new DataPlaneIceTransport(
                List.of(new InetSocketAddress(InetAddress.getByName("198.51.100.10"), 51820)));
        RecordingIceListener la = new RecordingIceListener();
        RecordingIceListener lb = new RecordingIceListener();
        try (ta; tb; IceMux ma = new IceMux(ta); IceMux mb = new IceMux(tb);
             IceSession a = IceSession.create(ma, CONFIG, la); IceSession b = IceSession.create(mb, CONFIG, lb);
             Wire wire = new Wire(ta, tb)) {
            a.start(b.localCredentials(), b.localCandidates(), true);
            b.start(a.localCredentials(), a.localCandidates(), false);
            SelectedPath first = la.awaitSelected(30);
            lb.awaitSelected(30);
            IceCredentials before = a.localCredentials();

            a.probe();
            assertTrue(a.probing());
            assertEquals(before, a.localCredentials(), "a probe leaves the current generation as it is");
            IceCandidate nowhere = new IceCandidate("1", 1, "udp", 2_130_706_431L, IceCandidate.Type.HOST,
                    InetAddress.getByName("203.0.113.99"), 51820, null, 0);
            a.startProbe(new IceCredentials("nobodyufrag", "nobodypasswordnobodypass"), List.of(nowhere), true);
            String why = la.probeFailures.poll(90, TimeUnit.SECONDS);
            assertNotNull(why, "the probe's failure is reported");
            assertFalse(a.probing());
            assertEquals(before, a.localCredentials(), "the current generation stays");
            assertEquals(first, a.selectedPath().orElseThrow(), "and its path");
            assertTrue(la.failures.isEmpty(), "consent held on the current path all along: " + la.failures);
            assertTrue(la.selected.isEmpty(), "nothing else selected: " + la.selected);

            a.probe();
            b.probe();
            a.startProbe(b.probeCredentials(), b.probeCandidates(), true);
            b.startProbe(a.probeCredentials(), a.probeCandidates(), false);
            SelectedPath promoted = la.awaitSelected(30);
            lb.awaitSelected(30);
            assertEquals(PathKind.DIRECT, promoted.kind());
            assertEquals(first.nextHop(), promoted.nextHop());
            assertFalse(a.probing());
            assertNotEquals(before.ufrag(), a.localCredentials().ufrag(), "the probe's generation is current now");
            assertNull(la.failures.poll(IceTestSettings.CONSENT_TIMEOUT_MS + 1000, TimeUnit.MILLISECONDS),
                    "consent holds on the promoted generation");
            assertTrue(la.probeFailures.isEmpty() && lb.probeFailures.isEmpty());
            assertTrue(wire.carried > 0);
        }
    }
}
