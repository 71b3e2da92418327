package net.ipop.dataplane.session;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

import net.ipop.crypto.aead.MessageLimits;

/**
 * What the packet path tells the conductor about one {@link Session}, without a queue and without publishing
 * anything itself: three flags that only turn on, each set by the session's owning pipeline thread and polled by
 * the conductor, which turns them into session events for the control plane.
 *
 * <ul>
 *   <li>{@link #received()}: a packet authenticated under the session's receive key (for a responder session
 *       this confirms the handshake);</li>
 *   <li>{@link #rekeyDue()}: the send counter passed {@link net.ipop.crypto.aead.MessageLimits#REKEY_AFTER_MESSAGES};</li>
 *   <li>{@link #exhausted()}: the send counter reached the reject limit; the key can send nothing more.</li>
 * </ul>
 *
 * <p>Memory order: the owning pipeline stores with opaque mode (a plain store on x86, but one the JIT may not
 * elide or delay indefinitely) after checking with a plain load of its own field, so a flag already set costs the
 * packet path one load and a branch; the conductor loads with opaque mode. Nothing else is published through
 * these flags, so no stronger ordering is needed. No allocation.
 */
public final class SessionSignals {
    private static final VarHandle RECEIVED;
    private static final VarHandle REKEY_DUE;
    private static final VarHandle EXHAUSTED;

    static {
        try {
            MethodHandles.Lookup lookup = MethodHandles.lookup();
            RECEIVED = lookup.findVarHandle(SessionSignals.class, "received", boolean.class);
            REKEY_DUE = lookup.findVarHandle(SessionSignals.class, "rekeyDue", boolean.class);
            EXHAUSTED = lookup.findVarHandle(SessionSignals.class, "exhausted", boolean.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private boolean received;
    private boolean rekeyDue;
    private boolean exhausted;

    /** Owning pipeline: a message authenticated under this session's receive key. */
    public void onAuthenticated() {
        if (!received) {
            RECEIVED.setOpaque(this, true);
        }
    }

    /**
     * Owning pipeline, after sealing: {@code nextCounter} is the session sealer's next send counter (unsigned);
     * notes the rekey and reject limits once they are reached.
     */
    public void onSendCounter(long nextCounter) {
        if (!rekeyDue && MessageLimits.needsRekey(nextCounter)) {
            REKEY_DUE.setOpaque(this, true);
        }
        if (!exhausted && MessageLimits.mustReject(nextCounter)) {
            EXHAUSTED.setOpaque(this, true);
        }
    }

    /** Any thread (the conductor): whether a message has authenticated under the receive key. */
    public boolean received() {
        return (boolean) RECEIVED.getOpaque(this);
    }

    /** Any thread: whether the send counter passed the rekey limit. */
    public boolean rekeyDue() {
        return (boolean) REKEY_DUE.getOpaque(this);
    }

    /** Any thread: whether the send counter reached the reject limit. */
    public boolean exhausted() {
        return (boolean) EXHAUSTED.getOpaque(this);
    }
}
