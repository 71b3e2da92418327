package net.ipop.crypto.noise;

import java.util.Arrays;

/**
 * Reserved local session indices and the peer each belongs to: an open-addressing hash map from a
 * non-zero {@code int} to a {@link PeerHandshake}, with linear probing and backward-shift deletion,
 * so lookups neither box nor allocate. Grows by doubling at half load. Single-threaded.
 */
final class IndexTable {
    private int[] keys;
    private PeerHandshake[] values;
    private int size;

    IndexTable() {
        keys = new int[64];
        values = new PeerHandshake[64];
    }

    int size() {
        return size;
    }

    /** The peer owning {@code index}, or {@code null}; 0 is never a key. */
    PeerHandshake get(int index) {
        if (index == 0) {
            return null;
        }
        int mask = keys.length - 1;
        for (int i = slot(index, mask); keys[i] != 0; i = (i + 1) & mask) {
            if (keys[i] == index) {
                return values[i];
            }
        }
        return null;
    }

    /** Adds {@code index -> peer}; returns {@code false} (and changes nothing) if the index is taken. */
    boolean putIfAbsent(int index, PeerHandshake peer) {
        if (index == 0) {
            throw new IllegalArgumentException("index 0 is reserved for 'none'");
        }
        if (2 * (size + 1) > keys.length) {
            grow();
        }
        int mask = keys.length - 1;
        int i = slot(index, mask);
        for (; keys[i] != 0; i = (i + 1) & mask) {
            if (keys[i] == index) {
                return false;
            }
        }
        keys[i] = index;
        values[i] = peer;
        size++;
        return true;
    }

    /** Removes {@code index} if present. */
    void remove(int index) {
        if (index == 0) {
            return;
        }
        int mask = keys.length - 1;
        int i = slot(index, mask);
        while (keys[i] != index) {
            if (keys[i] == 0) {
                return;
            }
            i = (i + 1) & mask;
        }
        // Backward-shift: move later entries of the same probe run into the gap so lookups never
        // stop early at a hole.
        int gap = i;
        for (int j = (gap + 1) & mask; keys[j] != 0; j = (j + 1) & mask) {
            int home = slot(keys[j], mask);
            boolean movable = gap <= j ? (home <= gap || home > j) : (home <= gap && home > j);
            if (movable) {
                keys[gap] = keys[j];
                values[gap] = values[j];
                gap = j;
            }
        }
        keys[gap] = 0;
        values[gap] = null;
        size--;
    }

    private void grow() {
        int[] oldKeys = keys;
        PeerHandshake[] oldValues = values;
        keys = new int[oldKeys.length * 2];
        values = new PeerHandshake[oldKeys.length * 2];
        size = 0;
        for (int i = 0; i < oldKeys.length; i++) {
            if (oldKeys[i] != 0) {
                putIfAbsent(oldKeys[i], oldValues[i]);
            }
        }
        Arrays.fill(oldValues, null);
    }

    private static int slot(int index, int mask) {
        // Indices are random already; the multiply spreads adversarial or sequential ones.
        int h = index * 0x9E3779B9;
        return (h ^ (h >>> 16)) & mask;
    }
}
