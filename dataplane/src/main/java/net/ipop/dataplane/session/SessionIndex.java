package net.ipop.dataplane.session;

/**
 * Immutable map from a local (receiver) index to the session and peer it names: the first lookup
 * of every received data message. Open addressing with linear probing over parallel arrays, at
 * most half full, so a miss ends after a short probe and a lookup allocates nothing.
 *
 * <p>Built by the single writer (see {@link PeerTable.Builder}); any thread may read it.
 */
public final class SessionIndex {
    private final int mask;
    private final int[] keys;
    private final Session[] sessions;
    private final Peer[] peers;
    private final int size;

    private SessionIndex(int mask, int[] keys, Session[] sessions, Peer[] peers, int size) {
        this.mask = mask;
        this.keys = keys;
        this.sessions = sessions;
        this.peers = peers;
        this.size = size;
    }

    /** Builds an index over the current and previous sessions of {@code peers} (null entries skipped). */
    static SessionIndex of(Peer[] peers) {
        int expected = 0;
        for (Peer p : peers) {
            if (p != null) {
                expected += (p.current() != null ? 1 : 0) + (p.previous() != null ? 1 : 0);
            }
        }
        int capacity = Integer.highestOneBit(Math.max(4, expected * 2 - 1)) << 1;
        int[] keys = new int[capacity];
        Session[] sessions = new Session[capacity];
        Peer[] owners = new Peer[capacity];
        int size = 0;
        for (Peer p : peers) {
            if (p == null) {
                continue;
            }
            for (Session s : new Session[] {p.current(), p.previous()}) {
                if (s == null) {
                    continue;
                }
                int i = slot(s.localIndex(), capacity - 1);
                while (sessions[i] != null) {
                    if (keys[i] == s.localIndex()) {
                        throw new IllegalArgumentException("local index " + Integer.toUnsignedString(s.localIndex())
                                + " used twice (" + owners[i] + ", " + p + ")");
                    }
                    i = (i + 1) & (capacity - 1);
                }
                keys[i] = s.localIndex();
                sessions[i] = s;
                owners[i] = p;
                size++;
            }
        }
        return new SessionIndex(capacity - 1, keys, sessions, owners, size);
    }

    /** Local indices are random, but a mix keeps sequential test indices spread as well. */
    private static int slot(int key, int mask) {
        int h = key * 0x9E3779B9;
        return (h ^ (h >>> 16)) & mask;
    }

    /** The position of {@code localIndex}, or -1; pass it to {@link #session} and {@link #peer}. */
    public int find(int localIndex) {
        int i = slot(localIndex, mask);
        while (sessions[i] != null) {
            if (keys[i] == localIndex) {
                return i;
            }
            i = (i + 1) & mask;
        }
        return -1;
    }

    public Session session(int position) {
        return sessions[position];
    }

    public Peer peer(int position) {
        return peers[position];
    }

    public int size() {
        return size;
    }
}
