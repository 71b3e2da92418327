package net.ipop.dataplane.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;

import net.ipop.crypto.Suite;
import net.ipop.crypto.aead.AeadScratch;
import net.ipop.dataplane.route.Prefix;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class PeerTableTest {
    private final AeadScratch scratch = new AeadScratch();
    private final List<PeerEndpoint> endpoints = new ArrayList<>();

    @AfterEach
    void close() {
        endpoints.forEach(PeerEndpoint::close);
    }

    private Session session(int local) {
        return new Session(local, local ^ 0x5555, Suite.AES256GCM, new byte[32], new byte[32], scratch, 0);
    }

    private Peer peer(int slot, String... allowed) {
        PeerEndpoint e = new PeerEndpoint();
        endpoints.add(e);
        return Peer.create(slot, "p" + slot, List.of(allowed).stream().map(Prefix::parse).toList(), e);
    }

    @Test
    void indexFindsCurrentAndPreviousSessionsOfEveryPeer() {
        PeerTable.Builder b = new PeerTable.Builder();
        List<Session> all = new ArrayList<>();
        for (int slot = 0; slot < 100; slot++) {
            Session first = session(slot * 2);
            Session second = session(slot * 2 + 1);
            all.add(first);
            all.add(second);
            b.put(peer(slot).withSession(first).withSession(second));
        }
        PeerTable t = b.build();
        assertEquals(200, t.sessions().size());
        for (Session s : all) {
            int pos = t.sessions().find(s.localIndex());
            assertSame(s, t.sessions().session(pos));
            assertEquals(s.localIndex() / 2, t.sessions().peer(pos).slot());
        }
        assertEquals(-1, t.sessions().find(1000));
        assertEquals(-1, t.sessions().find(-1));
        assertSame(all.get(1), t.peer(0).current());
        assertSame(all.get(0), t.peer(0).previous());
        assertNull(t.peer(100));
        assertNull(t.peer(-1));
    }

    @Test
    void duplicateLocalIndexIsRejectedAndOldSnapshotsStayUnchanged() {
        PeerTable one = new PeerTable.Builder().put(peer(0).withSession(session(7))).build();
        PeerTable.Builder next = new PeerTable.Builder(one).put(peer(1).withSession(session(7)));
        assertThrows(IllegalArgumentException.class, next::build);
        PeerTable two = new PeerTable.Builder(one).remove(0).build();
        assertEquals(1, one.sessions().size());
        assertEquals(0, two.sessions().size());
        assertNull(two.peer(0));
    }

    @Test
    void holderPublishesSnapshotsAndPeerChecksAllowedSources() {
        PeerTableHolder holder = new PeerTableHolder();
        assertSame(PeerTable.empty(), holder.acquire());
        Peer p = peer(3, "192.0.2.0/28", "2001:db8:1::/48");
        PeerTable t = new PeerTable.Builder().put(p).build();
        holder.publish(t);
        assertSame(t, holder.acquire());
        assertTrue(p.allowsSource4(0xC000020F));
        assertFalse(p.allowsSource4(0xC0000210));
        assertTrue(p.allowsSource6(0x20010db800010000L, 5));
        assertFalse(p.allowsSource6(0x20010db800020000L, 5));
        assertFalse(p.endpoint().known());
    }
}
