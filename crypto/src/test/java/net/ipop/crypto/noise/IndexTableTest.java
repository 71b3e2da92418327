package net.ipop.crypto.noise;

import java.util.HashMap;
import java.util.Map;
import java.util.Random;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

class IndexTableTest {
    private static PeerHandshake peer(int id) {
        return new PeerHandshake(id, new byte[32], new byte[32], new byte[32], new byte[32],
                new net.ipop.crypto.primitives.Blake2s.Mac(new byte[32], 0, 32), new byte[32],
                new PeerTimers(new Random(1)));
    }

    @Test
    void matchesAHashMapUnderRandomOperations() {
        Random r = new Random(7);
        PeerHandshake[] peers = {peer(1), peer(2), peer(3)};
        IndexTable table = new IndexTable();
        Map<Integer, PeerHandshake> reference = new HashMap<>();
        // A small key space forces collisions, long probe runs, wrap-around and deletions inside runs.
        for (int op = 0; op < 200_000; op++) {
            int key = r.nextInt(3000) - 1500;
            if (key == 0) {
                continue;
            }
            if (r.nextInt(3) == 0) {
                table.remove(key);
                reference.remove(key);
            } else {
                PeerHandshake p = peers[r.nextInt(3)];
                boolean added = table.putIfAbsent(key, p);
                assertEquals(!reference.containsKey(key), added);
                reference.putIfAbsent(key, p);
            }
            int probe = r.nextInt(3000) - 1500;
            assertSame(reference.get(probe), probe == 0 ? null : table.get(probe));
        }
        assertEquals(reference.size(), table.size());
        for (Map.Entry<Integer, PeerHandshake> e : reference.entrySet()) {
            assertSame(e.getValue(), table.get(e.getKey()));
        }
    }

    @Test
    void zeroIsNeverAKey() {
        IndexTable table = new IndexTable();
        assertNull(table.get(0));
        table.remove(0);
        PeerHandshake p = peer(1);
        assertTrue(table.putIfAbsent(-1, p));
        assertFalse(table.putIfAbsent(-1, p));
        assertSame(p, table.get(-1));
    }
}
