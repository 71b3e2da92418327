package net.ipop.dataplane.pipeline;

import java.net.InetSocketAddress;
import java.util.Arrays;
import java.util.List;

import net.ipop.crypto.Suite;
import net.ipop.crypto.aead.AeadScratch;
import net.ipop.dataplane.route.Prefix;
import net.ipop.dataplane.route.RouteTable;
import net.ipop.dataplane.session.Peer;
import net.ipop.dataplane.session.PeerEndpoint;
import net.ipop.dataplane.session.PeerTable;
import net.ipop.dataplane.session.Session;

/**
 * Installs the session keys a handshake would have produced, for tests: both sides derive the
 * same pair by construction (A's send key is B's receive key).
 */
final class StaticSessions {
    static final int INDEX_A = 0x0A0A0001;
    static final int INDEX_B = 0x0B0B0002;

    private StaticSessions() {
    }

    static byte[] key(int seed) {
        byte[] k = new byte[32];
        Arrays.fill(k, (byte) seed);
        k[0] = 42;
        return k;
    }

    /**
     * The table of one side: its one peer in slot 0, routed for {@code routes}, allowed to send from
     * {@code allowed}, with one session.
     */
    static PeerTable side(boolean isA, Suite suite, AeadScratch scratch, PeerEndpoint endpoint,
                          InetSocketAddress peerAddress, List<String> routes, List<String> allowed) {
        byte[] ab = key(1);
        byte[] ba = key(2);
        Session s = isA
                ? new Session(INDEX_A, INDEX_B, suite, ab, ba, scratch, System.nanoTime())
                : new Session(INDEX_B, INDEX_A, suite, ba, ab, scratch, System.nanoTime());
        endpoint.set(peerAddress);
        Peer peer = Peer.create(0, isA ? "b" : "a", allowed.stream().map(Prefix::parse).toList(), endpoint)
                .withSession(s);
        RouteTable.Builder r = new RouteTable.Builder();
        for (String p : routes) {
            r.add(Prefix.parse(p), 0);
        }
        return new PeerTable.Builder().put(peer).routes(r.build()).build();
    }
}
