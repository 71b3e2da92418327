package net.ipop.dataplane.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;

import net.ipop.crypto.Suite;
import net.ipop.crypto.aead.AeadScratch;
import net.ipop.dataplane.route.Prefix;
import net.ipop.dataplane.session.Peer;
import net.ipop.dataplane.session.PeerEndpoint;
import net.ipop.dataplane.session.PeerLiveness;
import net.ipop.dataplane.session.PeerTable;
import net.ipop.dataplane.session.Session;
import net.ipop.ffm.udp.MessageBatch;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Persistent and passive keepalives on a hand-driven clock; each one must open as a keepalive at the peer. */
class KeepalivesTest {
    private static final long MS = 1_000_000L;
    private static final long T0 = 5_000 * MS;
    private static final InetSocketAddress FAR = new InetSocketAddress("198.51.100.2", 51820);

    private final AeadScratch scratch = new AeadScratch();
    private final AeadScratch farScratch = new AeadScratch();
    private final PathStats stats = new PathStats();
    private final MessageBatch batch = new MessageBatch(4, MessageBatch.MAX_BUFFER_SIZE);
    private final MessageBatch received = new MessageBatch(1, MessageBatch.MAX_BUFFER_SIZE);
    private final List<Integer> sentLengths = new ArrayList<>();
    private final GsoBatcher batcher = new GsoBatcher(stats, this::send, batch);
    private final Keepalives keepalives = new Keepalives(stats, batcher, scratch);
    private final PeerEndpoint endpoint = new PeerEndpoint();
    private final Session far = new Session(StaticSessions.INDEX_B, StaticSessions.INDEX_A, Suite.AES256GCM,
            StaticSessions.key(2), StaticSessions.key(1), farScratch, 0);
    private int keepalivesOpened;

    @AfterEach
    void close() {
        keepalives.close();
        batch.close();
        received.close();
        endpoint.close();
    }

    private int send(MessageBatch b, int count) {
        for (int i = 0; i < count; i++) {
            assertEquals(FAR, b.remote(i).toInetSocketAddress());
            sentLengths.add(b.length(i));
            java.lang.foreign.MemorySegment.copy(b.sendSegment(i), b.sendOffset(i), received.buffer(0), 0, b.length(i));
            if (far.opener().open(received.buffer(0), 0, b.length(i)) == 0) {
                keepalivesOpened++;
            }
        }
        return 0;
    }

    private PeerTable table(PeerLiveness liveness, AeadScratch owner) {
        endpoint.set(FAR);
        Session s = new Session(StaticSessions.INDEX_A, StaticSessions.INDEX_B, Suite.AES256GCM,
                StaticSessions.key(1), StaticSessions.key(2), owner, 0);
        Peer p = Peer.create(0, "b", List.of(Prefix.parse("192.0.2.2/32")), endpoint, liveness).withSession(s);
        return new PeerTable.Builder().put(p).build();
    }

    private int run(PeerTable t, long now) {
        int n = keepalives.run(t, now);
        batcher.flush();
        return n;
    }

    @Test
    void persistentKeepaliveGoesWhenNothingWasSentForTheInterval() {
        PeerLiveness l = new PeerLiveness(1_000 * MS, 10_000 * MS, T0);
        PeerTable t = table(l, scratch);
        assertEquals(0, run(t, T0 + 500 * MS));
        assertEquals(1, run(t, T0 + 1_000 * MS));
        assertEquals(0, run(t, T0 + 1_005 * MS), "scans are 10 ms apart and one was just sent");
        l.sentData(T0 + 1_500 * MS); // traffic resets the interval
        assertEquals(0, run(t, T0 + 2_100 * MS));
        assertEquals(1, run(t, T0 + 2_500 * MS));
        assertEquals(List.of(32, 32), sentLengths);
        assertEquals(2, keepalivesOpened);
        assertEquals(2, stats.keepalivesSent());
    }

    @Test
    void keepalivesDueInOneScanEachOpenAtTheirOwnPeer() {
        // Persistent keepalives started together stay in step: every scan finds several due. Each is sealed in
        // the same scratch message, so the batch must not send them from there (all would carry the last one).
        InetSocketAddress[] addresses = {new InetSocketAddress("198.51.100.2", 1001),
                new InetSocketAddress("198.51.100.3", 1002), new InetSocketAddress("198.51.100.4", 1003)};
        List<Session> farEnds = new ArrayList<>();
        PeerTable.Builder b = new PeerTable.Builder();
        List<PeerEndpoint> endpoints = new ArrayList<>();
        for (int i = 0; i < addresses.length; i++) {
            PeerEndpoint e = new PeerEndpoint().set(addresses[i]);
            endpoints.add(e);
            Session mine = new Session(0x0A000001 + i, 0x0B000001 + i, Suite.AES256GCM, StaticSessions.key(10 + i),
                    StaticSessions.key(20 + i), scratch, 0);
            farEnds.add(new Session(0x0B000001 + i, 0x0A000001 + i, Suite.AES256GCM, StaticSessions.key(20 + i),
                    StaticSessions.key(10 + i), farScratch, 0));
            b.put(Peer.create(i, "p" + i, List.of(), e, new PeerLiveness(1_000 * MS, 10_000 * MS, T0))
                    .withSession(mine));
        }
        List<Integer> opened = new ArrayList<>();
        try (MessageBatch out = new MessageBatch(4, MessageBatch.MAX_BUFFER_SIZE)) {
            GsoBatcher own = new GsoBatcher(new PathStats(), (sent, count) -> {
                for (int i = 0; i < count; i++) {
                    int peer = List.of(addresses).indexOf(sent.remote(i).toInetSocketAddress());
                    java.lang.foreign.MemorySegment.copy(sent.sendSegment(i), sent.sendOffset(i), received.buffer(0),
                            0, sent.length(i));
                    if (farEnds.get(peer).opener().open(received.buffer(0), 0, sent.length(i)) == 0) {
                        opened.add(peer);
                    }
                }
                return 0;
            }, out);
            try (Keepalives k = new Keepalives(stats, own, scratch)) {
                assertEquals(3, k.run(b.build(), T0 + 1_000 * MS));
                own.flush();
            }
        } finally {
            endpoints.forEach(PeerEndpoint::close);
        }
        assertEquals(List.of(0, 1, 2), opened, "each keepalive opens at the peer it was sent to");
    }

