package net.ipop.dataplane.session;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * The published {@link PeerTable}: one writer swaps in new snapshots, pipeline threads read the
 * current one without locks.
 *
 * <p>Memory order: {@link #publish} is a release store and {@link #acquire} an acquire load, so a
 * reader that sees a snapshot also sees everything the writer did before publishing it (the
 * arrays, the peers, the sessions' keys, endpoint memory set up front). Retiring a session removed
 * from the table must wait until every pipeline has loaded a newer snapshot.
 */
public final class PeerTableHolder {
    private static final VarHandle TABLE;

    static {
        try {
            TABLE = MethodHandles.lookup().findVarHandle(PeerTableHolder.class, "table", PeerTable.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    @SuppressWarnings("unused") // accessed through TABLE only
    private PeerTable table = PeerTable.empty();

    /** Writer thread only: makes {@code next} the snapshot readers load from now on. */
    public void publish(PeerTable next) {
        TABLE.setRelease(this, next);
    }

    /** Any thread; pipelines call it once per batch. */
    public PeerTable acquire() {
        return (PeerTable) TABLE.getAcquire(this);
    }
}
