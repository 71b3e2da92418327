package net.ipop.control.signal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

import net.ipop.control.ReliabilityReport;
import net.ipop.ffm.testing.Privileged;
import net.ipop.ffm.testing.TestNamespace;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The server restarts under two joined nodes: Smack reconnects them, they rejoin and announce again. The times
 * (server down, rejoin, re-announce) go to the {@code signalling-restart} section of docs/reliability.md when
 * {@code ci/reliability.sh} runs it.
 */
@Privileged
class SignallingRestartTest {
    @TempDir
    Path dir;

    @Test
    @Timeout(240)
    void afterAServerRestartNodesReconnectRejoinAndReannounce() throws Exception {
        try (TestNamespace ns = TestNamespace.create("xmppr");
                ProsodyServer server = ProsodyServer.in(ns, dir)) {
            server.start();
            TestOverlay lab = new TestOverlay("restart", dir);
            Signalling.Options options = new Signalling.Options(new NamespaceSockets(ns), 1,
                    Signalling.DEFAULT_QUEUE_CAPACITY);
            try (Signalling alpha = new Signalling(options); Signalling beta = new Signalling(options)) {
                Recorder a = new Recorder(alpha);
                Recorder b = new Recorder(beta);
                alpha.join(lab.join(server, "alpha"), lab.certificate("alpha"));
                beta.join(lab.join(server, "beta"), lab.certificate("beta"));
                a.await(SignalEvent.PeerPresent.class, e -> e.peerId().equals("beta"), SignallingProsodyTest.WAIT);
                b.await(SignalEvent.PeerPresent.class, e -> e.peerId().equals("alpha"), SignallingProsodyTest.WAIT);
                int before = a.events.size();

                long stopping = System.nanoTime();
                server.stop();
                server.start();
                long serving = System.nanoTime();

                Duration wait = Duration.ofSeconds(90);
                long deadline = System.nanoTime() + wait.toNanos();
                while (alpha.joins("restart") < 2 || beta.joins("restart") < 2) {
                    assertTrue(System.nanoTime() < deadline, () -> "no rejoin after the restart; server log:\n"
                            + server.log());
                    a.drainFor(100);
                    b.drainFor(100);
                }
                // Beta announced itself again after the restart (a new presence, heard anew).
                a.await(SignalEvent.PeerPresent.class, e -> e.peerId().equals("beta")
                        && a.events.indexOf(e) >= before, wait);
                long rejoined = System.nanoTime();
                assertEquals(2, alpha.joins("restart"));
                assertTrue(alpha.peers("restart").contains("beta"));

                Offer sent = alpha.sendOffer("restart", "beta", SignallingProsodyTest.candidates("2001:db8::1"));
                assertEquals(sent, b.await(SignalEvent.OfferReceived.class, e -> true, wait).offer());
                long offered = System.nanoTime();
                assertEquals(List.of(), List.copyOf(alpha.dropped().entrySet().stream()
                        .filter(e -> e.getValue() != 0).toList()));
                ReliabilityReport.publish("signalling-restart", String.format(Locale.ROOT, """
                        | XMPP server (Prosody) restart | ms |
                        |---|---|
                        | server down (stop, then start until it listens) | %,d |
                        | from the server listening: both nodes rejoined and beta's presence was heard anew | %,d |
                        | then an offer from alpha delivered to beta | %,d |
                        """, ms(serving - stopping), ms(rejoined - serving), ms(offered - rejoined)));
            }
        }
    }

    private static long ms(long nanos) {
        return TimeUnit.NANOSECONDS.toMillis(nanos);
    }
}