    @Test
    void aSessionWeInitiatedIsAnnouncedByOneKeepaliveUnlessDataWentFirst() {
        PeerLiveness quiet = new PeerLiveness(0, 10_000 * MS, T0); // no persistent keepalive
        endpoint.set(FAR);
        Session mine = new Session(StaticSessions.INDEX_A, StaticSessions.INDEX_B, Suite.AES256GCM,
                StaticSessions.key(1), StaticSessions.key(2), scratch, 0).announcing();
        PeerTable t = new PeerTable.Builder()
                .put(Peer.create(0, "b", List.of(Prefix.parse("192.0.2.2/32")), endpoint, quiet).withSession(mine))
                .build();
        assertEquals(1, run(t, T0 + MS), "at once, though no keepalive interval is set");
        assertEquals(1, keepalivesOpened, "under the new session, at the responder");
        assertEquals(0, run(t, T0 + 100 * MS), "once");

        Session next = new Session(StaticSessions.INDEX_A + 1, StaticSessions.INDEX_B + 1, Suite.AES256GCM,
                StaticSessions.key(1), StaticSessions.key(2), scratch, 0).announcing();
        next.sealer().reserve(1); // a data packet went under it first: that announced it
        PeerTable t2 = new PeerTable.Builder(t).put(t.peer(0).withSession(next)).build();
        assertEquals(0, run(t2, T0 + 200 * MS));
    }

    @Test
    void passiveKeepaliveAnswersDataThatGotNoReply() {
        PeerLiveness l = new PeerLiveness(0, 2_000 * MS, T0);
        PeerTable t = table(l, scratch);
        assertEquals(0, run(t, T0 + 60_000 * MS), "no persistent keepalive and nothing received");
        l.received(T0 + 61_000 * MS, true, true);
        assertEquals(0, run(t, T0 + 62_950 * MS));
        assertEquals(1, run(t, T0 + 63_000 * MS));
        assertEquals(0, run(t, T0 + 64_000 * MS), "answered once");
        l.received(T0 + 70_000 * MS, false, true);
        assertEquals(0, run(t, T0 + 80_000 * MS), "a keepalive is not answered");
        assertEquals(1, keepalivesOpened);
    }

    @Test
    void steadyOneWayDataIsAnsweredWithinThePassiveInterval() {
        // The far side forwards a steady stream to us (pings every 200 ms) whose replies leave through another
        // peer: we send it nothing. Its dead interval is 5 s and our persistent keepalive also 5 s, so only a
        // passive keepalive counted from the first unanswered packet, not the latest, keeps it from declaring us
        // down over and over (as WireGuard arms that timer once and does not push it back).
        PeerLiveness l = new PeerLiveness(5_000 * MS, 3_333 * MS, T0);
        PeerTable t = table(l, scratch);
        l.sentKeepalive(T0);
        long firstKeepaliveAt = -1;
        for (long at = 100 * MS; at < 5_000 * MS && firstKeepaliveAt < 0; at += 10 * MS) {
            if (at % (200 * MS) == 100 * MS) {
                l.received(T0 + at, true, true);
            }
            if (run(t, T0 + at) > 0) {
                firstKeepaliveAt = at;
            }
        }
        // First unanswered packet at 100 ms, passive interval 3333 ms, scans 10 ms apart.
        assertEquals(3_440 * MS, firstKeepaliveAt, "the first keepalive (ns after T0; -1: none before the persistent one)");
        long keepalivesBy = stats.keepalivesSent();
        assertEquals(1L, keepalivesBy, "one keepalive 3.3 s into a one-way stream");
        assertEquals(1, keepalivesOpened);
    }

    @Test
    void peersOfAnotherPipelineGetNoKeepaliveFromThisOne() {
        PeerLiveness l = new PeerLiveness(1_000 * MS, 10_000 * MS, T0);
        PeerTable t = table(l, new AeadScratch());
        assertEquals(0, run(t, T0 + 5_000 * MS));
        assertEquals(0, sentLengths.size());
    }
}
